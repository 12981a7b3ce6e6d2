from __future__ import annotations

from tests.support import assert_problem, count_rows

HUB = {
    "name": "Sparkbrook Hub",
    "address": "1 Stratford Road",
    "postcode": "b11 1aa",
    "phone": "0121 111 1111",
    "opening_hours": "Mon-Fri 10:00-16:00",
}


async def test_staff_create_a_centre_with_a_normalised_postcode(client, staff):
    response = await client.post("/api/v1/centres", json=HUB, headers=staff.headers)
    assert response.status_code == 201, response.text
    centre = response.json()
    assert centre["postcode"] == "B11 1AA"
    assert centre["is_active"] is True
    fetched = await client.get(f"/api/v1/centres/{centre['id']}", headers=staff.headers)
    assert fetched.json() == centre


async def test_every_signed_in_role_reads_centres_but_only_staff_and_admin_write(
    client, staff, volunteer, make_user, admin
):
    school = await make_user("school")
    created = (await client.post("/api/v1/centres", json=HUB, headers=admin.headers)).json()
    for reader in (volunteer, school, staff):
        listing = await client.get("/api/v1/centres", headers=reader.headers)
        assert listing.status_code == 200 and listing.json()["total"] == 1
    for writer in (volunteer, school):
        assert_problem(await client.post("/api/v1/centres", json={**HUB, "name": "Other"}, headers=writer.headers), 403)
        assert_problem(
            await client.patch(f"/api/v1/centres/{created['id']}", json={"name": "Renamed"}, headers=writer.headers),
            403,
        )


async def test_a_bad_postcode_is_422_naming_the_field_and_nothing_is_written(client, staff, sessions):
    for postcode in ("ZZ", "B1 1A", "12345", ""):
        assert_problem(
            await client.post("/api/v1/centres", json={**HUB, "postcode": postcode}, headers=staff.headers),
            422,
            "postcode",
        )
    assert_problem(
        await client.post("/api/v1/centres", json={"postcode": "B1 1AA"}, headers=staff.headers), 422, "name"
    )
    assert await count_rows(sessions, "centre") == 0
    assert await count_rows(sessions, "audit_entry") == 1  # only the test's own user


async def test_names_are_unique_whatever_their_case(client, staff, sessions):
    first = (await client.post("/api/v1/centres", json=HUB, headers=staff.headers)).json()
    body = assert_problem(
        await client.post("/api/v1/centres", json={**HUB, "name": "SPARKBROOK hub"}, headers=staff.headers), 409
    )
    assert body["existing_id"] == first["id"]
    other = (await client.post("/api/v1/centres", json={**HUB, "name": "Aston Hub"}, headers=staff.headers)).json()
    assert_problem(
        await client.patch(f"/api/v1/centres/{other['id']}", json={"name": "Sparkbrook Hub"}, headers=staff.headers),
        409,
    )
    assert await count_rows(sessions, "centre") == 2


async def test_update_changes_only_what_is_sent(client, staff):
    centre = (await client.post("/api/v1/centres", json=HUB, headers=staff.headers)).json()
    response = await client.patch(
        f"/api/v1/centres/{centre['id']}", json={"postcode": "b12 9qt", "is_active": False}, headers=staff.headers
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["postcode"] == "B12 9QT" and updated["is_active"] is False
    assert updated["name"] == HUB["name"] and updated["phone"] == HUB["phone"]
    assert_problem(
        await client.patch(f"/api/v1/centres/{centre['id']}", json={"postcode": "nope"}, headers=staff.headers),
        422,
        "postcode",
    )
    assert_problem(await client.patch("/api/v1/centres/9999", json={"name": "x"}, headers=staff.headers), 404)


async def test_list_filters_sorts_and_paginates(client, staff):
    for name, postcode in (("Cedar", "B1 1AA"), ("Ash", "B2 2BB"), ("Birch", "B3 3DD")):
        await client.post("/api/v1/centres", json={**HUB, "name": name, "postcode": postcode}, headers=staff.headers)
    birch = (await client.get("/api/v1/centres?q=birch", headers=staff.headers)).json()
    assert [c["name"] for c in birch["items"]] == ["Birch"]
    first = (await client.get("/api/v1/centres?limit=2&offset=0", headers=staff.headers)).json()
    second = (await client.get("/api/v1/centres?limit=2&offset=2", headers=staff.headers)).json()
    assert [c["name"] for c in first["items"] + second["items"]] == ["Ash", "Birch", "Cedar"]
    assert first["total"] == 3 and first["limit"] == 2 and second["offset"] == 2
    desc = (await client.get("/api/v1/centres?sort=-name", headers=staff.headers)).json()
    assert [c["name"] for c in desc["items"]] == ["Cedar", "Birch", "Ash"]
    assert_problem(await client.get("/api/v1/centres?sort=colour", headers=staff.headers), 422, "sort")
    assert_problem(await client.get("/api/v1/centres?limit=0", headers=staff.headers), 422, "limit")
