from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lending.audit.models import AuditEntry
from lending.families.models import Nomination
from tests.clock import child_environment
from tests.families.conftest import family_data
from tests.support import assert_problem, count_rows


async def test_a_family_needs_consent_and_valid_fields_and_nothing_is_written(client, staff, sessions):
    without_consent = family_data()
    del without_consent["consent_given_on"]
    assert_problem(
        await client.post("/api/v1/families", json=without_consent, headers=staff.headers), 422, "consent_given_on"
    )
    assert_problem(
        await client.post("/api/v1/families", json=family_data(postcode="nowhere"), headers=staff.headers),
        422,
        "postcode",
    )
    assert_problem(
        await client.post("/api/v1/families", json=family_data(phone="12"), headers=staff.headers), 422, "phone"
    )
    assert_problem(
        await client.post("/api/v1/families", json=family_data(imd_decile=11), headers=staff.headers), 422, "imd_decile"
    )
    assert_problem(
        await client.post("/api/v1/families", json=family_data(school_age_children=5), headers=staff.headers),
        422,
        "school_age_children",
    )
    assert_problem(
        await client.post("/api/v1/families", json=family_data(consent_given_on="2099-01-01"), headers=staff.headers),
        422,
        "consent_given_on",
    )
    assert await count_rows(sessions, "family") == 0
    created = await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    assert created.status_code == 201
    body = created.json()
    assert body["postcode"] == "B12 9QT" and body["postcode_district"] == "B12"
    assert body["consent_recorded_by_id"] == staff.id and body["consent_given_on"] == family_data()["consent_given_on"]


async def test_staff_get_409_with_the_existing_id_for_a_duplicate(client, staff, sessions):
    first = (await client.post("/api/v1/families", json=family_data(), headers=staff.headers)).json()
    same_phone = family_data("A. Khan", "+44 7911 123456", "B1 1AA")
    body = assert_problem(await client.post("/api/v1/families", json=same_phone, headers=staff.headers), 409)
    assert body["existing_id"] == first["id"]
    same_name_and_postcode = family_data("AMINA KHAN", "07911 123457", "B12 9QT")
    body = assert_problem(
        await client.post("/api/v1/families", json=same_name_and_postcode, headers=staff.headers), 409
    )
    assert body["existing_id"] == first["id"]
    assert await count_rows(sessions, "family") == 1


async def test_siblings_at_two_schools_become_one_family_when_staff_merge(
    client, nominate, teacher_a, teacher_b, staff
):
    first = await nominate(teacher_a, family=family_data())
    second = await nominate(teacher_b, family=family_data(phone="07911123456"), tablets=1, laptops=0)
    # The second school is not linked to the first school's family: it gets a record of its own, and staff see
    # the pair.
    assert second["family_id"] != first["family_id"] and "linked_to_existing_family" not in second
    pairs = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()
    [pair] = pairs["items"]
    assert (pair["family"]["id"], pair["held_family"]["id"], pair["matched_on"], pair["nomination"]["id"]) == (
        second["family_id"],
        first["family_id"],
        "phone",
        second["id"],
    )
    merged = await client.post(
        f"/api/v1/families/possible-duplicates/{pair['id']}/merge", json={}, headers=staff.headers
    )
    assert merged.status_code == 200, merged.text
    both = (await client.get(f"/api/v1/nominations?family_id={first['family_id']}", headers=staff.headers)).json()
    assert both["total"] == 2
    # The same school cannot open a second nomination for the family while one is open.
    assert_problem(
        await client.post(
            "/api/v1/nominations", json={"family_id": first["family_id"], "sims": 1}, headers=teacher_a.headers
        ),
        409,
    )


async def test_nomination_input_rules(client, staff, teacher_a, school_a, sessions):
    assert_problem(
        await client.post(
            "/api/v1/nominations", json={"family": family_data(), "laptops": 0}, headers=teacher_a.headers
        ),
        422,
        "laptops",
    )
    assert_problem(
        await client.post("/api/v1/nominations", json={"laptops": 1}, headers=teacher_a.headers), 422, "family_id"
    )
    assert_problem(
        await client.post("/api/v1/nominations", json={"family": family_data(), "laptops": 1}, headers=staff.headers),
        422,
        "school_id",
    )
    assert_problem(
        await client.post(
            "/api/v1/nominations",
            json={"family": family_data(), "laptops": 1, "urgency": "panic", "school_id": school_a["id"]},
            headers=staff.headers,
        ),
        422,
        "urgency",
    )
    assert await count_rows(sessions, "family") == 0 and await count_rows(sessions, "nomination") == 0


