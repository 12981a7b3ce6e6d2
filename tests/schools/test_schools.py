"""Schools: staff and admins keep them, every signed-in user reads them, a school user only its own."""

from __future__ import annotations

import pytest

from tests.families.conftest import family_data
from tests.support import assert_problem, count_rows

ANDERTON = {
    "name": "  Anderton Park Primary ",
    "urn": "103245",
    "address": "Dennis Road, Balsall Heath",
    "postcode": "b12 8lr",
    "phone": "0121 464 4444",
    "contact_name": "Ms Begum",
    "contact_email": "office@andertonpark.example.org",
}


async def audit_of(client, admin, school_id: int) -> list[dict]:
    response = await client.get(
        "/api/v1/audit", params={"entity": "school", "entity_id": str(school_id)}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize("writer", ["staff", "admin"])
async def test_staff_and_admins_create_read_list_and_update_a_school(client, writer, staff, admin):
    actor = {"staff": staff, "admin": admin}[writer]
    created = await client.post("/api/v1/schools", json=ANDERTON, headers=actor.headers)
    assert created.status_code == 201, created.text
    school = created.json()
    assert school["name"] == "Anderton Park Primary" and school["urn"] == "103245"
    assert school["postcode"] == "B12 8LR" and school["phone"] == "+441214644444"
    assert school["is_active"] is True and school["address"] == "Dennis Road, Balsall Heath"

    shown = await client.get(f"/api/v1/schools/{school['id']}", headers=actor.headers)
    assert shown.status_code == 200 and shown.json() == school

    other = await client.post(
        "/api/v1/schools", json={"name": "Ark Boulton Academy", "urn": "139032"}, headers=actor.headers
    )
    assert other.status_code == 201, other.text
    listing = (await client.get("/api/v1/schools", headers=actor.headers)).json()
    assert [s["name"] for s in listing["items"]] == ["Anderton Park Primary", "Ark Boulton Academy"]
    assert listing["total"] == 2
    for query, names in (
        ({"q": "boulton"}, ["Ark Boulton Academy"]),
        ({"q": "103245"}, ["Anderton Park Primary"]),
        ({"sort": "-name"}, ["Ark Boulton Academy", "Anderton Park Primary"]),
    ):
        found = (await client.get("/api/v1/schools", params=query, headers=actor.headers)).json()
        assert [s["name"] for s in found["items"]] == names, query

    changed = await client.patch(
        f"/api/v1/schools/{school['id']}",
        json={"contact_name": "Mr Hussain", "phone": "0121 464 5555", "is_active": False},
        headers=actor.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**school, "contact_name": "Mr Hussain", "phone": "+441214645555", "is_active": False}
    active = (await client.get("/api/v1/schools", params={"active": "true"}, headers=actor.headers)).json()
    assert [s["name"] for s in active["items"]] == ["Ark Boulton Academy"]

    trail = await audit_of(client, admin, school["id"])
    assert [(e["action"], e["actor_id"]) for e in trail] == [("create", actor.id), ("update", actor.id)]
    assert trail[0]["after"]["urn"] == "103245"
    assert trail[1]["before"] == {"contact_name": "Ms Begum", "phone": "+441214644444", "is_active": True}
    assert trail[1]["after"] == {"contact_name": "Mr Hussain", "phone": "+441214645555", "is_active": False}


async def test_volunteers_read_schools_but_do_not_write_them(client, volunteer, school_a, sessions):
    assert (await client.get(f"/api/v1/schools/{school_a['id']}", headers=volunteer.headers)).json() == school_a
    listing = (await client.get("/api/v1/schools", headers=volunteer.headers)).json()
    assert [s["id"] for s in listing["items"]] == [school_a["id"]]
    assert_problem(
        await client.post("/api/v1/schools", json=ANDERTON | {"urn": "111111"}, headers=volunteer.headers), 403
    )
    assert_problem(
        await client.patch(f"/api/v1/schools/{school_a['id']}", json={"name": "X"}, headers=volunteer.headers), 403
    )
    assert await count_rows(sessions, "school") == 1


async def test_school_users_only_see_their_own_school(client, teacher_a, school_a, school_b):
    listing = (await client.get("/api/v1/schools", headers=teacher_a.headers)).json()
    assert [s["id"] for s in listing["items"]] == [school_a["id"]]
    assert_problem(await client.get(f"/api/v1/schools/{school_b['id']}", headers=teacher_a.headers), 404)
    assert_problem(
        await client.post("/api/v1/schools", json={"name": "X", "urn": "111111"}, headers=teacher_a.headers), 403
    )
    assert_problem(await client.post("/api/v1/families", json=family_data(), headers=teacher_a.headers), 403)
    assert_problem(await client.get("/api/v1/assets", headers=teacher_a.headers), 403)


async def test_a_school_user_finds_its_own_school_and_nothing_else_however_it_asks(
    client, teacher_a, teacher_b, school_a, school_b, staff
):
    own = await client.get(f"/api/v1/schools/{school_a['id']}", headers=teacher_a.headers)
    assert own.status_code == 200 and own.json() == school_a
    # Another school and one that does not exist answer alike, so ids cannot be probed.
    other = assert_problem(await client.get(f"/api/v1/schools/{school_b['id']}", headers=teacher_a.headers), 404)
    missing = assert_problem(await client.get("/api/v1/schools/424242", headers=teacher_a.headers), 404)
    assert other["title"] == missing["title"]
    for query in ({"q": "Ark"}, {"q": school_b["urn"]}, {"active": "true"}, {"sort": "-name"}):
        found = (await client.get("/api/v1/schools", params=query, headers=teacher_a.headers)).json()
        assert school_b["id"] not in [s["id"] for s in found["items"]], query
        assert found["total"] <= 1
    assert_problem(
        await client.patch(f"/api/v1/schools/{school_a['id']}", json={"name": "Renamed"}, headers=teacher_a.headers),
        403,
    )
    assert_problem(
        await client.patch(f"/api/v1/schools/{school_b['id']}", json={"name": "Renamed"}, headers=teacher_a.headers),
        403,
    )
    theirs = (await client.get("/api/v1/schools", headers=teacher_b.headers)).json()
    assert [s["id"] for s in theirs["items"]] == [school_b["id"]]
    assert (await client.get(f"/api/v1/schools/{school_b['id']}", headers=staff.headers)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "urn": "12345"}, "urn"),
        ({"name": "X", "urn": "1234567"}, "urn"),
        ({"name": "X", "urn": "12345a"}, "urn"),
        ({"name": "X"}, "urn"),
        ({"name": "", "urn": "111111"}, "name"),
        ({"urn": "111111"}, "name"),
        ({"name": "X" * 201, "urn": "111111"}, "name"),
        ({"name": "X", "urn": "111111", "postcode": "not a postcode"}, "postcode"),
        ({"name": "X", "urn": "111111", "phone": "12"}, "phone"),
        ({"name": "X", "urn": "111111", "contact_email": "office-at-school"}, "contact_email"),
        ({"name": "X", "urn": "111111", "is_active": "perhaps"}, "is_active"),
        ({"name": "X", "urn": "111111", "address": "A" * 2001}, "address"),
    ],
)
async def test_bad_school_input_is_a_422_naming_the_field_and_writes_nothing(client, staff, sessions, body, field):
    before = await count_rows(sessions, "audit_entry")
    assert_problem(await client.post("/api/v1/schools", json=body, headers=staff.headers), 422, field)
    assert await count_rows(sessions, "school") == 0
    assert await count_rows(sessions, "audit_entry") == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"urn": "12345"}, "urn"),
        ({"name": ""}, "name"),
        ({"postcode": "nope"}, "postcode"),
        ({"phone": "12"}, "phone"),
        ({"contact_email": "nope"}, "contact_email"),
    ],
)
async def test_a_bad_change_is_a_422_naming_the_field_and_changes_nothing(
    client, staff, school_a, sessions, changes, field
):
    before = await count_rows(sessions, "audit_entry")
    assert_problem(
        await client.patch(f"/api/v1/schools/{school_a['id']}", json=changes, headers=staff.headers), 422, field
    )
    assert (await client.get(f"/api/v1/schools/{school_a['id']}", headers=staff.headers)).json() == school_a
    assert await count_rows(sessions, "audit_entry") == before


