"""Test harness: a real database migrated once per run, wiped before each test, and the real app over HTTP.

SQLite by default; set LENDING_TEST_DATABASE_URL=postgresql+asyncpg://... to run the same suite on PostgreSQL.
Under pytest-xdist every worker has a database of its own: a SQLite file in its own temporary folder, or on
PostgreSQL a database named after the given one and the worker (`lending_test_gw0`), made and dropped here.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

import lending.audit.recorder
import lending.models  # noqa: F401
from lending.accounts import passwords
from lending.accounts.models import Role
from lending.accounts.service import AccountService, NewUser
from lending.app import create_app
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core import migrations
from lending.core.db import Base
from lending.schools.models import School
from tests.support import PASSWORD, Actor

# LENDING_TEST_CLOCK_SHIFT_DAYS=365 runs the suite a year ahead (tests/clock.py).
pytest_plugins = ["tests.clock"]

# One line per test request is noise in a failure report.
logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    """argon2's real parameters take tens of milliseconds and 64 MiB per hash, for every user a test makes and every
    sign-in: tests hash with the cheapest parameters unless marked `real_password_hashing` (tests about the cost of
    hashing itself). A `lending serve` or CLI subprocess hashes as its own settings say."""
    real = request.node.get_closest_marker("real_password_hashing") is not None
    passwords.use_hash_profile("strong" if real else "fast")
    yield
    passwords.use_hash_profile(None)


def _worker_database(given: str, worker: str) -> str:
    """The given PostgreSQL database, or under xdist one of this worker's own named after it."""
    if worker == "master":
        return given
    url = make_url(given)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


async def _on_server(url: str, *statements: str) -> None:
    # CREATE and DROP DATABASE cannot run in a transaction, nor while connected to the database in question.
    engine = create_async_engine(
        make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("LENDING_TEST_DATABASE_URL")
    if not given:
        # tmp_path_factory's folders are the worker's own under xdist.
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'lending-test.db'}"
        migrations.upgrade(url)
        yield url
        return
    url = _worker_database(given, os.environ.get("PYTEST_XDIST_WORKER", "master"))
    if url == given:
        migrations.upgrade(url)
        yield url
        return
    name = make_url(url).database
    asyncio.run(_on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    try:
        migrations.upgrade(url)
        yield url
    finally:
        asyncio.run(_on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        org_name="Test Lending Network",
        org_phone="0121 000 0000",
        login_max_attempts=5,
        login_window_seconds=60,
    )


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    await _wipe(engine)
    yield engine
    await engine.dispose()


# Children before parents, so that no foreign key objects.
_TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]
# On PostgreSQL, TRUNCATE of every table costs about a second per test (it makes new files for each table); the
# few rows a test leaves are deleted in one round trip instead, and every sequence restarts as TRUNCATE ... RESTART
# IDENTITY would have it.
_PG_WIPE = (
    "DO $$ DECLARE s regclass; BEGIN "
    + " ".join(f'DELETE FROM "{name}";' for name in _TABLES)
    + " FOR s IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = current_schema() LOOP PERFORM setval(s, 1, false); END LOOP; END $$"
)


async def _wipe(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(_PG_WIPE))
        else:
            for name in _TABLES:
                await conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Direct database access for set-up and for checking what was (not) written."""
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app) as client:
        yield client


MakeUser = Callable[..., Awaitable[Actor]]


@pytest.fixture
def make_user(app: Litestar, sessions: async_sessionmaker[AsyncSession]) -> MakeUser:
    """Create a user in the database and give it a real token signed by the app."""
    counter = {"n": 0}

    async def make(
        role: Role | str = Role.staff, *, email: str | None = None, password: str = PASSWORD, **extra: object
    ) -> Actor:
        counter["n"] += 1
        role = Role(role)
        email = email or f"{role.value}{counter['n']}@example.org"
        async with sessions() as session, session.begin():
            set_actor(session, user_id=None, label="test-setup")
            if role is Role.school and "school_id" not in extra:
                school = School(name=f"School {counter['n']}", urn=f"{100000 + counter['n']}", address="")
                session.add(school)
                await session.flush()
                extra["school_id"] = school.id
            user, _ = await AccountService(session).create(
                NewUser(email=email, name=f"{role.value.title()} {counter['n']}", role=role, password=password, **extra)
            )
        token = app.state.jwt_auth.create_token(identifier=str(user.id), token_expiration=timedelta(hours=1))
        return Actor(id=user.id, email=user.email, role=role.value, token=token, school_id=user.school_id)

    return make


@pytest.fixture
async def admin(make_user: MakeUser) -> Actor:
    return await make_user(Role.admin)


@pytest.fixture
async def staff(make_user: MakeUser) -> Actor:
    return await make_user(Role.staff)


@pytest.fixture
async def volunteer(make_user: MakeUser) -> Actor:
    return await make_user(Role.volunteer)
