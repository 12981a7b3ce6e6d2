"""The staff dashboard and a school's figures over HTTP, on a small known world (tests/web/dashboard_data.py): every
figure the pages show, each chart with its table, the lists and the pages they link to, and that no family is named
where only counts belong."""

from __future__ import annotations

import re
from datetime import date

from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from tests.web.conftest import sign_in
from tests.web.dashboard_data import figure, references, table_rows

# Every family's name and phone in the world, and the start of their phone numbers however they are written.
NAMES = (
    "Amina Khan",
    "Joe Bloggs",
    "Chloe Ward",
    "Dev Patel",
    "Erin Walsh",
    "Farah Ali",
    "Gita Rao",
    "07911",
    "+44791",
)


# --- the dashboard ---------------------------------------------------------------------------------------------


async def test_the_dashboard_shows_the_summary_figures(pages: AsyncTestClient, staff, world) -> None:
    await sign_in(pages, staff)
    home = await pages.get("/staff")
    assert home.status_code == 200, home.text
    html = home.text
    assert figure(html, "active") == "5"  # Erin's loan came back
    assert figure(html, "overdue") == "1"
    assert figure(html, "due-soon") == "1"
    assert figure(html, "sims-expiring") == "1"
    assert figure(html, "waiting") == "1"  # Gita's; Farah's was lent against
    assert table_rows(html, "reach")[1:] == [
        ["Families helped", "6", "6"],
        ["Children reached", "18", "18"],
        ["Devices lent", "6", "6"],
        ["SIMs lent", "1", "1"],
        ["Devices gifted", "0", "0"],
    ]
    # What needs doing now is still there, counted from the same summary.
    assert re.search(r'id="count-received">2<', html)
    assert re.search(r'id="count-ready">0<', html)
    assert re.search(r'id="count-decisions">1<', html)


async def test_each_chart_is_an_accessible_svg_with_its_figures_in_a_table(
    pages: AsyncTestClient, staff, world
) -> None:
    await sign_in(pages, staff)
    html = (await pages.get("/staff")).text
    for key in ("stock", "loans-by-month", "reach"):
        section = html[html.index(f'id="chart-{key}"') :]
        section = section[: section.index("</section>")]
        svg = section[section.index("<svg") : section.index("</svg>")]
        assert 'role="img"' in svg and "<title" in svg, key
        assert "<table" in section, key
    stock = dict((r[0], r[1]) for r in table_rows(html, "chart-stock")[1:])
    assert stock == {
        "Received": "2",
        "In refurbishment": "0",
        "Ready to lend": "0",
        "On loan": "6",
        "Returned, to check": "1",
        "In repair": "0",
    }
    months = table_rows(html, "chart-loans-by-month")[1:]
    assert len(months) == 12
    assert months[-1] == [date.today().strftime("%b %Y"), "6", "1"]
    assert all(row[1:] == ["0", "0"] for row in months[:-1])
    # Families under 5 in a district are "<5"; loans stay exact.
    assert table_rows(html, "chart-reach")[1:] == [["B12", "5", "15", "5"], ["B11", "&lt;5", "&lt;5", "1"]]


async def test_the_lists_show_the_first_loans_and_link_to_the_filtered_page(
    pages: AsyncTestClient, staff, world
) -> None:
    world_, _ = world
    await sign_in(pages, staff)
    html = (await pages.get("/staff")).text
    expected = {
        "overdue": ("Joe", "/staff/loans?overdue=true"),
        "due-soon": ("Chloe", "/staff/loans?due_within_days=14"),
        "sim-expiry": ("Amina", "/staff/loans?sim_expiring_within_days=30"),
    }
    for key, (who, href) in expected.items():
        section = html[html.index(f'id="list-{key}"') :]
        section = section[: section.index("</section>")]
        assert references(section) == [world_.loans[who]["reference"]], key
        assert f'href="{href}"' in section
        # The linked page lists the same loans.
        linked = await pages.get(href)
        assert references(linked.text) == [world_.loans[who]["reference"]], href


async def test_the_dashboard_names_no_family(pages: AsyncTestClient, staff, world) -> None:
    await sign_in(pages, staff)
    html = (await pages.get("/staff")).text
    assert [name for name in NAMES if name in html] == []
    assert "9QT" not in html and "4RA" not in html


async def test_the_dashboard_for_one_centre(pages: AsyncTestClient, staff, world) -> None:
    world_, _ = world
    await sign_in(pages, staff)
    html = (await pages.get(f"/staff?centre_id={world_.aston['id']}")).text
    assert "Staff dashboard: Aston Hub" in html
    assert figure(html, "active") == "1"
    assert figure(html, "overdue") == "0"
    assert f'href="/staff/loans?overdue=true&amp;centre_id={world_.aston["id"]}"' in html
    assert "No loan is overdue." in html


async def test_a_bad_centre_is_refused_naming_it(pages: AsyncTestClient, staff) -> None:
    await sign_in(pages, staff)
    for bad in ("0", "abc", "99999999999999999999"):
        answer = await pages.get(f"/staff?centre_id={bad}")
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)
        assert "centre_id" in answer.text


async def test_an_empty_network_draws_empty_charts(pages: AsyncTestClient, staff) -> None:
    await sign_in(pages, staff)
    home = await pages.get("/staff")
    assert home.status_code == 200, home.text
    assert figure(home.text, "active") == "0"
    assert home.text.count('role="img"') >= 3
    assert "No loan is overdue." in home.text


# --- a school's home ------------------------------------------------------------------------------------------


def status_figure(html: str, status: str) -> str:
    match = re.search(rf'data-status="{status}"><span class="value">([^<]+)<', html)
    assert match, f"no figure for {status}"
    return match.group(1)


async def test_a_schools_home_shows_its_own_figures(pages: AsyncTestClient, world) -> None:
    _, teacher = world
    await sign_in(pages, teacher)
    home = await pages.get("/school")
    assert home.status_code == 200, home.text
    html = home.text
    assert status_figure(html, "submitted") == "1"
    assert status_figure(html, "fulfilled") == "1"
    assert status_figure(html, "approved") == "0"
    # Its one family with a loan: counted, but a group under 5 families shows "<5".
    assert table_rows(html, "school-loans") == [
        ["Loans issued", "1"],
        ["Loans returned", "0"],
        ["Families reached", "&lt;5"],
        ["Children reached", "&lt;5"],
    ]
    months = table_rows(html, "chart-loans-by-month")[1:]
    assert months[-1] == [date.today().strftime("%b %Y"), "1", "0"]
    assert 'role="img"' in html


async def test_another_school_counts_none_of_them(pages: AsyncTestClient, world, make_user) -> None:
    await sign_in(pages, await make_user(Role.school))
    html = (await pages.get("/school")).text
    assert status_figure(html, "submitted") == "0"
    assert status_figure(html, "fulfilled") == "0"
    assert table_rows(html, "school-loans")[0] == ["Loans issued", "0"]
    assert table_rows(html, "school-loans")[2] == ["Families reached", "0"]
