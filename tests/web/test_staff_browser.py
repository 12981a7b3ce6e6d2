"""The coordinator's pages in Chromium: a decision on the waiting list, a merge, a new user, and axe on each page."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PHONE, TABLET, assert_accessible
from tests.web.staff_data import LESS_NEEDY, NEEDY, nominate, possible_duplicate


async def test_approve_from_the_waiting_list(open_page, people) -> None:
    desk = await open_page(people["staff"], viewport=TABLET)
    async with desk.api() as api:
        low = await nominate(api, people["school"], LESS_NEEDY)
        high = await nominate(api, people["school"], NEEDY)
    page = desk.page
    await desk.go("/staff/waiting-list")
    cards = page.locator("li.waiting-row")
    await cards.first.wait_for()
    assert await cards.count() == 2
    first = cards.first
    assert await first.get_attribute("id") == f"nomination-{high['id']}"
    # The breakdown, factor by factor, is on the page, not just the total.
    breakdown = first.get_by_role("table", name=re.compile(r"Priority \d+: how it adds up"))
    assert await breakdown.is_visible()
    assert await breakdown.get_by_role("cell", name="Eligible for free school meals").is_visible()
    assert await breakdown.get_by_role("cell", name="+3").first.is_visible()
    await assert_accessible(page, "waiting list")

    await first.get_by_role("button", name=re.compile("^Approve")).click()
    done = page.locator(f"#nomination-{high['id']}").get_by_role("status")
    await done.wait_for()
    assert "it has left the waiting list" in await done.inner_text()
    await assert_accessible(page, "waiting list after a decision")
    async with desk.api() as api:
        assert (await api.get(f"/api/v1/nominations/{high['id']}")).json()["status"] == "approved"

    await page.reload()
    await page.locator("li.waiting-row").first.wait_for()
    assert await page.locator("li.waiting-row").count() == 1
    assert await page.locator(f"#nomination-{low['id']}").is_visible()
    assert not await page.locator(f"#nomination-{high['id']}").count()


async def test_merge_a_possible_duplicate(open_page, people) -> None:
    desk = await open_page(people["staff"], viewport=TABLET)
    async with desk.api() as api:
        pair = await possible_duplicate(api, people["staff"], people["school"])
    page = desk.page
    await desk.go("/staff/duplicates")
    card = page.locator(f"#duplicate-{pair['id']}")
    await card.wait_for()
    await assert_accessible(page, "possible duplicates")
    await card.locator(f"#take-{pair['id']}-postcode").check()
    await card.get_by_role("button", name=re.compile("^Merge")).click()
    await card.get_by_role("status").wait_for()
    assert "Merged" in await card.get_by_role("status").inner_text()
    await assert_accessible(page, "possible duplicates after a merge")
    async with desk.api() as api:
        held = (await api.get(f"/api/v1/families/{pair['held_family']['id']}")).json()
        assert held["postcode"] == "B11 1AA"
        assert (await api.get("/api/v1/families/possible-duplicates")).json()["total"] == 0


async def test_add_a_user(open_page, people) -> None:
    desk = await open_page(people["admin"], viewport=TABLET)
    async with desk.api() as api:
        centre = await api.post("/api/v1/centres", json={"name": "Sparkbrook Hub", "postcode": "B11 1AA"})
        assert centre.status_code == 201, centre.text
    page = desk.page
    await desk.go("/staff/users")
    await page.get_by_label("Name").fill("Val Volunteer")
    await page.get_by_label("Email").fill("val@example.org")
    await page.get_by_label("Role").select_option("volunteer")
    await page.get_by_label("Home centre").select_option(label="Sparkbrook Hub")
    await page.get_by_role("button", name="Add user").click()
    notice = page.locator(".password-once")
    await notice.wait_for()
    password = await notice.locator("code.secret").inner_text()
    assert len(password) >= 12
    await assert_accessible(page, "users with a new user's password")
    async with desk.api() as api:
        signed = await api.post("/api/v1/auth/token", json={"email": "val@example.org", "password": password})
        assert signed.status_code == 200
    assert await page.get_by_role("cell", name="val@example.org", exact=True).is_visible()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
async def test_every_staff_page_is_accessible(open_page, people, viewport) -> None:
    admin = await open_page(people["admin"], viewport=viewport)
    async with admin.api() as api:
        await nominate(api, people["school"], LESS_NEEDY)
        await possible_duplicate(api, people["staff"], people["school"])
        centre = (await api.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"})).json()
    for path in (
        "/staff",
        "/staff/waiting-list",
        "/staff/duplicates",
        "/staff/users",
        "/staff/centres",
        f"/staff/centres/{centre['id']}",
    ):
        await admin.go(path)
        await assert_accessible(admin.page, path)
    # A form with its errors shown.
    await admin.go("/staff/users")
    await admin.page.get_by_label("Name").fill("No School")
    await admin.page.get_by_label("Email").fill("noschool@example.org")
    await admin.page.get_by_label("Role").select_option("school")
    await admin.page.get_by_role("button", name="Add user").click()
    await admin.page.locator(".error-summary").wait_for()
    await assert_accessible(admin.page, "users form with an error")
    await admin.go("/staff/centres")
    await admin.page.get_by_label("Name").fill("Aston Hub")
    await admin.page.get_by_label("Postcode").fill("B6 4AA")
    await admin.page.get_by_role("button", name="Add centre").click()
    await admin.page.locator(".error-summary").wait_for()
    await assert_accessible(admin.page, "centres form with an error")
    # Staff see their home without the admin's link to users.
    staff = await open_page(people["staff"], viewport=viewport)
    await staff.go("/staff")
    assert not await staff.page.get_by_role("link", name="Users").count()
    await assert_accessible(staff.page, "staff home")
