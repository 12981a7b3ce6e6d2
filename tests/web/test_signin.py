"""Signing in to the pages: cookie sessions kept server-side, CSRF on every form, each role at its home."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from lending.accounts.sessions import COOKIE
from tests.support import PASSWORD, count_rows
from tests.web.conftest import csrf, sign_in

HOMES = {Role.volunteer: "/desk", Role.school: "/school", Role.staff: "/staff", Role.admin: "/staff"}


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_lands_on_its_home(pages: AsyncTestClient, make_user, role: Role) -> None:
    user = await make_user(role)
    answer = await sign_in(pages, user)
    assert answer.status_code == 303
    assert answer.headers["location"] == HOMES[role]
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    home = await pages.get(HOMES[role])
    assert home.status_code == 200, home.text
    assert user.email.split("@")[0].title().replace(str(role.value).title(), "") or True
    assert "Sign out" in home.text


async def test_the_root_sends_each_to_sign_in_or_home(pages: AsyncTestClient, make_user) -> None:
    assert (await pages.get("/")).headers["location"] == "/login"
    await sign_in(pages, await make_user(Role.school))
    assert (await pages.get("/")).headers["location"] == "/school"


async def test_wrong_password_and_unknown_email_read_the_same(pages: AsyncTestClient, make_user, sessions) -> None:
    user = await make_user(Role.staff)
    wrong = await sign_in(pages, user, password="not-the-password")
    unknown = await sign_in(pages, "nobody@example.org")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Wrong email or password." in answer.text
        assert COOKIE not in answer.cookies
    assert await count_rows(sessions, "web_session") == 0


async def test_a_page_needs_a_session_and_says_where_to_sign_in(pages: AsyncTestClient) -> None:
    answer = await pages.get("/desk?tag=LAP-000001-X")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/desk%3Ftag%3DLAP-000001-X"
    htmx = await pages.get("/desk", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")


async def test_next_brings_you_back_but_never_to_another_site(pages: AsyncTestClient, make_user) -> None:
    user = await make_user(Role.volunteer)
    token = await csrf(pages)
    back = await pages.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/desk/returns", "_csrf_token": token}
    )
    assert back.headers["location"] == "/desk/returns"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        pages.cookies.clear()
        token = await csrf(pages)
        answer = await pages.post(
            "/login", data={"email": user.email, "password": PASSWORD, "next": evil, "_csrf_token": token}
        )
        assert answer.headers["location"] == "/desk", evil


async def test_a_form_without_the_csrf_token_is_refused(pages: AsyncTestClient, make_user, sessions) -> None:
    user = await make_user(Role.staff)
    await pages.get("/login")
    answer = await pages.post("/login", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert await count_rows(sessions, "web_session") == 0
    # Signed in, an htmx request without the header is refused too.
    await sign_in(pages, user)
    assert (await pages.post("/logout")).status_code == 403


async def test_the_role_of_a_page_is_checked(pages: AsyncTestClient, make_user) -> None:
    await sign_in(pages, await make_user(Role.school))
    refused = await pages.get("/desk")
    assert refused.status_code == 403
    assert "Not allowed" in refused.text and "text/html" in refused.headers["content-type"]
    await sign_in(pages, await make_user(Role.volunteer))
    assert (await pages.get("/staff")).status_code == 403
    assert (await pages.get("/school")).status_code == 403


async def test_signing_out_ends_the_session_on_the_server(pages: AsyncTestClient, make_user, sessions) -> None:
    await sign_in(pages, await make_user(Role.volunteer))
    stolen = pages.cookies.get(COOKIE)
    token = await csrf(pages, "/desk")
    out = await pages.post("/logout", data={"_csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert await count_rows(sessions, "web_session") == 0
    # A copy of the cookie taken before signing out no longer signs anyone in.
    pages.cookies.set(COOKIE, stolen, domain="testserver.local")
    assert (await pages.get("/desk")).status_code == 303


async def test_a_password_reset_or_deactivation_ends_every_session(
    pages: AsyncTestClient, client: AsyncTestClient, make_user, admin
) -> None:
    user = await make_user(Role.volunteer)
    await sign_in(pages, user)
    assert (await pages.get("/desk")).status_code == 200
    reset = await client.post(f"/api/v1/users/{user.id}/password", headers=admin.headers, json={})
    assert reset.status_code in {200, 201}, reset.text
    assert (await pages.get("/desk")).status_code == 303

    other = await make_user(Role.volunteer)
    await sign_in(pages, other)
    assert (await pages.get("/desk")).status_code == 200
    off = await client.patch(f"/api/v1/users/{other.id}", headers=admin.headers, json={"is_active": False})
    assert off.status_code == 200, off.text
    assert (await pages.get("/desk")).status_code == 303


async def test_the_login_limit_applies_to_the_form(pages: AsyncTestClient, make_user, settings) -> None:
    user = await make_user(Role.staff)
    answers = [await sign_in(pages, user, password="wrong") for _ in range(settings.login_max_attempts + 1)]
    assert answers[-1].status_code == 429
    assert "Retry-After" in answers[-1].headers
    assert "Too many" in answers[-1].text or "try again" in answers[-1].text.lower()


async def test_pages_carry_security_headers(pages: AsyncTestClient) -> None:
    answer = await pages.get("/login")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_finder_page_says_whose_it_is_and_nothing_more(pages: AsyncTestClient, make_user) -> None:
    found = await pages.get("/a/LAP-000001-X")
    assert found.status_code == 200
    assert "This device belongs to Test Lending Network" in found.text
    assert "0121 000 0000" in found.text
    await sign_in(pages, await make_user(Role.volunteer))
    desk = await pages.get("/a/lap-000001-x")
    assert desk.status_code == 303 and desk.headers["location"] == "/desk/assets/LAP-000001-X"
