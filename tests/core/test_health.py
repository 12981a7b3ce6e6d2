from __future__ import annotations

from litestar.testing import AsyncTestClient

from lending import __version__
from lending.app import create_app
from lending.config import Settings


async def test_health_needs_no_token_and_checks_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": __version__}


async def test_health_is_503_when_the_database_is_down(tmp_path):
    unreachable = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/x.db", secret_key="k" * 40)
    async with AsyncTestClient(app=create_app(unreachable)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unreachable"


async def test_the_engine_is_tuned_for_its_database(settings):
    from sqlalchemy import text

    from lending.core.db import make_engine

    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
                assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
            else:
                assert engine.dialect.driver == "asyncpg"
                assert engine.pool.size() == settings.db_pool_size
    finally:
        await engine.dispose()
