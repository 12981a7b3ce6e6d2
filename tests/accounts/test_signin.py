"""The sign-in limit (in the database, shared by every worker), device tokens, and changing one's own password.

Requests come from chosen client addresses through httpx's ASGI transport into the real app, on the test's own
event loop (the app's lifespan too). Argon2 takes a noticeable time per check, so each test makes few real password
checks; where a test needs a long history of an attack, it writes the rows the app itself would have written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from lending.accounts.limits import email_key
from lending.accounts.models import LoginAttempt, Role
from lending.accounts.passwords import hash_password_off_loop, verify_password_off_loop
from lending.app import create_app
from tests.support import PASSWORD, assert_problem, count_rows

TOKEN = "/api/v1/auth/token"


@asynccontextmanager
async def running(*apps: Litestar) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.lifespan())
        yield


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url="http://testserver"
    )


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, device_token: str | None = None
) -> httpx.Response:
    body = {"email": email, "password": password, **({"device_token": device_token} if device_token else {})}
    return await client.post(TOKEN, json=body)


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def attempts_of(sessions, email: str) -> list[LoginAttempt]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(LoginAttempt)
                    .where(LoginAttempt.email_key == email_key(email))
                    .order_by(LoginAttempt.occurred_at)
                )
            ).all()
        )


async def an_attack_happened(sessions, email: str, failures: int, last_at: datetime) -> None:
    """The rows that `failures` failed sign-ins from as many addresses, a millisecond apart up to `last_at`, leave."""
    async with sessions() as session, session.begin():
        session.add_all(
            [
                LoginAttempt(
                    occurred_at=last_at - timedelta(milliseconds=n),
                    address=f"198.18.{n // 250}.{n % 250 + 1}",
                    email_key=email_key(email),
                    succeeded=False,
                )
                for n in range(failures)
            ]
        )


async def time_passes(sessions, seconds: float) -> None:
    """Every recorded attempt moves `seconds` into the past (as if the clock had moved on)."""
    async with sessions() as session, session.begin():
        for attempt in (await session.scalars(select(LoginAttempt))).all():
            attempt.occurred_at -= timedelta(seconds=seconds)


def retry_after(response: httpx.Response) -> int:
    assert_problem(response, 429)
    return int(response.headers["Retry-After"])


async def test_every_worker_counts_the_same_attempts(settings, engine, sessions, make_user):
    """Two app instances on one database, as two `lending serve` workers are: the limit is theirs together."""
    await make_user(Role.staff, email="target@example.org")
    limited = settings.model_copy(update={"login_max_attempts": 3})
    first, second = create_app(limited), create_app(limited)
    async with running(first, second), from_address(first, "192.0.2.7") as a, from_address(second, "192.0.2.7") as b:
        for client in (a, b, a):
            assert_problem(await sign_in(client, "target@example.org", "wrong-password"), 401)
        # Each worker alone has seen fewer than three; together they have seen three.
        assert retry_after(await sign_in(b, "target@example.org")) >= 1
        assert retry_after(await sign_in(a, "target@example.org")) >= 1
    rows = await attempts_of(sessions, "target@example.org")
    assert [r.succeeded for r in rows] == [False, False, False]  # refused attempts are not counted again
    # The table keeps a hash of the email, never the email itself.
    assert all(r.email_key != "target@example.org" and "@" not in r.email_key for r in rows)


async def test_password_spraying_from_one_address_is_limited(settings, engine, sessions, make_user):
    await make_user(Role.staff, email="victim@example.org")
    app = create_app(settings.model_copy(update={"login_max_accounts_per_address": 3}))
    async with (
        running(app),
        from_address(app, "198.51.100.1") as sprayer,
        from_address(app, "198.51.100.2") as elsewhere,
    ):
        for n in range(3):
            assert_problem(await sign_in(sprayer, f"guess{n}@example.org", "Summer2026!"), 401)
        # A fourth account from that address must wait, even with the right password...
        assert retry_after(await sign_in(sprayer, "victim@example.org")) >= 1
        # ...while its owner elsewhere signs in.
        assert (await sign_in(elsewhere, "victim@example.org")).status_code == 200


async def test_an_attacked_account_waits_longer_each_time_but_never_beyond_the_cap(
    settings, engine, sessions, make_user
):
    owner = await make_user(Role.admin, email="chief@example.org")
    app = create_app(
        settings.model_copy(
            update={
                "login_account_free_failures": 3,
                "login_account_max_delay_seconds": 300,
                "login_max_accounts_per_address": 50,
            }
        )
    )
    now = datetime.now(UTC)
    async with running(app), from_address(app, "203.0.113.9") as anyone:
        # Three failures are free; with the fourth, every next attempt waits 2^k seconds after the latest failure.
        await an_attack_happened(sessions, owner.email, 3 + 6, last_at=now)
        assert 64 - 10 <= retry_after(await sign_in(anyone, owner.email)) <= 64
        await an_attack_happened(sessions, owner.email, 1, last_at=datetime.now(UTC))
        assert 128 - 10 <= retry_after(await sign_in(anyone, owner.email)) <= 128
        # However long the attack, the wait stops at the cap: the owner can always try again after it.
        await an_attack_happened(sessions, owner.email, 200, last_at=datetime.now(UTC))
        recorded = len(await attempts_of(sessions, owner.email))
        waits = [retry_after(await sign_in(anyone, owner.email, "guess-after-guess")) for _ in range(3)]
        assert all(300 - 10 <= w <= 300 for w in waits), waits
        # Attempts refused for waiting are not counted, so hammering does not push the wait further out.
        assert len(await attempts_of(sessions, owner.email)) == recorded
        await time_passes(sessions, 301)
        # A real failure after the wait is counted, and the account waits the capped time again.
        assert_problem(await sign_in(anyone, owner.email, "guess-after-guess"), 401)
        assert 300 - 10 <= retry_after(await sign_in(anyone, owner.email)) <= 300
        await time_passes(sessions, 301)
        assert (await sign_in(anyone, owner.email)).status_code == 200
        # The owner's success starts the count again: the next failure is free.
        assert_problem(await sign_in(anyone, owner.email, "one-typo-here"), 401)


async def test_a_device_that_signed_in_before_is_not_locked_out_by_others(settings, engine, sessions, make_user):
    owner = await make_user(Role.admin, email="chief@example.org")
    other = await make_user(Role.staff, email="other@example.org")
    app = create_app(
        settings.model_copy(
            update={"login_max_attempts": 2, "login_account_free_failures": 2, "login_account_max_delay_seconds": 600}
        )
    )
    async with running(app), from_address(app, "192.0.2.50") as office:  # one address shared by many people
        first = await sign_in(office, owner.email)
        assert first.status_code == 200, first.text
        device = first.json()["device_token"]
        other_device = (await sign_in(office, other.email)).json()["device_token"]
        # Someone at the same office guesses the owner's password; a botnet does too, from everywhere.
        for _ in range(2):
            assert_problem(await sign_in(office, owner.email, "guess-guess-guess"), 401)
        await an_attack_happened(sessions, owner.email, 12, last_at=datetime.now(UTC))
        assert retry_after(await sign_in(office, owner.email)) >= 1
        # The owner's device is known to the account: none of that stops it.
        again = await sign_in(office, owner.email, device_token=device)
        assert again.status_code == 200, again.text
        assert (await office.get("/api/v1/me", headers=bearer(again))).json()["id"] == owner.id
        # Another account's device token, or a forged one, is no pass.
        assert retry_after(await sign_in(office, owner.email, device_token=other_device)) >= 1
        nonce = device.split(".")[0]
        assert retry_after(await sign_in(office, owner.email, device_token=f"{nonce}.{'0' * 64}")) >= 1
        # A device token has its own limit: past it, it is a client like any other, and waits with them.
        for _ in range(2):
            assert_problem(await sign_in(office, owner.email, "guess-guess-guess", device_token=device), 401)
        assert retry_after(await sign_in(office, owner.email, device_token=device)) >= 1


async def test_a_password_change_forgets_the_accounts_devices(client, settings, engine, sessions, make_user):
    owner = await make_user(Role.staff, email="sam@example.org")
    first = await sign_in(client, owner.email)
    device = first.json()["device_token"]
    changed = await client.post(
        "/api/v1/me/password",
        headers=bearer(first),
        json={"current_password": PASSWORD, "new_password": "another-long-secret"},
    )
    assert changed.status_code == 200, changed.text
    await an_attack_happened(sessions, owner.email, 12, last_at=datetime.now(UTC))
    assert retry_after(await sign_in(client, owner.email, "another-long-secret", device_token=device)) >= 1
    # The device token handed out with the change is the account's again.
    fresh = changed.json()["device_token"]
    assert (await sign_in(client, owner.email, "another-long-secret", device_token=fresh)).status_code == 200


async def test_a_user_changes_their_own_password_and_every_other_token_ends(
    client, settings, sessions, admin, make_user
):
    staff = await make_user(Role.staff, email="sam@example.org")
    elsewhere = await sign_in(client, staff.email)  # another session of the same user, e.g. at the desk
    assert elsewhere.status_code == 200
    response = await client.post(
        "/api/v1/me/password",
        headers=staff.headers,
        json={"current_password": PASSWORD, "new_password": "a-fresh-long-secret"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == settings.token_ttl_minutes * 60
    # The caller carries on with the fresh token; every token issued before, theirs included, has ended.
    me = await client.get("/api/v1/me", headers=bearer(response))
    assert me.status_code == 200 and me.json()["id"] == staff.id
    assert_problem(await client.get("/api/v1/me", headers=staff.headers), 401)
    assert_problem(await client.get("/api/v1/me", headers=bearer(elsewhere)), 401)
    assert (await sign_in(client, staff.email, "a-fresh-long-secret")).status_code == 200
    assert_problem(await sign_in(client, staff.email, PASSWORD), 401)
    # Audited, with the hash redacted.
    audit = await client.get(
        "/api/v1/audit",
        params={"entity": "user_account", "entity_id": str(staff.id), "user_id": staff.id},
        headers=admin.headers,
    )
    assert audit.status_code == 200, audit.text
    change = [e for e in audit.json()["items"] if e["action"] == "update"]
    assert len(change) == 1
    assert change[0]["after"]["password_hash"] == "[redacted]"
    assert change[0]["after"]["token_version"] == change[0]["before"]["token_version"] + 1


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(settings, engine, sessions, make_user):
    staff = await make_user(Role.staff, email="sam@example.org")
    app = create_app(settings.model_copy(update={"login_max_attempts": 2}))
    path = "/api/v1/me/password"
    async with running(app), from_address(app, "192.0.2.8") as client:
        for new, field in (
            ("short", "new_password"),  # too short
            ("sam@example.org-2", "new_password"),  # the email and a suffix
            ("qwertyuiop", "new_password"),  # a keyboard run
            (PASSWORD, "new_password"),
        ):  # the same as now
            response = await client.post(
                path, headers=staff.headers, json={"current_password": PASSWORD, "new_password": new}
            )
            assert_problem(response, 422, field)
        # A wrong current password is refused by name and counted like a failed sign-in.
        for _ in range(2):
            response = await client.post(
                path,
                headers=staff.headers,
                json={"current_password": "not-my-password", "new_password": "x" * 4 + "-ok-long-one"},
            )
            assert_problem(response, 422, "current_password")
        assert (
            retry_after(
                await client.post(
                    path, headers=staff.headers, json={"current_password": PASSWORD, "new_password": "a-fresh-long-one"}
                )
            )
            >= 1
        )
        # Nothing changed: the old token still opens the API and the old password is still the password.
        assert (await client.get("/api/v1/me", headers=staff.headers)).status_code == 200
    async with running(app), from_address(app, "192.0.2.9") as client:
        assert (await sign_in(client, staff.email)).status_code == 200
    assert await count_rows(sessions, "audit_entry") == 1  # the user's creation only


async def test_every_password_meets_the_one_policy(client, admin, sessions):
    users = "/api/v1/users"
    built_on_email = await client.post(
        users,
        headers=admin.headers,
        json={"email": "jo.bloggs@example.org", "name": "Jo", "role": "staff", "password": "Jo.Bloggs2026"},
    )
    assert_problem(built_on_email, 422, "password")
    common = await client.post(
        users,
        headers=admin.headers,
        json={"email": "jo@example.org", "name": "Jo", "role": "staff", "password": "password123"},
    )
    assert_problem(common, 422, "password")
    assert await count_rows(sessions, "user_account") == 1  # the admin only
    reset = await client.post(f"{users}/{admin.id}/password", headers=admin.headers, json={"password": "1234567890"})
    assert_problem(reset, 422, "password")
    reset = await client.post(
        f"{users}/{admin.id}/password", headers=admin.headers, json={"password": "admin1@example.org"}
    )
    assert_problem(reset, 422, "password")
    assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 200  # nothing was reset


@pytest.mark.real_password_hashing
@pytest.mark.parametrize("work", ["hash", "verify"])
async def test_password_hashing_leaves_the_event_loop_free(work):
    """While argon2 works, other coroutines (other requests) run: it is not run on the event loop's thread."""
    stored = await hash_password_off_loop("a-long-enough-password")
    ticks = 0
    ticks_when_done = None

    async def other_requests() -> None:
        nonlocal ticks
        while ticks_when_done is None:
            ticks += 1
            await asyncio.sleep(0)

    async def hashing() -> None:
        nonlocal ticks_when_done
        if work == "hash":
            await hash_password_off_loop("a-long-enough-password")
        else:
            assert await verify_password_off_loop(stored, "a-long-enough-password")
        ticks_when_done = ticks

    await asyncio.gather(hashing(), other_requests())
    # Had argon2 run on the loop, nothing else could have run until it finished.
    assert ticks_when_done is not None and ticks_when_done > 1