async def test_decisions_are_kept_on_the_timeline_and_audited(client, staff, admin, nominate, teacher_a):
    made = await nominate(teacher_a, family=family_data(), reason="Three children, one phone")
    nid = made["id"]
    waitlisted = await client.post(
        f"/api/v1/nominations/{nid}/decision",
        json={"decision": "waitlist", "note": "no laptops in stock"},
        headers=staff.headers,
    )
    assert waitlisted.status_code == 200 and waitlisted.json()["status"] == "waitlisted"
    approved = await client.post(
        f"/api/v1/nominations/{nid}/decision", json={"decision": "approve"}, headers=admin.headers
    )
    assert approved.json()["status"] == "approved"
    body = assert_problem(
        await client.post(f"/api/v1/nominations/{nid}/decision", json={"decision": "approve"}, headers=staff.headers),
        409,
    )
    assert body["allowed"] == ["decline", "waitlist"]
    assert_problem(
        await client.post(f"/api/v1/nominations/{nid}/decision", json={"decision": "maybe"}, headers=staff.headers),
        422,
        "decision",
    )
    assert_problem(
        await client.post(
            f"/api/v1/nominations/{nid}/decision", json={"decision": "decline"}, headers=teacher_a.headers
        ),
        403,
    )
    withdrawn = await client.post(
        f"/api/v1/nominations/{nid}/withdraw", json={"note": "moved away"}, headers=teacher_a.headers
    )
    assert withdrawn.json()["status"] == "withdrawn"
    timeline = (await client.get(f"/api/v1/nominations/{nid}", headers=staff.headers)).json()["timeline"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in timeline] == [
        ("submitted", None, "submitted"),
        ("waitlist", "submitted", "waitlisted"),
        ("approve", "waitlisted", "approved"),
        ("withdrawn", "approved", "withdrawn"),
    ]
    assert [e["actor_id"] for e in timeline] == [teacher_a.id, staff.id, admin.id, teacher_a.id]
    assert timeline[1]["note"] == "no laptops in stock"
    trail = (await client.get(f"/api/v1/audit?entity=nomination&entity_id={nid}", headers=admin.headers)).json()
    assert [e["action"] for e in trail["items"]] == ["create", "update", "update", "update"]
    assert trail["items"][1]["after"]["status"] == "waitlisted"


async def test_priority_breakdown_shows_every_factor(client, staff, nominate, teacher_a):
    made = await nominate(teacher_a, family=family_data())  # FSM, PP, IMD 1, 3 children on 1 device, no broadband
    seen = (await client.get(f"/api/v1/nominations/{made['id']}", headers=staff.headers)).json()
    breakdown = {f["factor"]: f["points"] for f in seen["priority_breakdown"]}
    assert breakdown == {
        "free_school_meals": 3,
        "pupil_premium": 2,
        "imd_decile_1_2": 3,
        "child_sharing_device": 2,
        "no_home_broadband": 2,
    }
    assert seen["priority"] == 12 == sum(breakdown.values())


async def test_the_waiting_list_is_in_priority_order_and_counts_weeks_waiting(
    client, staff, nominate, teacher_a, sessions
):
    low = await nominate(
        teacher_a,
        family=family_data(
            "Low",
            "07911 000001",
            "B1 1AA",
            free_school_meals=False,
            pupil_premium=False,
            imd_decile=9,
            devices_at_home=3,
            has_broadband=True,
        ),
    )
    high = await nominate(teacher_a, family=family_data("High", "07911 000002", "B1 1AB", devices_at_home=0))
    mid = await nominate(
        teacher_a, family=family_data("Mid", "07911 000003", "B1 1AD", imd_decile=3, pupil_premium=False)
    )
    closed = await nominate(teacher_a, family=family_data("Gone", "07911 000004", "B1 1AE"))
    for n in (low, high, mid):
        await client.post(
            f"/api/v1/nominations/{n['id']}/decision", json={"decision": "waitlist"}, headers=staff.headers
        )
    await client.post(
        f"/api/v1/nominations/{closed['id']}/decision", json={"decision": "decline"}, headers=staff.headers
    )
    # The low-scoring family has waited five weeks: still behind the others.
    async with sessions() as session, session.begin():
        await session.execute(
            update(Nomination)
            .where(Nomination.id == low["id"])
            .values(submitted_at=datetime.now(UTC) - timedelta(weeks=5, days=2))
        )
    waiting = (
        await client.get("/api/v1/nominations?status=approved,waitlisted&sort=-priority", headers=staff.headers)
    ).json()
    order = [(n["id"], n["priority"]) for n in waiting["items"]]
    assert [i for i, _ in order] == [high["id"], mid["id"], low["id"]]
    assert waiting["total"] == 3
    low_row = waiting["items"][2]
    assert {f["factor"]: f["points"] for f in low_row["priority_breakdown"]} == {"week_waiting": 5}
    assert [p for _, p in order] == sorted([p for _, p in order], reverse=True)
    page = (
        await client.get("/api/v1/nominations?status=waitlisted&sort=-priority&limit=1&offset=1", headers=staff.headers)
    ).json()
    assert [n["id"] for n in page["items"]] == [mid["id"]]


