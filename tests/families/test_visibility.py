"""A school sees only the families it nominated; a volunteer sees no eligibility evidence."""

from __future__ import annotations

from tests.families.conftest import family_data
from tests.support import assert_problem

EVIDENCE = ("free_school_meals", "pupil_premium", "on_benefits", "imd_decile", "notes", "children", "email")


async def test_a_school_cannot_read_list_update_or_nominate_another_schools_family(
    client, nominate, teacher_a, teacher_b
):
    mine = await nominate(teacher_a, family=family_data())
    theirs = await nominate(teacher_b, family=family_data("Jo Smith", "07911 111111", "B11 1AA"))
    family_b = theirs["family_id"]
    assert_problem(await client.get(f"/api/v1/families/{family_b}", headers=teacher_a.headers), 404)
    assert_problem(
        await client.patch(f"/api/v1/families/{family_b}", json={"children": 4}, headers=teacher_a.headers), 404
    )
    assert_problem(
        await client.post("/api/v1/nominations", json={"family_id": family_b, "laptops": 1}, headers=teacher_a.headers),
        404,
    )
    assert_problem(await client.get(f"/api/v1/nominations/{theirs['id']}", headers=teacher_a.headers), 404)
    assert_problem(
        await client.post(f"/api/v1/nominations/{theirs['id']}/withdraw", json={}, headers=teacher_a.headers), 404
    )
    families = (await client.get("/api/v1/families", headers=teacher_a.headers)).json()
    assert [f["id"] for f in families["items"]] == [mine["family_id"]] and families["total"] == 1
    nominations = (await client.get("/api/v1/nominations", headers=teacher_a.headers)).json()
    assert [n["id"] for n in nominations["items"]] == [mine["id"]]
    # An unknown id looks exactly the same as another school's.
    unknown = await client.get("/api/v1/families/999999", headers=teacher_a.headers)
    other = await client.get(f"/api/v1/families/{family_b}", headers=teacher_a.headers)
    assert unknown.json()["detail"].replace("999999", "X") == other.json()["detail"].replace(str(family_b), "X")
    # Its own family it can read and update.
    own = await client.patch(f"/api/v1/families/{mine['family_id']}", json={"children": 4}, headers=teacher_a.headers)
    assert own.status_code == 200 and own.json()["children"] == 4


async def test_a_volunteer_sees_contact_but_not_evidence(client, staff, volunteer):
    created = (await client.post("/api/v1/families", json=family_data(), headers=staff.headers)).json()
    assert created["free_school_meals"] is True and created["notes"] == "Dad works nights"
    seen = await client.get(f"/api/v1/families/{created['id']}", headers=volunteer.headers)
    assert seen.status_code == 200
    body = seen.json()
    assert body["lead_name"] == "Amina Khan" and body["phone"] == "+447911123456" and body["postcode"] == "B12 9QT"
    for field in EVIDENCE:
        assert field not in body, field
    listing = (await client.get("/api/v1/families?q=amina", headers=volunteer.headers)).json()
    assert listing["total"] == 1
    for field in EVIDENCE:
        assert field not in listing["items"][0]
    assert_problem(
        await client.patch(f"/api/v1/families/{created['id']}", json={"children": 2}, headers=volunteer.headers), 403
    )
    assert_problem(await client.get("/api/v1/nominations", headers=volunteer.headers), 403)


async def test_schools_see_their_nominations_but_never_scores(client, nominate, teacher_a, staff):
    made = await nominate(teacher_a, family=family_data())
    assert "priority" not in made and "priority_breakdown" not in made
    seen = (await client.get(f"/api/v1/nominations/{made['id']}", headers=teacher_a.headers)).json()
    assert seen["status"] == "submitted" and "priority" not in seen and seen["timeline"]
    assert_problem(await client.get("/api/v1/nominations?sort=-priority", headers=teacher_a.headers), 422, "sort")
    staff_view = (await client.get(f"/api/v1/nominations/{made['id']}", headers=staff.headers)).json()
    assert staff_view["priority"] > 0
