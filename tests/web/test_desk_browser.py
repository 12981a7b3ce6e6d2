"""The desk in Chromium at tablet and phone sizes: a USB scanner's typing into the scan box, a stack of returns
from two loans, and a scan made while the server cannot be reached."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.web.conftest import PHONE, TABLET, Desk, assert_accessible
from tests.web.desk_data import DeskData

SIZES = {"tablet": TABLET, "phone": PHONE}


async def scan(desk: Desk, box: str, tag: str) -> None:
    """As a USB scanner does: the tag's characters, then Enter, into the focused box."""
    field = desk.page.get_by_label(box, exact=True)
    await expect(field).to_be_focused()
    await desk.page.keyboard.type(tag)
    await desk.page.keyboard.press("Enter")


async def setup(desk: Desk, people: dict[str, Any]) -> dict[str, Any]:
    async with desk.api() as api:
        data = DeskData(api, people["staff"].headers)
        centre = await data.centre()
        amina = await data.family("Amina Khan", "07911 123456")
        bilal = await data.family("Bilal Ahmed", "07922 654321", postcode="b11 1aa")
        a_tags, b_tags, ready = await data.stock(2), await data.stock(2), await data.stock(1)
        lender = people["volunteer"].headers
        return {
            "a": await data.lend(amina, centre, a_tags, lender),
            "b": await data.lend(bilal, centre, b_tags, lender),
            "a_tags": a_tags,
            "b_tags": b_tags,
            "ready": ready[0],
        }


@pytest.mark.parametrize("size", sorted(SIZES))
async def test_scan_shows_the_card(open_page, people, size: str) -> None:
    desk = await open_page(people["volunteer"], viewport=SIZES[size])
    held = await setup(desk, people)
    await desk.go("/desk")
    await assert_accessible(desk.page, "the desk's scan box")
    tag = held["a_tags"][1]
    await scan(desk, "Scan a tag", tag.lower())
    card = desk.page.locator(f'[data-asset-card="{tag}"]')
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("on loan")
    await expect(card).to_contain_text(f"Loan {held['a']['reference']}")
    await expect(card).to_contain_text("Amina Khan")
    await expect(card.get_by_role("link", name="Return")).to_have_attribute("href", f"/desk/returns?tag={tag}")
    box = desk.page.get_by_label("Scan a tag", exact=True)
    await expect(box).to_have_value("")
    await expect(box).to_be_focused()
    await assert_accessible(desk.page, "an asset card")

    # The next scan replaces the card; a mistyped one says why, and the box keeps what was read, selected.
    await scan(desk, "Scan a tag", held["ready"])
    await expect(desk.page.locator(f'[data-asset-card="{held["ready"]}"]')).to_contain_text("ready")
    wrong = held["ready"][:-1] + ("0" if held["ready"][-1] != "0" else "1")
    await scan(desk, "Scan a tag", wrong)
    await expect(desk.page.get_by_role("alert").filter(has_text="wrong check character")).to_be_visible()
    await expect(desk.page.locator("[data-asset-card]")).to_have_count(0)
    await expect(box).to_have_value(wrong)
    await assert_accessible(desk.page, "a mistyped tag")
    await scan(desk, "Scan a tag", held["b_tags"][0])
    await expect(desk.page.locator(f'[data-asset-card="{held["b_tags"][0]}"]')).to_contain_text("Bilal Ahmed")


@pytest.mark.parametrize("size", sorted(SIZES))
async def test_bulk_return_by_scanning_across_two_loans(open_page, people, size: str) -> None:
    desk = await open_page(people["volunteer"], viewport=SIZES[size])
    held = await setup(desk, people)
    a_tags, b_tags = held["a_tags"], held["b_tags"]
    await desk.go("/desk/returns")
    await assert_accessible(desk.page, "an empty returns basket")
    for tag in [b_tags[1], a_tags[0], a_tags[1]]:
        await scan(desk, "Scan a tag", tag)
        await expect(desk.page.locator(f'[data-basket-item="{tag}"]')).to_be_visible()
    await expect(desk.page.locator("[data-basket-item]")).to_have_count(3)
    await expect(desk.page.locator(f'[data-basket-item="{b_tags[1]}"]')).to_contain_text("Bilal Ahmed")
    await expect(desk.page.locator(f'[data-basket-item="{a_tags[0]}"]')).to_contain_text(held["a"]["reference"])

    # A tag that is not on loan is refused next to the box; the basket stays.
    await scan(desk, "Scan a tag", held["ready"])
    await expect(desk.page.get_by_role("alert").filter(has_text="is not on loan")).to_be_visible()
    await expect(desk.page.locator("[data-basket-item]")).to_have_count(3)
    await assert_accessible(desk.page, "a basket with a refused scan")
    await desk.page.get_by_label("Scan a tag", exact=True).fill("")

    await desk.page.get_by_label(f"Condition of {a_tags[0]}").select_option("damaged")
    await desk.page.get_by_label(f"Charger returned with {a_tags[0]}").select_option("no")
    await desk.page.get_by_role("button", name="Confirm return").click()
    done = desk.page.get_by_role("region", name="Returned")
    await expect(done).to_contain_text(f"Loan {held['a']['reference']} · Amina Khan: nothing still out")
    await expect(done).to_contain_text(f"Loan {held['b']['reference']} · Bilal Ahmed: still out: {b_tags[0]}")
    await expect(desk.page.locator("[data-basket-item]")).to_have_count(0)
    await assert_accessible(desk.page, "returns confirmed")

    async with desk.api() as api:
        a = (await api.get(f"/api/v1/loans/{held['a']['id']}")).json()
    assert a["status"] == "returned"
    assert {i["tag"]: (i["return_condition"], i["charger_returned"]) for i in a["items"]} == {
        a_tags[0]: ("damaged", False),
        a_tags[1]: ("good", None),
    }


async def test_a_scan_while_offline_waits_and_is_sent(open_page, people) -> None:
    desk = await open_page(people["volunteer"], viewport=TABLET)
    held = await setup(desk, people)
    a_tags = held["a_tags"]
    await desk.go("/desk/returns")
    await scan(desk, "Scan a tag", a_tags[0])
    await expect(desk.page.locator(f'[data-basket-item="{a_tags[0]}"]')).to_be_visible()

    await desk.page.context.set_offline(True)
    await scan(desk, "Scan a tag", a_tags[1])
    await expect(desk.page.locator("#connection")).to_be_visible()
    await expect(desk.page.locator("#connection")).to_contain_text("Can't reach the server.")
    waiting = desk.page.locator("[data-pending]")
    await expect(waiting).to_be_visible()
    await expect(waiting).to_contain_text(f"{a_tags[1]}: waiting to send")
    await expect(desk.page.locator(f'[data-basket-item="{a_tags[1]}"]')).to_have_count(0)
    await assert_accessible(desk.page, "a scan waiting to send")

    await desk.page.context.set_offline(False)
    await expect(desk.page.locator(f'[data-basket-item="{a_tags[1]}"]')).to_be_visible()
    await expect(waiting).to_be_hidden()
    await expect(desk.page.locator("#connection")).to_be_hidden()
    await expect(desk.page.locator("[data-basket-item]")).to_have_count(2)
    await desk.page.get_by_role("button", name="Confirm return").click()
    await expect(desk.page.get_by_role("region", name="Returned")).to_contain_text("nothing still out")
