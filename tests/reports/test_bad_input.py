"""Bad filters are the client's mistake: a 4xx problem naming the field, never a 500."""

from __future__ import annotations

import pytest

from tests.support import assert_problem, days_ago

REPORTS = ["summary", "loans", "pipeline", "donations"]
PERIODIC = ["loans", "loans.csv", "pipeline", "donations", "donations.csv"]


@pytest.mark.parametrize("report", PERIODIC)
async def test_from_after_to_is_a_400_naming_from(client, staff, report: str) -> None:
    response = await client.get(
        f"/api/v1/reports/{report}", params={"from": days_ago(1), "to": days_ago(2)}, headers=staff.headers
    )
    body = assert_problem(response, 400, "from")
    assert "after" in body["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "not-a-date"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "1999-12-31"}, "from"),
        ({"from": ""}, "from"),
    ],
)
async def test_impossible_dates(client, staff, params: dict, field: str) -> None:
    for report in ("loans", "pipeline", "donations"):
        response = await client.get(f"/api/v1/reports/{report}", params=params, headers=staff.headers)
        assert 400 <= response.status_code < 500, response.text
        assert_problem(response, response.status_code, field)


async def test_a_long_period_with_no_data_is_fine(client, staff) -> None:
    response = await client.get(
        "/api/v1/reports/loans", params={"from": "2000-01-01", "group_by": "month"}, headers=staff.headers
    )
    assert response.status_code == 200
    groups = response.json()["groups"]
    assert groups[0]["group"] == "2000-01" and all(g["loans_issued"] == 0 for g in groups)


@pytest.mark.parametrize(
    ("report", "params", "field"),
    [
        ("loans", {"group_by": "family"}, "group_by"),
        ("loans", {"group_by": ""}, "group_by"),
        ("loans", {"centre_id": "0"}, "centre_id"),
        ("summary", {"centre_id": "-1"}, "centre_id"),
        ("summary", {"centre_id": str(2**63)}, "centre_id"),
        ("summary.csv", {"centre_id": "x"}, "centre_id"),
        ("pipeline", {"stuck_days": "0"}, "stuck_days"),
        ("pipeline", {"stuck_days": "99999999999999999999"}, "stuck_days"),
        ("pipeline", {"sort": "family"}, "sort"),
        ("pipeline", {"limit": "0"}, "limit"),
        ("pipeline.csv", {"stuck_days": "-5"}, "stuck_days"),
    ],
)
async def test_bad_filters_name_their_field(client, staff, report: str, params: dict, field: str) -> None:
    response = await client.get(f"/api/v1/reports/{report}", params=params, headers=staff.headers)
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code, field)


async def test_an_unknown_centre_is_simply_empty(client, staff) -> None:
    body = (await client.get("/api/v1/reports/summary", params={"centre_id": 999}, headers=staff.headers)).json()
    assert body["assets"] == [] and body["loans"] == {"active": 0, "overdue": 0, "due_in_14_days": 0}


@pytest.mark.parametrize("report", REPORTS)
async def test_signed_out_is_401(client, report: str) -> None:
    assert (await client.get(f"/api/v1/reports/{report}")).status_code == 401
