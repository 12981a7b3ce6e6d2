from __future__ import annotations

import re
import time

import jwt

from lending.accounts.models import Role, User
from tests.support import PASSWORD, assert_problem


async def login(client, email: str, password: str = PASSWORD):
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_login_gives_a_bearer_token_that_opens_the_api(client, make_user):
    user = await make_user(Role.staff, email="Sam.Staff@Example.org")
    response = await login(client, "  SAM.staff@example.ORG ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 720 * 60
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user.id
    assert me.json()["email"] == "sam.staff@example.org"
    assert "password_hash" not in me.json()


async def test_wrong_password_and_unknown_email_answer_the_same_401(client, make_user):
    await make_user(Role.staff, email="known@example.org")
    wrong = await login(client, "known@example.org", "not-the-password")
    unknown = await login(client, "nobody@example.org", "not-the-password")
    for response in (wrong, unknown):
        assert_problem(response, 401)
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_every_api_route_needs_a_token(client, app):
    api_paths = sorted({r.path for r in app.routes if r.path.startswith("/api/v1") and r.path != "/api/v1/auth/token"})
    assert api_paths, "no API routes found"
    for path in api_paths:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in ("GET", "POST", "PATCH"):
            response = await client.request(method, concrete, json={})
            if response.status_code == 405:
                continue
            assert_problem(response, 401)


async def test_a_forged_or_expired_token_is_refused(client, settings, staff):
    forged = staff.token[:-4] + ("AAAA" if not staff.token.endswith("AAAA") else "BBBB")
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)
    now = int(time.time())
    expired = jwt.encode(
        {"sub": str(staff.id), "iat": now - 3600, "exp": now - 10}, settings.token_secret(), algorithm="HS256"
    )
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert_problem(response, 401)


async def test_a_role_that_may_not_gets_403(client, volunteer, staff, make_user):
    school = await make_user(Role.school)
    for actor in (volunteer, staff, school):
        assert_problem(await client.get("/api/v1/users", headers=actor.headers), 403)
        assert_problem(await client.get("/api/v1/audit", headers=actor.headers), 403)
    response = await client.post("/api/v1/centres", json={"name": "X", "postcode": "B1 1AA"}, headers=volunteer.headers)
    body = assert_problem(response, 403)
    assert "volunteer" in body["detail"]


async def test_login_attempts_are_rate_limited_per_client_and_email(client, make_user, settings):
    await make_user(Role.staff, email="target@example.org")
    await make_user(Role.staff, email="other@example.org")
    for _ in range(settings.login_max_attempts):
        assert (await login(client, "target@example.org", "guess-guess")).status_code == 401
    limited = await login(client, "target@example.org", PASSWORD)
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    # Another email from the same client is not locked out by the first one's attempts.
    assert (await login(client, "other@example.org")).status_code == 200


async def test_a_deactivated_user_is_signed_out_for_good(client, admin, staff):
    response = await client.patch(f"/api/v1/users/{staff.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_problem(await client.get("/api/v1/me", headers=staff.headers), 401)
    assert_problem(await login(client, staff.email), 401)
    # Made active again, the user signs in anew: tokens from before the deactivation stay dead.
    response = await client.patch(f"/api/v1/users/{staff.id}", json={"is_active": True}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_problem(await client.get("/api/v1/me", headers=staff.headers), 401)
    assert (await login(client, staff.email)).status_code == 200


async def test_a_password_reset_ends_old_tokens_even_from_the_same_second(client, settings, sessions, admin, staff):
    signed_in = await login(client, staff.email)
    assert signed_in.status_code == 200
    fresh = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    response = await client.post(
        f"/api/v1/users/{staff.id}/password", json={"password": "a-brand-new-one"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["generated_password"] is None
    assert_problem(await client.get("/api/v1/me", headers=staff.headers), 401)
    assert_problem(await client.get("/api/v1/me", headers=fresh), 401)
    # JWT times are whole seconds: the same token as if issued in the reset's own second, just before it.
    async with sessions() as session:
        changed_at = (await session.get(User, staff.id)).password_changed_at
    claims = jwt.decode(signed_in.json()["access_token"], options={"verify_signature": False})
    same_second = jwt.encode({**claims, "iat": int(changed_at.timestamp())}, settings.token_secret(), algorithm="HS256")
    assert_problem(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {same_second}"}), 401)
    new = await login(client, staff.email, "a-brand-new-one")
    assert new.status_code == 200
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {new.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == staff.id
    assert (await login(client, staff.email, PASSWORD)).status_code == 401
