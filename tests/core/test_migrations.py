"""Migrations: an empty database upgraded to head has exactly the models' schema, and downgrades to base."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import lending.models  # noqa: F401
from lending.core import migrations
from lending.core.db import Base


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own, so the shared test database is never downgraded under other tests."""
    shared = os.environ.get("LENDING_TEST_DATABASE_URL")
    if not shared:
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"lending_scratch_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(shared)

    async def run(sql: str) -> None:
        engine = create_async_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}"'))


def schema_state(url: str) -> tuple[list, list[str]]:
    async def inspect_db() -> tuple[list, list[str]]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def look(sync_conn):
                diff = compare_metadata(
                    MigrationContext.configure(sync_conn, opts={"compare_type": True}), Base.metadata
                )
                return diff, inspect(sync_conn).get_table_names()

            result = await conn.run_sync(look)
        await engine.dispose()
        return result

    return asyncio.run(inspect_db())


def test_upgrade_to_head_gives_exactly_the_models_schema(scratch_url):
    migrations.upgrade(scratch_url)
    diff, tables = schema_state(scratch_url)
    assert diff == [], f"models and migrations differ: {diff}"
    assert set(Base.metadata.tables) <= set(tables)


def test_downgrade_to_base_removes_every_table_and_upgrade_again_works(scratch_url):
    migrations.upgrade(scratch_url)
    migrations.downgrade(scratch_url, "base")
    _, tables = schema_state(scratch_url)
    assert [t for t in tables if t != "alembic_version"] == []
    assert migrations.current(scratch_url) == ""
    migrations.upgrade(scratch_url)
    assert "(head)" in migrations.current(scratch_url)
