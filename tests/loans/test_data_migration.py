"""Migration 0008 on a database that already holds data: loan endings are given, clashes are named, not hit."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from lending.accounts.models import Role
from lending.accounts.service import AccountService, NewUser
from lending.app import create_app
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core import migrations
from tests.core.test_migrations import scratch_url  # noqa: F401  (a database of its own)
from tests.families.conftest import family_data


async def _lend_and_lose(url: str) -> dict[str, str]:
    """Through the API at head: three loans, ending stolen, lost and returned."""
    settings = Settings(database_url=url, secret_key="test-secret-key-that-is-long-enough-for-hs256")
    engine = create_async_engine(url, poolclass=NullPool)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        user, _ = await AccountService(session).create(
            NewUser(email="staff@example.org", name="Staff", role=Role.staff, password="correct-horse-battery")
        )
    await engine.dispose()
    app = create_app(settings)
    headers = {
        "Authorization": "Bearer "
        + app.state.jwt_auth.create_token(identifier=str(user.id), token_expiration=timedelta(hours=1))
    }
    async with AsyncTestClient(app=app) as client:
        centre = (
            await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "B11 1AA"}, headers=headers)
        ).json()
        family = (await client.post("/api/v1/families", json=family_data(), headers=headers)).json()
        wiped = (date.today() - timedelta(days=1)).isoformat()
        csv_body = "kind,status,make,model,serial_number,wipe_method,wipe_performed_on,wipe_performed_by\n" + "".join(
            f"laptop,ready,Dell,Latitude,SER-{n},manufacturer-reset,{wiped},Workshop\n" for n in range(1, 5)
        )
        imported = await client.post(
            f"/api/v1/assets/import?centre_id={centre['id']}",
            content=csv_body.encode(),
            headers={**headers, "Content-Type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        tags = imported.json()["tags"]
        endings = {}
        for tag, outcome in zip(tags, ("stolen", "lost", "returned"), strict=False):
            loan = (
                await client.post(
                    "/api/v1/loans",
                    json={"family_id": family["id"], "centre_id": centre["id"], "items": [tag]},
                    headers=headers,
                )
            ).json()
            if outcome == "returned":
                done = await client.post(
                    f"/api/v1/loans/{loan['id']}/returns",
                    json={"items": [{"tag": tag, "condition": "good"}]},
                    headers=headers,
                )
            else:
                done = await client.post(
                    f"/api/v1/loans/{loan['id']}/items/{tag}/outcome", json={"outcome": outcome}, headers=headers
                )
            assert done.json()["status"] == outcome, done.text
            endings[loan["reference"]] = outcome
    # The app's pooled engine must let go of the scratch database, or it cannot be dropped afterwards (the plugin
    # does not always dispose it when several apps were made in one process).
    for value in list(app.state.values()):
        if isinstance(value, AsyncEngine):
            await value.dispose()
    return endings


async def _query(url: str, sql: str) -> list[tuple]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        result = await conn.execute(text(sql))
        rows = result.all() if result.returns_rows else []
    await engine.dispose()
    return [tuple(row) for row in rows]


def statuses(url: str) -> dict[str, str]:
    return {f"LN-{i:06d}": s for i, s in asyncio.run(_query(url, "SELECT id, status FROM loan"))}


def test_0008_gives_old_loans_their_ending_and_names_clashes_before_it_starts(scratch_url):
    migrations.upgrade(scratch_url)
    endings = asyncio.run(_lend_and_lose(scratch_url))
    assert statuses(scratch_url) == endings

    # Before 0008, a loan whose item was lost or stolen was closed as returned, and an asset came in when it was
    # recorded, whatever the date of the wipe imported with it.
    migrations.downgrade(scratch_url, "0007")
    assert set(statuses(scratch_url).values()) == {"returned"}
    asyncio.run(_query(scratch_url, "UPDATE asset SET intake_at = created_at"))
    # Serials that differ only in case, and one certificate reference twice, were possible then.
    asyncio.run(_query(scratch_url, "UPDATE asset SET serial_number = 'ser-1' WHERE serial_number = 'SER-4'"))
    with pytest.raises(RuntimeError, match="differ only in case: LAP-"):
        migrations.upgrade(scratch_url)
    assert "0007" in migrations.current(scratch_url)
    asyncio.run(_query(scratch_url, "UPDATE asset SET serial_number = 'SER-4' WHERE serial_number = 'ser-1'"))
    asyncio.run(_query(scratch_url, "UPDATE wipe_certificate SET certificate_reference = 'NW-1'"))
    with pytest.raises(RuntimeError, match="NW-1"):
        migrations.upgrade(scratch_url)
    asyncio.run(_query(scratch_url, "UPDATE wipe_certificate SET certificate_reference = NULL"))

    migrations.upgrade(scratch_url)
    assert statuses(scratch_url) == endings
    # The laptop that never went out came in, for the wipe gate, by the day of the wipe imported with it; the one
    # that came back keeps the moment of its return.
    intake = dict(asyncio.run(_query(scratch_url, "SELECT serial_number, intake_at FROM asset")))
    created = dict(asyncio.run(_query(scratch_url, "SELECT serial_number, created_at FROM asset")))
    assert str(intake["SER-4"])[:10] == (date.today() - timedelta(days=1)).isoformat()
    assert str(intake["SER-3"])[:10] == str(created["SER-3"])[:10] == date.today().isoformat()
    # The generated keys were computed again for every row the table copy carried over.
    keys = asyncio.run(_query(scratch_url, "SELECT make_key, serial_key FROM asset ORDER BY id"))
    assert keys == [("dell", f"ser-{n}") for n in range(1, 5)]
