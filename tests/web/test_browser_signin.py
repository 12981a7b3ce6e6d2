"""Sign-in in a real browser, per role, and axe on the pages every role sees first."""

from __future__ import annotations

import pytest

from tests.web.conftest import PHONE, TABLET, assert_accessible

HOMES = {"volunteer": "/desk", "school": "/school", "staff": "/staff", "admin": "/staff"}


@pytest.mark.parametrize("role", sorted(HOMES))
async def test_each_role_signs_in_and_lands_home(open_page, people, role: str) -> None:
    desk = await open_page(people[role], viewport=TABLET)
    assert desk.page.url.endswith(HOMES[role])
    assert await desk.page.get_by_role("button", name="Sign out").is_visible()
    await assert_accessible(desk.page)
    await desk.page.get_by_role("button", name="Sign out").click()
    await desk.page.wait_for_url("**/login")
    await desk.go(HOMES[role])
    assert "/login?next=" in desk.page.url


async def test_sign_in_and_finder_pages_are_accessible(open_page, people) -> None:
    anonymous = await open_page(None, viewport=PHONE)
    await anonymous.go("/login")
    await assert_accessible(anonymous.page, "sign-in page")
    await anonymous.page.get_by_label("Email").fill(people["staff"].email)
    await anonymous.page.get_by_label("Password").fill("wrong-password")
    await anonymous.page.get_by_role("button", name="Sign in").click()
    assert await anonymous.page.get_by_role("alert").filter(has_text="Wrong email or password.").is_visible()
    await assert_accessible(anonymous.page, "sign-in page with an error")
    await anonymous.go("/a/LAP-000001-X")
    assert await anonymous.page.get_by_role("heading", name="This device belongs to Test Lending Network").is_visible()
    await assert_accessible(anonymous.page, "finder page")
