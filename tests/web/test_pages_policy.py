"""Every page × every role over HTTP, signed in by cookie, against the same table as the API's routes.

A page a role may not use answers 403 (a page saying so); nobody signed in is sent to the sign-in page; a role
that may use it is never refused. The table is tests/core/test_access_policy.py's EXPECTED: one table for the API
and the pages, so a page can never be open to a role the API would refuse for the same thing.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from tests.core.test_access_policy import EXPECTED, PUBLIC, concrete, is_page, routes
from tests.web.conftest import csrf, sign_in


async def test_every_page_and_role(app: Litestar, pages: AsyncTestClient, make_user) -> None:
    page_routes = sorted(key for key in routes(app) if is_page(key[1]) and EXPECTED[key] != PUBLIC)
    assert ("GET", "/desk") in page_routes
    wrong = []
    for who in [*Role, None]:
        if who is None:
            pages.cookies.clear()
        else:
            answer = await sign_in(pages, await make_user(who))
            assert answer.status_code == 303, answer.text
        token = await csrf(pages)
        for method, path in page_routes:
            data = {"_csrf_token": token} if method != "GET" else None
            answer = await pages.request(method, concrete(path), data=data)
            expected = EXPECTED[(method, path)]
            if who is None:
                ok = answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
            elif who.value in expected:  # type: ignore[operator]
                ok = answer.status_code not in {401, 403} and not answer.headers.get("location", "").startswith(
                    "/login"
                )
            else:
                ok = answer.status_code == 403 and "Not allowed" in answer.text
            if not ok:
                wrong.append((method, path, who and who.value, answer.status_code, answer.text[:200]))
    assert wrong == []
