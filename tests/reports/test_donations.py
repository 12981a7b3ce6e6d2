"""Per donor: donations, assets, lent, gifted, retired; and a donor's impact, the data its PDF draws."""

from __future__ import annotations

from datetime import date

from lending.accounts.models import Role
from lending.reports.service import ReportService, period_of
from tests.reports.conftest import SECRET_NAME, TODAY, Known, ago
from tests.support import days_ago


def figures(donor_id, name, kind, donations, assets, lent, gifted, retired) -> dict:
    return {
        "donor_id": donor_id,
        "name": name,
        "kind": kind,
        "donations": donations,
        "assets_donated": assets,
        "lent": lent,
        "gifted": gifted,
        "retired": retired,
    }


async def test_donations_in_the_period(client, staff, known: Known) -> None:
    response = await client.get("/api/v1/reports/donations", headers=staff.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    # Acme's donation of 300 days ago (its other, 500 days ago, is out): A1-A4, A6, A9, A10, A13; Jo's: A7, A12.
    assert body["donors"] == [
        figures(known.donors["D1"], "Acme Ltd", "business", 1, 8, 6, 1, 1),
        figures(known.donors["D2"], "Jo Giver", "individual", 1, 2, 1, 0, 0),
    ]
    assert body["total"] == figures(0, "total", "other", 2, 10, 7, 1, 1)


async def test_donations_over_a_longer_period(client, staff, known: Known) -> None:
    body = (await client.get("/api/v1/reports/donations", params={"from": days_ago(600)}, headers=staff.headers)).json()
    assert body["donors"][0] == figures(known.donors["D1"], "Acme Ltd", "business", 2, 9, 6, 1, 2)
    body = (
        await client.get(
            "/api/v1/reports/donations", params={"from": days_ago(5), "to": days_ago(1)}, headers=staff.headers
        )
    ).json()
    assert body["donors"] == []
    assert body["total"] == figures(0, "total", "other", 0, 0, 0, 0, 0)


async def test_donations_csv(client, staff, known: Known) -> None:
    response = await client.get("/api/v1/reports/donations.csv", headers=staff.headers)
    assert response.status_code == 200
    assert response.text.splitlines() == [
        "donor_id,name,kind,donations,assets_donated,lent,gifted,retired",
        f"{known.donors['D1']},Acme Ltd,business,1,8,6,1,1",
        f"{known.donors['D2']},Jo Giver,individual,1,2,1,0,0",
        "0,total,other,2,10,7,1,1",
    ]


async def test_donations_only_staff(client, volunteer, make_user, known: Known) -> None:
    school = await make_user(Role.school, school_id=known.schools["Oak"])
    for actor in (volunteer, school):
        for path in ("/api/v1/reports/donations", "/api/v1/reports/donations.csv"):
            assert (await client.get(path, headers=actor.headers)).status_code == 403


def month(days: int) -> str:
    return ago(days).strftime("%Y-%m")


async def test_donor_impact(sessions, staff_actor, known: Known) -> None:
    async with sessions() as session:
        impact = await ReportService(session).donor_impact(staff_actor, known.donors["D1"])
    assert impact.donor_name == "Acme Ltd" and impact.period is None
    assert [(b.label, b.value) for b in impact.given] == [
        ("chromebook", 1),
        ("desktop", 1),
        ("laptop", 6),
        ("tablet", 1),
    ]
    # Acme's A1, A2, A3, A4, A6 and A9 went out on L1, L2, L3, L4, L5 and L8: to F1-F5, 9 children, all in B12.
    assert impact.devices_reached_families == 6
    assert (impact.families, impact.children) == (5, 9)
    assert [(b.label, b.value) for b in impact.districts] == [("B12", 5)]
    assert [(b.label, b.value) for b in impact.schools] == [("Oak Primary", 5)]
    # Every month from the first loan (L8, 200 days ago) to this one, the months without loans at 0.
    by_month = {b.label: b.value for b in impact.loans_by_month}
    assert min(by_month) == month(200) and max(by_month) == TODAY.strftime("%Y-%m")
    assert list(by_month) == sorted(by_month)
    expected: dict[str, int] = {}
    for days in (30, 60, 90, 120, 10, 200):
        expected[month(days)] = expected.get(month(days), 0) + 1
    assert {k: v for k, v in by_month.items() if v} == expected
    assert SECRET_NAME not in impact.model_dump_json()


async def test_donor_impact_in_a_period(sessions, staff_actor, known: Known) -> None:
    period = period_of(date.fromisoformat(days_ago(65)), TODAY)
    async with sessions() as session:
        impact = await ReportService(session).donor_impact(staff_actor, known.donors["D1"], period)
    # Acme gave nothing in those days; its assets went out on L1, L2 and L5 (F1, F2, F5).
    assert impact.given == []
    assert impact.devices_reached_families == 3
    assert (impact.families, impact.children) == ("<5", "<5")
    assert [(b.label, b.value) for b in impact.districts] == [("B12", "<5")]
    assert len(impact.loans_by_month) == len({month(d) for d in range(0, 66)})


async def test_funder(sessions, staff_actor, known: Known) -> None:
    period = period_of(TODAY.replace(year=TODAY.year - 1), TODAY)
    async with sessions() as session:
        report = await ReportService(session).funder(staff_actor, period)
    reach = report.reach.model_dump()
    assert reach == {"families": 6, "children": 11, "devices_lent": 7, "sims_lent": 2, "devices_gifted": 1}
    assert report.loans.model_dump() == {"active": 4, "overdue": 1, "due_in_14_days": 1}
    assert len(report.loans_by_month) == 13 and sum(g.loans_issued for g in report.loans_by_month) == 7
    assert [(b.label, b.value) for b in report.pipeline] == [
        ("received", 1),
        ("in_refurbishment", 1),
        ("ready", 4),
        ("on_loan", 6),
        ("returned", 1),
        ("retired", 2),
        ("gifted", 2),
    ]
    assert [(g.group, g.loans_issued, g.families) for g in report.districts] == [("B12", 6, 5), ("B11", 1, "<5")]
