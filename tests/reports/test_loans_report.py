"""The loans report: per month, school, centre, district and kind, the <5 suppression, and a school's own scope."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest

from lending.accounts.models import Role
from tests.reports.conftest import LOANS, SECRET_NAME, SECRET_POSTCODES, TODAY, Known, ago
from tests.support import days_ago

# The default period is the 12 months to today: every loan but L7 (issued 500 days ago).
IN_PERIOD = ["L1", "L2", "L3", "L4", "L5", "L6", "L8"]


def groups(body: dict) -> dict[str, dict]:
    return {g["group"]: {k: v for k, v in g.items() if k != "group"} for g in body["groups"]}


def row(group_id, issued, returned, families, children) -> dict:
    return {
        "group_id": group_id,
        "loans_issued": issued,
        "loans_returned": returned,
        "families": families,
        "children": children,
    }


async def report(client, actor, **params) -> dict:
    response = await client.get("/api/v1/reports/loans", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_by_school(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="school")
    assert body["group_by"] == "school"
    assert body["period"] == {"from": (TODAY.replace(year=TODAY.year - 1)).isoformat(), "to": TODAY.isoformat()}
    # Oak: L1 L2 L3 L4 L5 L8 for F1-F5 (children 1+2+3+1+2), L3 and L8 back; Elm: L6 for F6 only.
    assert groups(body) == {
        "Oak Primary": row(known.schools["Oak"], 6, 2, 5, 9),
        "Elm Academy": row(known.schools["Elm"], 1, 0, "<5", "<5"),
    }
    assert [g["group"] for g in body["groups"]] == ["Oak Primary", "Elm Academy"]
    assert body["total"] == {"group": "total", **row(None, 7, 2, 6, 11)}


async def test_a_loan_without_nomination_has_no_school(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="school", **{"from": days_ago(600)})
    assert groups(body)["no school"] == row(None, 1, 1, "<5", "<5")
    assert body["groups"][-1]["group"] == "no school"
    assert body["total"] == {"group": "total", **row(None, 8, 3, 7, 15)}


async def test_by_postcode_district(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="postcode_district")
    assert groups(body) == {"B12": row(None, 6, 2, 5, 9), "B11": row(None, 1, 0, "<5", "<5")}


async def test_a_family_that_moves_leaves_its_earlier_loans_where_they_reached_it(
    client, staff, known: Known, sessions
) -> None:
    """Loans keep the district (and the school) they reached when issued: a family moving, or its nomination's
    school record changing name, rewrites no past report."""
    from sqlalchemy import update

    from lending.families.models import Family
    from lending.schools.models import School

    before = await report(client, staff, group_by="postcode_district")
    async with sessions() as session, session.begin():
        await session.execute(update(Family).values(postcode_district="B99"))
        await session.execute(update(School).where(School.id == known.schools["Elm"]).values(name="Elm Trust"))
    assert await report(client, staff, group_by="postcode_district") == before
    # A name is looked up, not kept: the school is the same school under its new name.
    assert groups(await report(client, staff, group_by="school"))["Elm Trust"]["group_id"] == known.schools["Elm"]


async def test_by_centre(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="centre")
    # North: L1 L2 L3 L6 L8 (F1 F2 F3 F6); South: L4 L5 (F4 F5).
    assert groups(body) == {
        "North Hub": row(known.centres["North"], 5, 2, "<5", "<5"),
        "South Hub": row(known.centres["South"], 2, 0, "<5", "<5"),
    }


async def test_by_kind(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="kind")
    # A loan counts once under each kind it holds.
    assert groups(body) == {
        "laptop": row(None, 5, 1, "<5", "<5"),
        "sim": row(None, 2, 0, "<5", "<5"),
        "accessory": row(None, 1, 0, "<5", "<5"),
        "chromebook": row(None, 1, 0, "<5", "<5"),
        "tablet": row(None, 1, 1, "<5", "<5"),
    }
    assert [g["group"] for g in body["groups"]] == ["laptop", "sim", "accessory", "chromebook", "tablet"]
    assert body["total"]["loans_issued"] == 7


async def test_by_month_lists_every_month_of_the_period(client, staff, known: Known) -> None:
    body = await report(client, staff)
    assert body["group_by"] == "month"
    first = TODAY.replace(year=TODAY.year - 1)
    labels = [g["group"] for g in body["groups"]]
    assert labels[0] == first.strftime("%Y-%m") and labels[-1] == TODAY.strftime("%Y-%m")
    assert len(labels) == 13 and labels == sorted(labels)
    issued = Counter(known.issued[name].strftime("%Y-%m") for name in IN_PERIOD)
    # Returns count in the month they came back: L3 20 days ago, L8 150 days ago.
    returned = Counter(ago(days).strftime("%Y-%m") for days in (20, 150))
    for group in body["groups"]:
        assert group["loans_issued"] == issued[group["group"]], group
        assert group["loans_returned"] == returned[group["group"]], group
        # No month of this dataset reaches 5 families.
        assert group["families"] == ("<5" if issued[group["group"]] else 0)
    assert sum(g["loans_issued"] for g in body["groups"]) == 7


async def test_a_period_narrows_the_loans(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="school", **{"from": days_ago(65), "to": days_ago(25)})
    # Issued 65..25 days ago: L1 (30), L2 (60), L6 (45); nothing came back in those days.
    assert groups(body) == {
        "Oak Primary": row(known.schools["Oak"], 2, 0, "<5", "<5"),
        "Elm Academy": row(known.schools["Elm"], 1, 0, "<5", "<5"),
    }
    # The last day counts whole: L5 was issued 10 days ago.
    body = await report(client, staff, group_by="centre", **{"from": days_ago(10), "to": days_ago(10)})
    assert groups(body) == {"South Hub": row(known.centres["South"], 1, 0, "<5", "<5")}


async def test_centre_filter(client, staff, known: Known) -> None:
    body = await report(client, staff, group_by="postcode_district", centre_id=known.centres["North"])
    assert body["centre_id"] == known.centres["North"]
    assert groups(body) == {"B12": row(None, 4, 2, "<5", "<5"), "B11": row(None, 1, 0, "<5", "<5")}


async def test_a_school_counts_only_its_own_loans(client, make_user, known: Known) -> None:
    elm = await make_user(Role.school, school_id=known.schools["Elm"])
    body = await report(client, elm, group_by="school")
    assert body["school_id"] == known.schools["Elm"]
    assert groups(body) == {"Elm Academy": row(known.schools["Elm"], 1, 0, "<5", "<5")}
    assert body["total"] == {"group": "total", **row(None, 1, 0, "<5", "<5")}

    oak = await make_user(Role.school, school_id=known.schools["Oak"])
    body = await report(client, oak, group_by="centre", **{"from": days_ago(600)})
    # Not L6 (Elm's) nor L7 (no nomination): Oak's six, wherever they were lent.
    assert groups(body) == {
        "North Hub": row(known.centres["North"], 4, 2, "<5", "<5"),
        "South Hub": row(known.centres["South"], 2, 0, "<5", "<5"),
    }
    assert body["total"] == {"group": "total", **row(None, 6, 2, 5, 9)}


async def test_csv_has_the_same_rows(client, staff, make_user, known: Known) -> None:
    response = await client.get(
        "/api/v1/reports/loans.csv", params={"group_by": "postcode_district"}, headers=staff.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="loans-by-postcode_district.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows == [
        {"group": "B12", "group_id": "", "loans_issued": "6", "loans_returned": "2", "families": "5", "children": "9"},
        {
            "group": "B11",
            "group_id": "",
            "loans_issued": "1",
            "loans_returned": "0",
            "families": "<5",
            "children": "<5",
        },
        {
            "group": "total",
            "group_id": "",
            "loans_issued": "7",
            "loans_returned": "2",
            "families": "6",
            "children": "11",
        },
    ]
    elm = await make_user(Role.school, school_id=known.schools["Elm"])
    rows = list(csv.DictReader(io.StringIO((await client.get("/api/v1/reports/loans.csv", headers=elm.headers)).text)))
    assert rows[-1]["loans_issued"] == "1"


@pytest.mark.parametrize("group_by", ["month", "school", "centre", "postcode_district", "kind"])
async def test_names_nobody(client, staff, known: Known, group_by: str) -> None:
    for path in ("/api/v1/reports/loans", "/api/v1/reports/loans.csv"):
        text = (
            await client.get(path, params={"group_by": group_by, "from": days_ago(600)}, headers=staff.headers)
        ).text
        assert SECRET_NAME not in text
        for postcode in SECRET_POSTCODES:
            assert postcode not in text


async def test_five_families_show_exactly_four_do_not(client, staff, known: Known) -> None:
    # B12 reached F1-F5 in the period; without L5 (F5, issued 10 days ago) it is four families.
    wide = await report(client, staff, group_by="postcode_district", to=days_ago(0))
    narrow = await report(client, staff, group_by="postcode_district", to=days_ago(11))
    assert groups(wide)["B12"]["families"] == 5 and groups(wide)["B12"]["children"] == 9
    assert groups(narrow)["B12"]["families"] == "<5" and groups(narrow)["B12"]["children"] == "<5"
    assert LOANS["L5"][4] == 10 and (TODAY - timedelta(days=11)) < known.issued["L5"]
