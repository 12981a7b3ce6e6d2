"""Staff's list of loans over HTTP: each filter the dashboard links to lists what the API lists for it, the family's
contact is shown to staff (who phone families), its CSV is the API's, and bad filters are refused naming the field."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from tests.web.conftest import sign_in
from tests.web.dashboard_data import references


async def test_the_loans_page_lists_what_each_filter_asks_for(pages: AsyncTestClient, staff, world) -> None:
    world_, _ = world
    ref = {who: loan["reference"] for who, loan in world_.loans.items()}
    await sign_in(pages, staff)
    # Opened bare, it lists what is out now, the soonest due first: Joe's (late), Chloe's, then the rest.
    active = (await pages.get("/staff/loans")).text
    assert references(active)[:2] == [ref["Joe"], ref["Chloe"]]
    assert sorted(references(active)) == sorted(r for who, r in ref.items() if who != "Erin")
    assert "5 loans" in active
    overdue = (await pages.get("/staff/loans?overdue=true")).text
    assert references(overdue) == [ref["Joe"]]
    assert "Overdue loans" in overdue and "Overdue 3 days" in overdue
    # Staff phone families: the name and phone are theirs to see, as in the loans CSV.
    assert "Joe Bloggs" in overdue and "+447911100002" in overdue
    sims = (await pages.get("/staff/loans?sim_expiring_within_days=30")).text
    assert references(sims) == [ref["Amina"]]
    assert (date.today() + timedelta(days=10)).isoformat() in sims  # the SIM plan's end, shown for this list
    every = (await pages.get("/staff/loans?status=active,returned,lost,stolen,gifted")).text
    assert sorted(references(every)) == sorted(ref.values())
    returned = (await pages.get("/staff/loans?status=returned")).text
    assert references(returned) == [ref["Erin"]]
    aston = (await pages.get(f"/staff/loans?centre_id={world_.aston['id']}")).text
    assert references(aston) == [ref["Dev"]]


async def test_the_loans_filter_form_sends_blank_fields(pages: AsyncTestClient, staff, world) -> None:
    world_, _ = world
    await sign_in(pages, staff)
    # What the GET form sends when only "Overdue only" is ticked.
    answer = await pages.get(
        "/staff/loans?status=active&centre_id=&due_within_days=&sim_expiring_within_days=&overdue=true"
    )
    # Sent once to the same list without the blanks (the API's filters refuse an empty number).
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/loans?status=active&overdue=true"
    answer = await pages.get(answer.headers["location"])
    assert answer.status_code == 200, answer.text
    assert references(answer.text) == [world_.loans["Joe"]["reference"]]


async def test_bad_filters_are_refused_naming_the_field(pages: AsyncTestClient, staff) -> None:
    await sign_in(pages, staff)
    for query, name in (
        ("due_within_days=-1", "due_within_days"),
        ("sim_expiring_within_days=99999", "sim_expiring_within_days"),
        ("status=borrowed", "status"),
        ("offset=-5", "offset"),
        ("overdue=perhaps", "overdue"),
    ):
        answer = await pages.get(f"/staff/loans?{query}")
        assert 400 <= answer.status_code < 500, (query, answer.status_code)
        assert name in answer.text, query


async def test_the_loans_csv_is_the_apis(pages: AsyncTestClient, client, staff, world) -> None:
    await sign_in(pages, staff)
    page_csv = await pages.get("/staff/loans.csv?overdue=true")
    assert page_csv.status_code == 200
    assert page_csv.headers["content-type"].startswith("text/csv")
    api_csv = await client.get("/api/v1/loans.csv?overdue=true", headers=staff.headers)
    assert page_csv.text == api_csv.text
    (row,) = list(csv.DictReader(io.StringIO(page_csv.text)))
    assert row["lead_name"] == "Joe Bloggs" and row["days_overdue"] == "3"


async def test_volunteers_and_schools_are_refused_the_staff_loans_page(pages: AsyncTestClient, make_user) -> None:
    for role in (Role.volunteer, Role.school):
        await sign_in(pages, await make_user(role))
        for path in ("/staff/loans", "/staff/loans.csv", "/staff"):
            answer = await pages.get(path)
            assert answer.status_code == 403, (role, path)
