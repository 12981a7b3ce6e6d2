"""The school portal in Chromium: a school nominates a family by keyboard on a phone, follows it and withdraws
another; axe on every page and state at tablet and phone sizes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.families.conftest import family_data
from tests.web.conftest import PHONE, TABLET, Desk, assert_accessible


async def nominate_through_api(desk: Desk, name: str, phone: str, **extra: Any) -> dict:
    async with desk.api() as api:
        answer = await api.post("/api/v1/nominations", json={"family": family_data(name, phone), "laptops": 1, **extra})
        assert answer.status_code == 201, answer.text
        return answer.json()


async def tab_type(page: Page, text: str) -> None:
    await page.keyboard.press("Tab")
    await page.keyboard.type(text)


async def test_a_school_nominates_by_keyboard_on_a_phone_and_withdraws_another(open_page, people) -> None:
    desk = await open_page(people["school"], viewport=PHONE, locale="en-GB")
    page = desk.page
    earlier = await nominate_through_api(desk, "Bogdan Nowak", "07912 345678", tablets=1)
    await desk.go("/school")

    # From the list to the form by keyboard: the link is reached with Tab and followed with Enter.
    link = page.get_by_role("link", name="Nominate a family").last
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await link.evaluate("el => el === document.activeElement"):
            break
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/school/nominations/new")

    await page.get_by_label("Parent or carer's full name").focus()
    await page.keyboard.type("Amina Khan")
    await tab_type(page, "0123")  # a phone number that is not one
    await tab_type(page, "")  # no email
    await tab_type(page, "b12 9qt")
    await tab_type(page, "Urdu")
    await tab_type(page, "3")
    await tab_type(page, "2")
    await tab_type(page, "0")
    await page.keyboard.press("Tab")  # broadband: left unanswered for now
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # free school meals
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    # The date picker's segments follow the browser's locale; the date itself is what the test is about.
    consent = page.get_by_label("Date the family agreed to their details being held")
    assert await consent.evaluate("el => el === document.activeElement")
    await consent.fill(date.today().isoformat())
    await page.get_by_label("Laptops", exact=True).focus()
    await page.keyboard.type("1")
    await tab_type(page, "0")
    await tab_type(page, "1")
    await tab_type(page, "Homework is set online.")
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # urgent
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")

    # Both mistakes are named, next to their fields and in the summary; everything typed is kept.
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("phone")
    await expect(summary).to_contain_text("has broadband")
    await expect(page.locator("#f-phone-error")).to_contain_text("phone number")
    await expect(page.get_by_label("Parent or carer's full name")).to_have_value("Amina Khan")
    await expect(page.get_by_label("Why they need it")).to_have_value("Homework is set online.")
    await expect(page.get_by_label("Free school meals")).to_be_checked()
    await expect(page.get_by_role("radio", name="Urgent")).to_be_checked()
    await expect(page.get_by_label("Language the family prefers")).to_have_value("ur")
    await assert_accessible(page, "nomination form with errors, phone")

    await page.get_by_label("Phone number").focus()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("07911 123456")
    await page.get_by_role("radio", name="No", exact=True).focus()
    await page.keyboard.press("Space")
    await page.get_by_role("button", name="Send nomination").focus()
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_contain_text("Nomination sent")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nomination for Amina Khan")
    await expect(page.locator("dl.facts").first).to_contain_text("1 laptop, 1 SIM")
    await assert_accessible(page, "nomination just sent, phone")
    # What was typed was kept in the browser only until the server took it: the next form starts empty.
    await desk.go("/school/nominations/new")
    await expect(page.get_by_label("Parent or carer's full name")).to_have_value("")
    await expect(page.get_by_label("Free school meals")).not_to_be_checked()

    await desk.go("/school")
    rows = page.locator("table.nominations tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("Amina Khan")
    await expect(rows.first).to_contain_text("Waiting for a decision")

    # Withdraw the earlier one, confirming on a page of its own.
    await page.get_by_role("link", name="Bogdan Nowak").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name="Withdraw this nomination").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Withdraw the nomination for Bogdan Nowak")
    await page.get_by_label("Why (optional)").focus()
    await page.keyboard.type("The family moved away.")
    await page.get_by_role("button", name="Yes, withdraw it").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Nomination withdrawn")
    await expect(page.get_by_role("link", name="Withdraw this nomination")).to_have_count(0)

    await desk.go("/school")
    await expect(rows.filter(has_text="Bogdan Nowak")).to_contain_text("Withdrawn")
    await expect(rows.filter(has_text="Amina Khan")).to_contain_text("Waiting for a decision")
    async with desk.api() as api:
        assert (await api.get(f"/api/v1/nominations/{earlier['id']}")).json()["status"] == "withdrawn"


@pytest.mark.parametrize("size", ["tablet", "phone"])
async def test_every_school_page_and_state_is_accessible(open_page, people, size: str) -> None:
    viewport = TABLET if size == "tablet" else PHONE
    desk = await open_page(people["school"], viewport=viewport)
    page = desk.page
    theirs = await nominate_through_api(
        await open_page(people["other_school"], viewport=viewport), "Chidi Okafor", "07957 123456"
    )

    await desk.go("/school")
    await expect(page.get_by_text("You have not nominated a family yet.")).to_be_visible()
    await assert_accessible(page, f"empty list, {size}")

    mine = await nominate_through_api(desk, "Amina Khan", "07911 123456", sims=1, urgency="urgent")
    await desk.go("/school")
    await expect(page.locator("table.nominations")).to_contain_text("Amina Khan")
    await assert_accessible(page, f"list, {size}")

    await desk.go("/school/nominations/new")
    await assert_accessible(page, f"nomination form, {size}")
    await page.get_by_role("button", name="Send nomination").click()
    await expect(page.locator(".error-summary")).to_be_visible()
    await assert_accessible(page, f"nomination form with errors, {size}")

    await desk.go(f"/school/nominations/{mine['id']}")
    await assert_accessible(page, f"nomination, {size}")
    await desk.go(f"/school/nominations/{mine['id']}/withdraw")
    await assert_accessible(page, f"withdraw confirmation, {size}")

    await desk.go(f"/school/families/{mine['family_id']}")
    await assert_accessible(page, f"family's details, {size}")
    await page.get_by_label("Phone number").fill("12")
    await page.get_by_role("button", name="Save details").click()
    await expect(page.locator("#f-phone-error")).to_be_visible()
    await assert_accessible(page, f"family's details with an error, {size}")

    # Another school's nomination and family are not found, as in the API.
    for path in (f"/school/nominations/{theirs['id']}", f"/school/families/{theirs['family_id']}"):
        answer = await page.goto(desk.server.url + path)
        assert answer is not None and answer.status == 404
        await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        await expect(page.locator("main")).not_to_contain_text("Chidi")
    await assert_accessible(page, f"not found, {size}")
