"""The stock pages in Chromium: intake by keyboard (a scanner's Enter, Alt+D, a pasted block), a bulk move in the
refurbishment queue, and axe on every stock page at tablet and phone sizes."""

from __future__ import annotations

from datetime import date

import pytest

from tests.inventory.conftest import laptop
from tests.loans.conftest import centre, family, issue, stock
from tests.support import days_ago
from tests.web.conftest import PHONE, TABLET, assert_accessible

__all__ = ["centre", "family", "issue", "stock"]


async def setup_intake(desk) -> tuple[dict, dict]:
    async with desk.api() as api:
        centre = (await api.post("/api/v1/centres", json={"name": "Sparkbrook Hub", "postcode": "B11 1AA"})).json()
        donor = (await api.post("/api/v1/donors", json={"name": "Acme Ltd", "kind": "business"})).json()
    return centre, donor


async def test_intake_by_keyboard_with_copy_and_a_paste(open_page, people) -> None:
    desk = await open_page(people["staff"], viewport=TABLET)
    await setup_intake(desk)
    page = desk.page
    await desk.go("/staff/intake")
    await assert_accessible(page, "intake, empty")
    await page.get_by_label("Donor", exact=True).select_option(label="Acme Ltd")
    await page.locator("#f-centre_id").select_option(label="Sparkbrook Hub")
    await page.locator("#r0-kind").select_option("laptop")
    await page.locator("#r0-make").fill("Dell")
    await page.locator("#r0-model").fill("Latitude 5490")
    serial = page.locator("#r0-serial_number")
    await serial.focus()
    # A scanner types the serial and ends with Enter: the next row's serial, not a submitted form.
    await page.keyboard.type("SCAN-1")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "r1-serial_number"
    assert page.url.endswith("/staff/intake")
    await page.keyboard.press("Alt+d")
    assert await page.locator("#r1-model").input_value() == "Latitude 5490"
    assert await page.locator("#r1-kind").input_value() == "laptop"
    await page.keyboard.type("SCAN-2")
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Copy above into row 3").click()
    assert await page.locator("#r2-make").input_value() == "Dell"
    assert await page.evaluate("document.activeElement.id") == "r2-serial_number"
    await page.keyboard.type("SCAN-3")
    # Ten more rows, here in the page.
    await page.get_by_role("button", name="Add 10 more rows").click()
    assert await page.locator("#r19-serial_number").count() == 1
    assert page.url.endswith("/staff/intake")

    # A block copied from a spreadsheet: its second row lacks a model, which the save will name.
    pasted = "Kind\tMake\tModel\tSerial number\nlaptop\tLenovo\tThinkPad T480\tPF-1\nlaptop\tLenovo\t\tPF-2\n"
    await page.get_by_label("Rows copied from Excel or LibreOffice").fill(pasted)
    await page.get_by_role("button", name="Add pasted rows").click()
    await page.wait_for_load_state()
    assert await page.locator("#r3-serial_number").input_value() == "PF-1"
    assert await page.locator("#r4-serial_number").input_value() == "PF-2"
    assert await page.locator("#r0-serial_number").input_value() == "SCAN-1"
    assert await page.get_by_label("Rows copied from Excel or LibreOffice").input_value() == ""
    await page.get_by_role("button", name="Save donation").first.click()
    await page.wait_for_load_state()
    summary = page.get_by_role("alert").filter(has_text="Nothing was saved")
    assert await summary.get_by_text("Row 5, Model: required for a laptop").is_visible()
    await assert_accessible(page, "intake with an error in a row")
    await page.locator("#r4-model").fill("ThinkPad T480")
    await page.get_by_role("button", name="Save donation").first.click()
    await page.wait_for_url("**/staff/intake/*")
    assert await page.get_by_role("heading", name="Donation saved").is_visible()
    assert await page.get_by_text("5 items from Acme Ltd").is_visible()
    labels = await page.get_by_role("link", name="Print their labels").get_attribute("href")
    assert labels is not None and labels.startswith("/desk/labels?tags=")
    await assert_accessible(page, "donation saved")
    donation_id = page.url.rsplit("/", 1)[1]
    async with desk.api() as api:
        assets = (await api.get(f"/api/v1/donations/{donation_id}")).json()["assets"]
    assert [a["serial_number"] for a in assets] == ["SCAN-1", "SCAN-2", "SCAN-3", "PF-1", "PF-2"]
    assert labels.endswith("%2C".join(a["tag"] for a in assets))
    # The form is done with: a new intake starts empty, not with the rows kept while typing.
    await desk.go("/staff/intake")
    assert await page.locator("#r0-serial_number").input_value() == ""