async def test_schools_urn_is_six_digits_and_unique(client, staff, school_a, sessions):
    assert_problem(
        await client.post("/api/v1/schools", json={"name": "X", "urn": "12345"}, headers=staff.headers), 422, "urn"
    )
    body = assert_problem(
        await client.post("/api/v1/schools", json={"name": "X", "urn": school_a["urn"]}, headers=staff.headers), 409
    )
    assert body["existing_id"] == school_a["id"]
    assert await count_rows(sessions, "school") == 1
    renamed = await client.patch(
        f"/api/v1/schools/{school_a['id']}", json={"contact_name": "Ms Begum"}, headers=staff.headers
    )
    assert renamed.json()["contact_name"] == "Ms Begum"


async def test_a_urn_cannot_be_changed_to_another_schools(client, staff, school_a, school_b, sessions):
    before = await count_rows(sessions, "audit_entry")
    body = assert_problem(
        await client.patch(f"/api/v1/schools/{school_b['id']}", json={"urn": school_a["urn"]}, headers=staff.headers),
        409,
    )
    assert body["existing_id"] == school_a["id"]
    assert await count_rows(sessions, "audit_entry") == before
    # Its own URN again is no conflict.
    same = await client.patch(f"/api/v1/schools/{school_b['id']}", json={"urn": school_b["urn"]}, headers=staff.headers)
    assert same.status_code == 200 and same.json()["urn"] == school_b["urn"]


async def test_an_unknown_school_is_404_for_staff_too(client, staff):
    assert_problem(await client.get("/api/v1/schools/424242", headers=staff.headers), 404)
    assert_problem(await client.patch("/api/v1/schools/424242", json={"name": "X"}, headers=staff.headers), 404)
