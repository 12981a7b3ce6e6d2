"""SQLite: a write request cancelled in the middle of a statement (its client gone, the server stopping) hands the
writer's turn and SQLite's write lock back at once, not when the statement timeout runs out.

The app runs with a statement timeout (and so a busy timeout) far longer than the test waits: a turn or a lock left
held would make the next write wait for it and fail the test, not merely slow it down.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from lending.accounts.models import Role
from lending.app import create_app
from lending.centres.models import Centre
from tests.core.availability_support import (
    add_user,
    app_engine,
    bearer,
    concurrent_client,
    migrated_sqlite,
    settings_for,
)

LONGER_THAN_THE_TEST = 600  # seconds


@pytest.mark.parametrize("statement", ["INSERT INTO centre", "INSERT INTO audit_entry"])
async def test_a_write_cancelled_mid_statement_releases_the_sqlite_writer_lock(tmp_path, statement):
    url = await migrated_sqlite(tmp_path / "lending.db")
    user_id = await add_user(url, Role.admin)
    app = create_app(settings_for(url, db_statement_timeout_seconds=LONGER_THAN_THE_TEST))
    headers = bearer(app, user_id)
    async with concurrent_client(app) as client:
        first: asyncio.Task | None = None

        def cancel_during(_conn, _cursor, sql: str, *_args) -> None:
            # Runs just before the statement is handed to SQLite's thread, after the writer's turn and BEGIN
            # IMMEDIATE: the request is cancelled while it waits for that statement.
            if sql.startswith(statement) and first is not None and not first.done():
                first.cancel()

        engine = app_engine(app)
        event.listen(engine.sync_engine, "before_cursor_execute", cancel_during)
        try:
            first = asyncio.create_task(
                client.post("/api/v1/centres", json={"name": "Gone Hub", "postcode": "B1 1AA"}, headers=headers)
            )
            with pytest.raises(asyncio.CancelledError):
                await first
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", cancel_during)

        second = await asyncio.wait_for(
            client.post("/api/v1/centres", json={"name": "Next Hub", "postcode": "B2 2AA"}, headers=headers), 60
        )
        assert second.status_code == 201, second.text

    check = create_async_engine(url, poolclass=NullPool)
    try:
        async with async_sessionmaker(check)() as session:
            names = (await session.scalars(select(Centre.name).order_by(Centre.name))).all()
            assert names == ["Next Hub"]  # the cancelled request saved nothing
            assert await session.scalar(select(func.count()).select_from(Centre)) == 1
    finally:
        await check.dispose()