async def test_refurbishment_bulk_move(open_page, people) -> None:
    desk = await open_page(people["staff"], viewport=PHONE)
    centre, donor = await setup_intake(desk)
    async with desk.api() as api:
        body = {
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": days_ago(3),
            "items": [laptop("R-1"), laptop("R-2"), {"kind": "accessory", "model": "USB-C charger"}],
        }
        tags = [a["tag"] for a in (await api.post("/api/v1/donations", json=body)).json()["assets"]]
        for tag in tags:
            moved = await api.post(f"/api/v1/assets/{tag}/transitions", json={"to": "in_refurbishment"})
            assert moved.status_code == 200, moved.text
        wipe = {"method": "manufacturer-reset", "performed_on": date.today().isoformat(), "performed_by": "Sam"}
        assert (await api.post(f"/api/v1/assets/{tags[0]}/wipes", json=wipe)).status_code == 201
    wiped, unwiped, charger = tags
    page = desk.page
    await desk.go("/staff/refurbishment")
    await assert_accessible(page, "refurbishment, received")
    await page.get_by_role("link", name="In refurbishment (3)").click()
    await page.wait_for_load_state()
    await page.get_by_label("Choose all on this page").check()
    assert [await page.get_by_label(t, exact=True).is_checked() for t in tags] == [True] * 3
    await assert_accessible(page, "refurbishment, in refurbishment")
    await page.get_by_role("button", name="Move to ready").click()
    await page.wait_for_load_state()
    alert = page.get_by_role("alert").filter(has_text="Nothing was moved")
    assert await alert.get_by_role("link", name=unwiped).is_visible()
    assert await alert.get_by_role("link", name=wiped).count() == 0
    await assert_accessible(page, "refurbishment, a move refused")
    # What was chosen stays chosen: take out the one without a wipe, and move the rest.
    assert await page.get_by_label(wiped, exact=True).is_checked()
    await page.get_by_label(unwiped, exact=True).uncheck()
    await page.get_by_role("button", name="Move to ready").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("status").filter(has_text="Moved 2 to ready").is_visible()
    async with desk.api() as api:
        statuses = [(await api.get(f"/api/v1/assets/{t}")).json()["status"] for t in tags]
    assert statuses == ["ready", "in_refurbishment", "ready"]
    assert charger


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
async def test_every_stock_page_is_accessible(open_page, people, stock, issue, client, volunteer, viewport) -> None:
    (sim,) = await stock("sim")
    loan = (await issue(sim)).json()
    lost = await client.post(
        f"/api/v1/loans/{loan['id']}/items/{sim}/outcome", json={"outcome": "lost"}, headers=volunteer.headers
    )
    assert lost.status_code == 200, lost.text
    desk = await open_page(people["admin"], viewport=viewport)
    page = desk.page
    async with desk.api() as api:
        donor = (await api.post("/api/v1/donors", json={"name": "Acme Ltd", "kind": "business"})).json()
        centres = (await api.get("/api/v1/centres")).json()["items"]
        body = {"donor_id": donor["id"], "centre_id": centres[0]["id"], "received_on": days_ago(1)}
        donation = (await api.post("/api/v1/donations", json={**body, "items": [laptop("P-1")]})).json()
    tag = donation["assets"][0]["tag"]
    for path in (
        "/staff/intake",
        f"/staff/intake/{donation['id']}",
        "/staff/refurbishment",
        f"/staff/refurbishment/{tag}/wipe",
        "/staff/sims",
    ):
        await desk.go(path)
        await assert_accessible(page, path)
    assert await page.get_by_role("button", name=f"Mark barred {sim}").is_visible()
    await page.get_by_label("Network's reference").fill("EE-1")
    await page.get_by_role("button", name=f"Mark barred {sim}").click()
    await page.wait_for_load_state()
    assert await page.get_by_text("No SIM is waiting to be barred").is_visible()
    await assert_accessible(page, "sims, none left")
    await desk.go(f"/staff/refurbishment/{tag}/wipe")
    await page.get_by_label("Method").select_option("blancco")
    await page.get_by_role("button", name="Record wipe").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("alert").is_visible()
    await assert_accessible(page, "wipe with an error")


async def test_rows_typed_are_kept_through_a_reload(open_page, people) -> None:
    desk = await open_page(people["staff"], viewport=TABLET)
    await setup_intake(desk)
    page = desk.page
    await desk.go("/staff/intake")
    await page.get_by_role("button", name="Add 10 more rows").click()
    await page.locator("#r15-serial_number").fill("KEPT-15")
    await page.locator("#r0-model").fill("Latitude 5490")
    # The server could not be reached, or the tab was reloaded: what was typed is still there, in its row.
    await page.reload()
    assert await page.locator("#r15-serial_number").input_value() == "KEPT-15"
    assert await page.locator("#r0-model").input_value() == "Latitude 5490"
