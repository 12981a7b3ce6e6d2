from __future__ import annotations

from lending.accounts.models import Role
from tests.support import assert_problem, count_rows


async def test_admin_creates_a_user_with_a_generated_password_shown_once(client, admin):
    response = await client.post(
        "/api/v1/users",
        json={"email": "New.Volunteer@Example.org", "name": "Nia", "role": "volunteer"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == "new.volunteer@example.org"
    assert created["role"] == "volunteer"
    password = created["generated_password"]
    assert password and len(password) >= 10
    token = await client.post("/api/v1/auth/token", json={"email": "new.volunteer@example.org", "password": password})
    assert token.status_code == 200
    again = await client.get(f"/api/v1/users/{created['id']}", headers=admin.headers)
    assert "generated_password" not in again.json()


async def test_email_is_unique_whatever_its_case(client, admin, sessions):
    first = await client.post(
        "/api/v1/users", json={"email": "dup@example.org", "name": "A", "role": "staff"}, headers=admin.headers
    )
    assert first.status_code == 201
    before = await count_rows(sessions, "user_account")
    second = await client.post(
        "/api/v1/users", json={"email": "DUP@Example.org", "name": "B", "role": "staff"}, headers=admin.headers
    )
    body = assert_problem(second, 409)
    assert body["existing_id"] == first.json()["id"]
    assert await count_rows(sessions, "user_account") == before


async def test_bad_user_input_names_the_fields_and_writes_nothing(client, admin, sessions):
    before = await count_rows(sessions, "user_account")
    response = await client.post(
        "/api/v1/users",
        json={"email": "not-an-email", "name": "", "role": "wizard", "password": "short"},
        headers=admin.headers,
    )
    assert_problem(response, 422, "email", "name", "role", "password")
    response = await client.post(
        "/api/v1/users",
        json={"email": "a@example.org", "name": "A", "role": "staff", "home_centre_id": 999},
        headers=admin.headers,
    )
    assert_problem(response, 422, "home_centre_id")
    assert await count_rows(sessions, "user_account") == before


async def test_admin_lists_filters_and_updates_users(client, admin, make_user):
    volunteer = await make_user(Role.volunteer, email="vee@example.org")
    await make_user(Role.staff, email="stan@example.org")
    listing = await client.get("/api/v1/users?role=volunteer", headers=admin.headers)
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 1 and body["items"][0]["email"] == "vee@example.org"
    assert {"items", "total", "limit", "offset"} <= body.keys()
    page = await client.get("/api/v1/users?limit=2&offset=0&sort=-email", headers=admin.headers)
    emails = [u["email"] for u in page.json()["items"]]
    assert emails == sorted(emails, reverse=True) and len(emails) == 2 and page.json()["total"] == 3
    response = await client.patch(
        f"/api/v1/users/{volunteer.id}", json={"role": "staff", "name": "Vee"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "staff" and response.json()["name"] == "Vee"
    # The role change takes effect at once on the same token.
    assert (await client.get("/api/v1/me", headers=volunteer.headers)).json()["role"] == "staff"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(client, admin):
    assert_problem(await client.patch(f"/api/v1/users/{admin.id}", json={"role": "staff"}, headers=admin.headers), 409)
    assert_problem(
        await client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=admin.headers), 409
    )
    assert (await client.get("/api/v1/me", headers=admin.headers)).json()["role"] == "admin"


async def test_unknown_user_is_404(client, admin):
    assert_problem(await client.get("/api/v1/users/424242", headers=admin.headers), 404)
    assert_problem(await client.patch("/api/v1/users/424242", json={"name": "x"}, headers=admin.headers), 404)
