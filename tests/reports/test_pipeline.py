"""The pipeline: medians and 90th percentiles of the known durations, and the stuck assets, paged."""

from __future__ import annotations

from lending.accounts.models import Role
from tests.reports.conftest import Known
from tests.support import days_ago


async def pipeline(client, actor, **params) -> dict:
    response = await client.get("/api/v1/reports/pipeline", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_durations(client, staff, known: Known) -> None:
    body = await pipeline(client, staff)
    # Received to ready: 4, 5, 10 and 20 days. Median at rank 2.5: 5 + (10-5)/2; 90th at rank 3.7: 10 + 0.7 x 10.
    assert body["received_to_ready"] == {"count": 4, "median_days": 7.5, "p90_days": 17.0}
    # Nomination to loan for the seven loans of the period: 2, 4, 6, 8, 10, 20, 30 days. 90th at rank 6.4.
    assert body["nomination_to_loan"] == {"count": 7, "median_days": 8.0, "p90_days": 24.0}
    # Loans that ended in the period, gifts aside: L3 after 70 days, L8 after 50. 90th at rank 1.9.
    assert body["loan_length"] == {"count": 2, "median_days": 60.0, "p90_days": 68.0}


async def test_durations_in_a_short_period(client, staff, known: Known) -> None:
    body = await pipeline(client, staff, **{"from": days_ago(45), "to": days_ago(0)})
    # A10 became ready 40 days ago after 4 days; L1 (10), L5 (4) and L6 (8) were issued; L3 came back.
    assert body["received_to_ready"] == {"count": 1, "median_days": 4.0, "p90_days": 4.0}
    assert body["nomination_to_loan"] == {"count": 3, "median_days": 8.0, "p90_days": 9.6}
    assert body["loan_length"] == {"count": 1, "median_days": 70.0, "p90_days": 70.0}
    body = await pipeline(client, staff, **{"from": days_ago(5), "to": days_ago(1)})
    empty = {"count": 0, "median_days": None, "p90_days": None}
    assert body["received_to_ready"] == body["nomination_to_loan"] == body["loan_length"] == empty


async def test_stuck_assets_longest_first(client, staff, known: Known) -> None:
    body = await pipeline(client, staff)
    assert body["stuck_days"] == 30
    # Ready 390, 145 and 40 days; received 50 days. Not A3 (returned 20 days ago), nor on loan, retired or gifted.
    assert [(a["tag"], a["status"], a["days"]) for a in body["stuck"]] == [
        (known.assets["A8"], "ready", 390),
        (known.assets["A9"], "ready", 145),
        (known.assets["A11"], "received", 50),
        (known.assets["A10"], "ready", 40),
    ]
    assert body["stuck_total"] == 4
    assert body["stuck"][0]["kind"] == "phone" and body["stuck"][0]["centre_id"] == known.centres["South"]

    body = await pipeline(client, staff, stuck_days=14, limit=2, offset=1, sort="tag")
    # Now also A3 (returned 20 days ago) and the SIM A14 (ready 21 days); A12 is 10 days in refurbishment.
    assert body["stuck_total"] == 6
    tags = sorted(known.assets[name] for name in ("A3", "A8", "A9", "A10", "A11", "A14"))
    assert [a["tag"] for a in body["stuck"]] == tags[1:3]

    body = await pipeline(client, staff, stuck_days=100, centre_id=known.centres["North"])
    assert [a["tag"] for a in body["stuck"]] == [known.assets["A9"]]
    assert body["centre_id"] == known.centres["North"]


async def test_pipeline_csv_lists_every_stuck_asset(client, staff, known: Known) -> None:
    response = await client.get("/api/v1/reports/pipeline.csv", headers=staff.headers)
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "tag,kind,status,centre_id,since,days"
    assert [line.split(",")[0] for line in lines[1:]] == [known.assets[n] for n in ("A8", "A9", "A11", "A10")]
    assert lines[1].endswith(",390")


async def test_only_staff(client, volunteer, make_user, known: Known) -> None:
    school = await make_user(Role.school, school_id=known.schools["Oak"])
    for actor in (volunteer, school):
        for path in ("/api/v1/reports/pipeline", "/api/v1/reports/pipeline.csv"):
            assert (await client.get(path, headers=actor.headers)).status_code == 403