async def test_priority_weights_are_configurable(settings, engine, make_user, school_a, client):
    from litestar.testing import AsyncTestClient

    from lending.app import create_app

    tuned = settings.model_copy(update={"priority_weights": {**settings.priority_weights, "free_school_meals": 10}})
    tuned = type(settings).model_validate(tuned.model_dump())
    app = create_app(tuned)
    async with AsyncTestClient(app=app) as tuned_client:
        staff = await make_user("staff")
        staff_headers = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=str(staff.id))}"}
        made = await tuned_client.post(
            "/api/v1/nominations",
            json={"family": family_data(), "laptops": 1, "school_id": school_a["id"]},
            headers=staff_headers,
        )
        assert made.status_code == 201, made.text
        points = {f["factor"]: f["points"] for f in made.json()["priority_breakdown"]}
    assert points["free_school_meals"] == 10


async def test_imd_is_filled_from_the_loaded_table(client, staff, database_url, tmp_path, sessions):
    path = tmp_path / "imd.csv"
    path.write_text("postcode,imd_decile,lsoa\nb12 9qt,2,E01009321\nB1 1AA,8,E01033620\n")
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}
    result = subprocess.run(
        [sys.executable, "-m", "lending", "import", "imd", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Loaded 2 postcode(s)" in result.stdout
    async with sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "imd_postcode"))).all()
    assert [(a.action, a.actor_label, a.after["rows"]) for a in audited] == [("import", "cli:import imd", 2)]
    looked_up = (await client.post("/api/v1/families", json=family_data(imd_decile=None), headers=staff.headers)).json()
    assert looked_up["imd_decile"] == 2 and looked_up["imd_from_lookup"] is True
    given = (
        await client.post(
            "/api/v1/families", json=family_data("Other", "07911 222222", "B1 1AA", imd_decile=5), headers=staff.headers
        )
    ).json()
    assert given["imd_decile"] == 5 and given["imd_from_lookup"] is False
    moved = (
        await client.patch(f"/api/v1/families/{given['id']}", json={"postcode": "B1 1AA"}, headers=staff.headers)
    ).json()
    assert moved["imd_decile"] == 8
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,imd_decile\nB1 1AA,11\n")
    refused = subprocess.run(
        [sys.executable, "-m", "lending", "import", "imd", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode != 0 and "rows 2" in refused.stderr


async def test_users_api_and_cli_link_school_users_to_a_school(client, admin, school_a, database_url, sessions):
    missing = await client.post(
        "/api/v1/users", json={"email": "t@example.org", "name": "T", "role": "school"}, headers=admin.headers
    )
    assert_problem(missing, 422, "school_id")
    wrong = await client.post(
        "/api/v1/users",
        json={"email": "t@example.org", "name": "T", "role": "staff", "school_id": school_a["id"]},
        headers=admin.headers,
    )
    assert_problem(wrong, 422, "school_id")
    ok = await client.post(
        "/api/v1/users",
        json={"email": "t@example.org", "name": "T", "role": "school", "school_id": school_a["id"]},
        headers=admin.headers,
    )
    assert ok.status_code == 201 and ok.json()["school_id"] == school_a["id"]
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lending",
            "users",
            "create",
            "--email",
            "head@example.org",
            "--name",
            "Head",
            "--role",
            "school",
            "--school-urn",
            school_a["urn"],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "lending",
            "users",
            "create",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "school",
            "--school-urn",
            "999999",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert unknown.returncode != 0 and "999999" in unknown.stderr


async def test_family_search_by_phone_name_and_district(client, staff):
    await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    await client.post("/api/v1/families", json=family_data("Jo Smith", "07911 111111", "B6 4AA"), headers=staff.headers)
    for query, expected in (
        ("q=07911111111", ["Jo Smith"]),
        ("q=khan", ["Amina Khan"]),
        ("postcode_district=b6", ["Jo Smith"]),
        ("sort=-lead_name", ["Jo Smith", "Amina Khan"]),
    ):
        found = (await client.get(f"/api/v1/families?{query}", headers=staff.headers)).json()
        assert [f["lead_name"] for f in found["items"]] == expected, query
