"""A write that answered 2xx is saved; a database that is full, read-only, down or hung answers 503 quickly.

These tests make their own databases (a SQLite file on a small disk, PostgreSQL addresses where nobody answers),
so they run the same whichever database the rest of the suite uses.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text

from lending.app import create_app
from lending.core.db import make_engine
from lending.core.errors import to_problem
from tests.clock import child_environment
from tests.core.availability_support import (
    add_user,
    app_engine,
    bearer,
    closed_port_url,
    fill_disk,
    migrated_sqlite,
    mount_tmpfs,
    read_only,
    settings_for,
    silent_server,
)
from tests.support import PASSWORD, assert_problem

DONOR = {"name": "Acme Ltd", "kind": "business"}


def unavailable(response, reason: str | None = None) -> dict:
    body = assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    if reason is not None:
        assert body["database"] == reason, body
    return body


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    if not mount_tmpfs(where, "4m"):
        pytest.skip(
            "mounting a tmpfs needs root; test_a_database_that_cannot_grow_answers_503_and_keeps_what_it_"
            "had covers a full database without it"
        )
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


async def test_a_commit_that_fails_on_a_full_disk_answers_503_and_saves_nothing(small_disk, caplog):
    database = small_disk / "lending.db"
    url = await migrated_sqlite(database)
    user_id = await add_user(url)
    # An empty write-ahead log: the next commit must claim new disk blocks for it, which a full disk refuses.
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    app = create_app(settings_for(url))
    async with AsyncTestClient(app=app) as client:
        headers = bearer(app, user_id)
        assert (await client.get("/api/v1/donors", headers=headers)).status_code == 200
        filler = fill_disk(small_disk)
        with caplog.at_level(logging.ERROR, logger="lending"):
            response = await client.post("/api/v1/donors", json=DONOR, headers=headers)
        unavailable(response, "full")
        request_id = response.headers["x-request-id"]
        # It was the commit that failed (the INSERT itself only filled SQLite's page cache), and it was logged.
        assert [
            r
            for r in caplog.records
            if r.levelno == logging.ERROR
            and "commit failed" in r.getMessage()
            and request_id in r.getMessage()
            and "full" in r.getMessage()
        ], caplog.text

        filler.unlink()
        assert (await client.get("/api/v1/donors", headers=headers)).json()["total"] == 0
        # With room again, the same request is saved.
        assert (await client.post("/api/v1/donors", json=DONOR, headers=headers)).status_code == 201
        assert (await client.get("/api/v1/donors", headers=headers)).json()["total"] == 1


async def test_a_database_that_cannot_grow_answers_503_and_keeps_what_it_had(tmp_path, caplog):
    """SQLite's own page limit (`max_page_count`) fills the database without a small disk."""
    database = tmp_path / "lending.db"
    url = await migrated_sqlite(database)
    user_id = await add_user(url)
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("VACUUM")  # no free pages left to reuse
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    app = create_app(settings_for(url))
    async with AsyncTestClient(app=app) as client:
        event.listen(
            app_engine(app).sync_engine,
            "connect",
            lambda dbapi, _record: dbapi.cursor().execute(f"PRAGMA max_page_count={pages}"),
        )
        headers = bearer(app, user_id)
        saved, refused = 0, None
        with caplog.at_level(logging.ERROR, logger="lending"):
            for n in range(60):
                response = await client.post(
                    "/api/v1/donors", json={**DONOR, "name": f"Donor {n}", "notes": "x" * 2000}, headers=headers
                )
                if response.status_code != 201:
                    refused = response
                    break
                saved += 1
        assert refused is not None, "the database never filled up"
        unavailable(refused, "full")
        assert refused.headers["x-request-id"] in caplog.text
        assert (await client.get("/api/v1/donors", headers=headers)).json()["total"] == saved


async def test_a_read_only_database_file_is_reported_and_refuses_writes_with_503(tmp_path):
    database = tmp_path / "lending.db"
    url = await migrated_sqlite(database)
    user_id = await add_user(url)
    with read_only(database):
        app = create_app(settings_for(url))
        async with AsyncTestClient(app=app) as client:
            health = await client.get("/health")
            assert health.status_code == 503
            assert health.json()["database"] == "read-only"
            headers = bearer(app, user_id)
            assert (await client.get("/api/v1/donors", headers=headers)).status_code == 200  # reads still work
            unavailable(await client.post("/api/v1/donors", json=DONOR, headers=headers), "read-only")
    app = create_app(settings_for(url))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health")).json()["database"] == "ok"


async def test_an_unreachable_database_answers_503_on_every_route_quickly():
    app = create_app(settings_for(closed_port_url()))
    async with AsyncTestClient(app=app) as client:
        started = time.monotonic()
        health = await client.get("/health")
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        headers = bearer(app, 1)
        # Public, signed in (the user is looked up in the JWT middleware, before any handler), reading, writing.
        unavailable(
            await client.post("/api/v1/auth/token", json={"email": "a@example.org", "password": PASSWORD}),
            "unreachable",
        )
        unavailable(await client.get("/api/v1/me", headers=headers), "unreachable")
        unavailable(await client.get("/api/v1/assets", headers=headers), "unreachable")
        unavailable(await client.post("/api/v1/donors", json=DONOR, headers=headers), "unreachable")
        assert time.monotonic() - started < 20  # refused connections: seconds at most, never a minute


async def test_a_database_that_never_answers_gets_health_in_5_s_and_503_from_the_routes():
    async with silent_server() as port:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/lending"
        # The default connect timeout (5 s): /health gives up sooner.
        app = create_app(settings_for(url))
        async with AsyncTestClient(app=app, timeout=30) as client:
            started = time.monotonic()
            health = await client.get("/health")
            assert time.monotonic() - started < 5
            assert health.status_code == 503 and health.json()["database"] == "unreachable"
        app = create_app(settings_for(url, db_connect_timeout_seconds=1))
        async with AsyncTestClient(app=app, timeout=30) as client:
            started = time.monotonic()
            unavailable(await client.get("/api/v1/me", headers=bearer(app, 1)))
            assert time.monotonic() - started < 10


async def test_a_statement_over_the_timeout_is_cancelled_and_answered_503(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the statement timeout is PostgreSQL's; SQLite's counterpart is the writer queue's wait")
    engine = make_engine(settings_for(database_url, db_statement_timeout_seconds=1))
    started = time.monotonic()
    try:
        with pytest.raises(Exception) as raised:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(20)"))
    finally:
        await engine.dispose()
    assert time.monotonic() - started < 10
    problem = to_problem(raised.value)
    assert problem.status == 503 and problem.headers["Retry-After"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("closed-port", id="postgresql"),
        pytest.param("sqlite+aiosqlite:////nonexistent-dir/lending.db", id="sqlite"),
    ],
)
def test_serve_with_an_unreachable_database_exits_with_one_clear_line(tmp_path, url):
    url = closed_port_url() if url == "closed-port" else url
    env = {"PATH": "/usr/bin:/bin", "LENDING_DATABASE_URL": url, **child_environment()}
    result = subprocess.run(
        [sys.executable, "-m", "lending", "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach the database" in lines[0] and "Traceback" not in result.stderr
