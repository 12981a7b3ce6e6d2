"""The summary: every figure of the known dataset (tests/reports/conftest.py), exactly."""

from __future__ import annotations

from collections import Counter

from tests.reports.conftest import ASSETS, SECRET_NAME, SECRET_POSTCODES, TODAY, Known, ago


def this_year(*loans: str, known: Known) -> list[str]:
    return [name for name in loans if known.issued[name].year == TODAY.year]


async def test_summary_counts_every_figure(client, staff, known: Known) -> None:
    response = await client.get("/api/v1/reports/summary", headers=staff.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == TODAY.isoformat()
    assert body["centre_id"] is None
    expected_assets = Counter((kind.value, status.value) for kind, status, *_ in ASSETS.values())
    assert {(a["kind"], a["status"]): a["count"] for a in body["assets"]} == expected_assets
    assert body["loans"] == {"active": 4, "overdue": 1, "due_in_14_days": 1}
    assert body["nominations"] == {"waiting": 3, "oldest_wait_days": 40}
    assert body["sims_expiring_in_30_days"] == 1
    # F1-F7 (F1 twice); children 1+2+3+1+2 + 2 + 4; devices A1 A2 A3 A4 A6 A7 A8 A9; SIMs S1 S2; gifted A4.
    assert body["since_start"] == {
        "families": 7,
        "children": 15,
        "devices_lent": 8,
        "sims_lent": 2,
        "devices_gifted": 1,
    }


async def test_summary_this_year(client, staff, known: Known) -> None:
    body = (await client.get("/api/v1/reports/summary", headers=staff.headers)).json()
    # Which loans fall in this calendar year depends on today: count them from the dataset's own dates.
    loans = this_year("L1", "L2", "L3", "L4", "L5", "L6", "L8", known=known)
    families = {"L1": "F1", "L2": "F2", "L3": "F3", "L4": "F4", "L5": "F5", "L6": "F6", "L8": "F1"}
    children = {"F1": 1, "F2": 2, "F3": 3, "F4": 1, "F5": 2, "F6": 2}
    devices = {"L1": 1, "L2": 1, "L3": 1, "L4": 1, "L5": 1, "L6": 1, "L8": 1}
    sims = {"L1": 1, "L6": 1}
    reached = {families[name] for name in loans}
    n = len(reached)

    def shown(value: int) -> int | str:
        return "<5" if 0 < n < 5 else value

    # L4's laptop was gifted 100 days ago.
    gifted_this_year = 1 if ago(100).year == TODAY.year else 0
    assert body["this_year"] == {
        "families": shown(n),
        "children": shown(sum(children[f] for f in reached)),
        "devices_lent": sum(devices[name] for name in loans),
        "sims_lent": sum(sims.get(name, 0) for name in loans),
        "devices_gifted": gifted_this_year,
    }


async def test_summary_for_one_centre(client, staff, known: Known) -> None:
    response = await client.get(
        "/api/v1/reports/summary", params={"centre_id": known.centres["South"]}, headers=staff.headers
    )
    body = response.json()
    expected_assets = Counter((k.value, s.value) for k, s, _, centre, _ in ASSETS.values() if centre == "South")
    assert {(a["kind"], a["status"]): a["count"] for a in body["assets"]} == expected_assets
    assert body["centre_id"] == known.centres["South"]
    # South lent L4 (gifted), L5 (active, due in 30 days) and L7 (returned long ago).
    assert body["loans"] == {"active": 1, "overdue": 0, "due_in_14_days": 0}
    assert body["sims_expiring_in_30_days"] == 0
    assert body["since_start"] == {
        "families": "<5",
        "children": "<5",
        "devices_lent": 3,
        "sims_lent": 0,
        "devices_gifted": 1,
    }
    # Nominations belong to no centre: the waiting list is the network's.
    assert body["nominations"]["waiting"] == 3


async def test_summary_csv_has_the_same_figures(client, staff, known: Known) -> None:
    response = await client.get("/api/v1/reports/summary.csv", headers=staff.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "figure,value"
    figures = dict(line.split(",", 1) for line in lines[1:])
    assert figures["loans.active"] == "4"
    assert figures["loans.overdue"] == "1"
    assert figures["nominations.waiting"] == "3"
    assert figures["nominations.oldest_wait_days"] == "40"
    assert figures["since_start.families"] == "7"
    assert figures["since_start.children"] == "15"
    assert figures["assets.laptop.ready"] == "2"
    assert figures["sims_expiring_in_30_days"] == "1"


async def test_summary_names_nobody(client, staff, volunteer, known: Known) -> None:
    for path in ("/api/v1/reports/summary", "/api/v1/reports/summary.csv"):
        for actor in (staff, volunteer):
            text = (await client.get(path, headers=actor.headers)).text
            assert SECRET_NAME not in text
            assert "Hidden Street" not in text
            for postcode in SECRET_POSTCODES:
                assert postcode not in text


async def test_children_reached_are_those_the_family_had_when_lent_to(client, staff, known: Known, sessions) -> None:
    """A family's count corrected after its loan (or erased with it) does not rewrite what was reported: the summary
    and the loans report both count the children each loan recorded when it was issued."""
    from sqlalchemy import update

    from lending.families.models import Family

    def figures(summary: dict, report: dict) -> tuple[int, int]:
        return summary["since_start"]["children"], report["total"]["children"]

    async def read() -> tuple[int, int]:
        summary = await client.get("/api/v1/reports/summary", headers=staff.headers)
        report = await client.get(
            "/api/v1/reports/loans",
            params={"from": ago(800).date().isoformat(), "to": TODAY.isoformat(), "group_by": "centre"},
            headers=staff.headers,
        )
        assert summary.status_code == 200 and report.status_code == 200, (summary.text, report.text)
        return figures(summary.json(), report.json())

    before = await read()
    assert before[0] == 15
    async with sessions() as session, session.begin():
        await session.execute(update(Family).values(children=Family.children + 3))
    assert await read() == before
