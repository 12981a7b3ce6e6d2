from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import parse_qs

import anyio
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from lending import __version__

log = logging.getLogger("lending.health")

# A monitor must get an answer even from a database that accepts connections and never replies.
HEALTH_TIMEOUT_SECONDS = 3.0


def sqlite_read_only(url: URL) -> bool:
    """Whether SQLite can only read this database file.

    SQLite opens a file it may not write read-only, without a word, and only refuses at the first write. Asking
    the file system what SQLite would be told (a read-only mount, an immutable file, missing write permission)
    answers without taking the write lock; opening the file here would not do, as closing any descriptor of it
    drops this process's SQLite locks.
    """
    database = url.database or ""
    if database.startswith("file:"):
        path, _, query = database[len("file:") :].partition("?")
        options = parse_qs(query)
        if options.get("mode") == ["ro"] or options.get("immutable") == ["1"]:
            return True
    else:
        path = database
    if url.query.get("mode") == "ro":
        return True
    if not path or path == ":memory:":
        return False
    return any(os.path.exists(p) and not os.access(p, os.W_OK) for p in (path, f"{path}-wal", f"{path}-shm"))


async def database_state(engine: AsyncEngine) -> str:
    """`ok`, `read-only` or `unreachable`, within HEALTH_TIMEOUT_SECONDS."""

    async def check() -> str:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        if engine.dialect.name == "sqlite" and await anyio.to_thread.run_sync(sqlite_read_only, engine.url):
            return "read-only"
        return "ok"

    try:
        return await asyncio.wait_for(check(), HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure to reach the database means "not healthy", not a 500
        log.warning("health check: database unreachable: %s", f"{type(exc).__name__}: {exc}".splitlines()[0])
        return "unreachable"


@get(
    "/health",
    exclude_from_auth=True,
    tags=["system"],
    summary="Liveness and database check (no auth)",
    description="`database` is `ok`, `read-only` or `unreachable`; anything but `ok` answers 503.",
    responses={
        503: ResponseSpec(
            dict[str, str], description="The database is unreachable or read-only.", generate_examples=False
        )
    },
)
async def health(db_engine: AsyncEngine) -> Response[dict[str, str]]:
    state = await database_state(db_engine)
    if state != "ok":
        return Response({"status": "error", "database": state, "version": __version__}, status_code=503)
    return Response({"status": "ok", "database": "ok", "version": __version__})
