"""The dashboard in Chromium on the known world: each chart is an image named by its title and drawn in greys (the
pages' Content-Security-Policy refuses inline styles, so the SVG must draw with its own attributes), the lists lead to
the filtered loans page, the print view keeps figures and charts and drops the controls, and axe finds nothing
serious at tablet and phone sizes; a school's home likewise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from lending.accounts.models import Role
from tests.support import Actor
from tests.web.conftest import DESKTOP, PHONE, TABLET, LiveServer, assert_accessible
from tests.web.dashboard_data import World, make_world


@pytest.fixture
async def live_world(live_server: LiveServer, engine, staff, volunteer, sessions, make_user) -> tuple[World, Actor]:
    """The dashboard's world made through the live server's API (the browser's server)."""

    async def teacher(school_id: int) -> Actor:
        return await make_user(Role.school, school_id=school_id)

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        return await make_world(api, staff, volunteer, sessions, teacher)


CHARTS = (
    "Stock pipeline: assets in each state now",
    "Loans issued each month",
    "Reach by postcode district: families with a loan",
)


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
async def test_the_dashboard_draws_its_charts_and_leads_to_the_lists(
    open_page, live_world: tuple[World, Actor], staff, viewport: dict[str, Any]
) -> None:
    world, _ = live_world
    desk = await open_page(staff, viewport=viewport)
    page = desk.page
    await desk.go("/staff")
    for title in CHARTS:
        chart = page.get_by_role("img", name=title)
        await expect(chart).to_be_visible()
        # Drawn with presentation attributes: a bar is grey with a black outline, not the black of a refused style.
        fill = await chart.locator("rect").last.evaluate("el => getComputedStyle(el).fill")
        assert fill == "rgb(158, 158, 158)", (title, fill)
        table = page.get_by_role("region", name=f"{title}: the figures")
        await expect(table).to_be_visible()
    await expect(page.get_by_role("rowheader", name="B12", exact=True)).to_be_visible()
    await assert_accessible(page, f"dashboard ({viewport['width']}px)")

    await page.get_by_role("link", name="See all 1 (overdue)").click()
    await page.wait_for_url("**/staff/loans?overdue=true")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Overdue loans")
    await expect(page.get_by_role("link", name=world.loans["Joe"]["reference"])).to_be_visible()
    await assert_accessible(page, "overdue loans")

    # The filter form: ticking nothing but "Due back within" 14 days lists Chloe's loan (blank fields and all).
    await page.get_by_label("Overdue only").uncheck()
    await page.get_by_label("Due back within (days)").fill("14")
    await page.get_by_role("button", name="Show loans").click()
    await page.wait_for_url("**/staff/loans?status=active&due_within_days=14")
    await expect(page.get_by_role("link", name=world.loans["Chloe"]["reference"])).to_be_visible()
    await expect(page.get_by_role("link", name=world.loans["Joe"]["reference"])).to_have_count(0)


async def test_the_dashboard_prints_its_figures_and_charts_without_the_controls(
    open_page, live_world: tuple[World, Actor], staff
) -> None:
    desk = await open_page(staff, viewport=DESKTOP)
    page = desk.page
    await desk.go("/staff")
    await page.emulate_media(media="print")
    await expect(page.get_by_label("Figures for")).to_be_hidden()
    await expect(page.get_by_role("navigation", name="Staff pages")).to_be_hidden()
    await expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    for title in CHARTS:
        await expect(page.get_by_role("img", name=title)).to_be_visible()
    await expect(page.locator("#figure-overdue .value")).to_have_text("1")
    pdf = await page.pdf()
    assert pdf.startswith(b"%PDF")


async def test_a_schools_home_shows_its_figures_accessibly(open_page, live_world: tuple[World, Actor]) -> None:
    _, teacher = live_world
    for viewport in (TABLET, PHONE):
        desk = await open_page(teacher, viewport=viewport)
        await desk.go("/school")
        page = desk.page
        await expect(page.locator('[data-status="fulfilled"] .value')).to_have_text("1")
        await expect(page.get_by_role("img", name="Loans to your school's families each month")).to_be_visible()
        await assert_accessible(page, f"school home ({viewport['width']}px)")
