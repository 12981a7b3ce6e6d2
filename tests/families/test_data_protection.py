from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lending.families.models import FAMILY_PERSONAL, Family
from tests.clock import child_environment
from tests.families.conftest import family_data
from tests.support import assert_problem

PERSONAL_VALUES = (
    "Amina",
    "Khan",
    "+447911123456",
    "amina@example.org",
    "Ladypool",
    "B12 9QT",
    "Dad works nights",
    "Three children",
)


async def test_export_contains_everything_held(client, admin, staff, nominate, teacher_a):
    made = await nominate(teacher_a, family=family_data(), reason="Three children, one phone")
    await client.post(
        f"/api/v1/nominations/{made['id']}/decision", json={"decision": "approve", "note": "ok"}, headers=staff.headers
    )
    response = await client.get(f"/api/v1/families/{made['family_id']}/export", headers=admin.headers)
    assert response.status_code == 200
    document = response.json()
    family = document["family"]
    for field, value in family_data().items():
        if field not in ("phone", "postcode"):
            assert family[field] == value, field
    assert family["phone"] == "+447911123456" and family["postcode"] == "B12 9QT"
    assert family["consent_recorded_by_id"] == teacher_a.id
    [nomination] = document["nominations"]
    assert nomination["reason"] == "Three children, one phone" and nomination["status"] == "approved"
    assert [e["action"] for e in nomination["timeline"]] == ["submitted", "approve"]
    assert {(a["entity_type"], a["action"]) for a in document["audit"]} >= {
        ("family", "create"),
        ("nomination", "create"),
        ("nomination", "update"),
    }
    assert_problem(await client.get(f"/api/v1/families/{made['family_id']}/export", headers=staff.headers), 403)


async def test_erasure_removes_every_personal_field_and_keeps_report_counts(
    client, admin, staff, nominate, teacher_a, sessions
):
    made = await nominate(teacher_a, family=family_data(), reason="Three children, one phone")
    family_id = made["family_id"]
    await client.post(
        f"/api/v1/nominations/{made['id']}/decision",
        json={"decision": "approve", "note": "Amina called"},
        headers=staff.headers,
    )
    response = await client.post(f"/api/v1/families/{family_id}/erase", headers=admin.headers)
    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["erased"] is True and erased["lead_name"] == f"Erased family {family_id}"
    assert erased["postcode_district"] == "B12"
    assert (erased["children"], erased["school_age_children"], erased["devices_at_home"]) == (3, 3, 1)

    everything = (await client.get(f"/api/v1/families/{family_id}/export", headers=admin.headers)).text
    audit = (await client.get("/api/v1/audit?limit=500", headers=admin.headers)).text
    for value in PERSONAL_VALUES:
        assert value not in everything, value
        assert value not in audit, value
    async with sessions() as session:
        family = (await session.scalars(select(Family).where(Family.id == family_id))).one()
    for name in FAMILY_PERSONAL - {"lead_name", "address", "notes"}:
        assert getattr(family, name) is None, name
    assert family.address == "" and family.notes == "" and family.name_key is None
    # What reports count is still there: the nomination, its status, the district.
    nominations = (await client.get(f"/api/v1/nominations?family_id={family_id}", headers=staff.headers)).json()
    assert nominations["total"] == 1 and nominations["items"][0]["status"] == "approved"
    districts = (await client.get("/api/v1/families?postcode_district=B12", headers=staff.headers)).json()
    assert districts["total"] == 1
    assert_problem(await client.post(f"/api/v1/families/{family_id}/erase", headers=admin.headers), 409)
    assert_problem(
        await client.patch(f"/api/v1/families/{family_id}", json={"children": 1}, headers=staff.headers), 409
    )
    assert_problem(await client.post(f"/api/v1/families/{family_id}/erase", headers=staff.headers), 403)


async def test_an_erased_family_is_not_matched_as_a_duplicate_nor_nominated(client, admin, staff, school_a):
    created = (await client.post("/api/v1/families", json=family_data(), headers=staff.headers)).json()
    await client.post(f"/api/v1/families/{created['id']}/erase", headers=admin.headers)
    again = await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    assert again.status_code == 201 and again.json()["id"] != created["id"]
    assert_problem(
        await client.post(
            "/api/v1/nominations",
            json={"family_id": created["id"], "laptops": 1, "school_id": school_a["id"]},
            headers=staff.headers,
        ),
        409,
    )


async def test_retention_anonymises_only_families_quiet_for_long_enough(client, staff, database_url, sessions):
    old = (await client.post("/api/v1/families", json=family_data(), headers=staff.headers)).json()
    recent = (
        await client.post(
            "/api/v1/families", json=family_data("Jo Smith", "07911 111111", "B6 4AA"), headers=staff.headers
        )
    ).json()
    async with sessions() as session, session.begin():
        await session.execute(
            update(Family).where(Family.id == old["id"]).values(updated_at=datetime.now(UTC) - timedelta(days=800))
        )
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lending", "retention", "--older-than-months", "24", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Would anonymise 1 family(ies)" in dry.stdout and str(old["id"]) in dry.stdout
    async with sessions() as session:
        assert (await session.get(Family, old["id"])).erased_at is None
    real = run()
    assert real.returncode == 0, real.stderr
    assert "Anonymised 1 family(ies)" in real.stdout
    async with sessions() as session:
        assert (await session.get(Family, old["id"])).erased_at is not None
        assert (await session.get(Family, recent["id"])).erased_at is None
