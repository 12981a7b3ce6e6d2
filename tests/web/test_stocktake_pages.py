"""Counting a shelf in the browser and over HTTP: the same counts as /api/v1/stocktakes."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from playwright.async_api import expect

from lending.accounts.models import Role
from tests.loans.conftest import centre, family, issue, other_centre, stock  # noqa: F401
from tests.stocktakes.conftest import count, tags_by_outcome  # noqa: F401
from tests.stocktakes.test_stocktakes import shelf  # noqa: F401
from tests.support import count_rows
from tests.web.conftest import PHONE, TABLET, assert_accessible, csrf, sign_in


async def test_a_count_over_the_pages(pages: AsyncTestClient, volunteer, shelf, centre, sessions, client) -> None:
    await sign_in(pages, volunteer)
    token = await csrf(pages, "/desk/stocktake")
    started = await pages.post("/desk/stocktake", data={"centre_id": str(centre["id"]), "_csrf_token": token})
    assert started.status_code == 303, started.text
    path = started.headers["location"]
    stocktake_id = int(path.rsplit("/", 1)[1])
    # A second start at the same centre carries on with the open count.
    again = await pages.post("/desk/stocktake", data={"centre_id": str(centre["id"]), "_csrf_token": token})
    assert again.headers["location"].startswith(f"{path}?note=")

    for tag in (shelf["found"], shelf["unexpected"], shelf["wrong_status"]):
        scanned = await pages.post(f"{path}/scans", data={"tag": tag, "_csrf_token": token})
        assert scanned.status_code == 303, scanned.text
    bad = await pages.post(f"{path}/scans", data={"tag": "LAP-000999-Q", "_csrf_token": token})
    assert bad.status_code == 422 and "LAP-000999-Q" in bad.text
    assert await count_rows(sessions, "stocktake_scan") == 3

    shown = (await pages.get(path)).text
    for outcome, heading in (("found", "Found"), ("missing", "Missing"), ("unexpected", "Unexpected")):
        section = shown.split(f'id="h-{outcome}">{heading} (1)', 1)
        assert len(section) == 2, (outcome, shown[:2000])
        assert shelf[outcome] in section[1].split("</section>", 1)[0]
    assert "Move it here" in shown

    moved = await pages.post(f"{path}/move", data={"tag": shelf["unexpected"], "_csrf_token": token})
    assert moved.status_code == 303
    finished = await pages.post(f"{path}/finish", data={"_csrf_token": token})
    assert finished.status_code == 303
    detail = (await client.get(f"/api/v1/stocktakes/{stocktake_id}", headers=volunteer.headers)).json()
    assert detail["status"] == "finished" and detail["finished_by_id"] == volunteer.id
    assert tags_by_outcome(detail)["found"] == sorted([shelf["found"], shelf["unexpected"]])
    assert tags_by_outcome(detail)["missing"] == [shelf["missing"]]
    assert "Finish count" not in (await pages.get(path)).text


async def test_schools_cannot_count(pages: AsyncTestClient, make_user) -> None:
    await sign_in(pages, await make_user(Role.school))
    assert (await pages.get("/desk/stocktake")).status_code == 403


async def test_a_stocktake_with_one_missing_and_one_unexpected_in_the_browser(
    open_page, volunteer, shelf, centre
) -> None:
    desk = await open_page(volunteer, viewport=TABLET)
    await desk.go("/desk/stocktake")
    await assert_accessible(desk.page, "stocktake start")
    await desk.page.get_by_label("Centre").select_option(str(centre["id"]))
    await desk.page.get_by_role("button", name="Start counting").click()
    box = desk.page.get_by_label("Scan a tag")
    await expect(box).to_be_focused()
    for tag in (shelf["found"], shelf["unexpected"]):
        # As a USB scanner does: the tag's characters, then Enter.
        await box.press_sequentially(tag)
        await box.press("Enter")
        await desk.page.locator(f"#results .notice:has-text('{tag}')").wait_for()
    found = desk.page.locator(".outcome-found")
    missing = desk.page.locator(".outcome-missing")
    unexpected = desk.page.locator(".outcome-unexpected")
    assert shelf["found"] in await found.inner_text()
    assert shelf["missing"] in await missing.inner_text()
    assert shelf["unexpected"] in await unexpected.inner_text()
    await assert_accessible(desk.page, "stocktake with results")
    await desk.page.get_by_role("button", name=f"Move {shelf['unexpected']} to {centre['name']}").click()
    await desk.page.get_by_role("status").filter(has_text="is now recorded at").wait_for()
    await desk.page.get_by_role("button", name="Finish count").click()
    await desk.page.get_by_role("status").filter(has_text="Count finished and kept.").wait_for()
    assert shelf["missing"] in await desk.page.locator(".outcome-missing").inner_text()
    await desk.page.set_viewport_size(PHONE)
    await assert_accessible(desk.page, "finished stocktake at phone size")
