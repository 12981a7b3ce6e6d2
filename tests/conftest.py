"""Test harness: a real database migrated once per run, wiped before each test, and the real app over HTTP.

SQLite by default; set LENDING_TEST_DATABASE_URL=postgresql+asyncpg://... to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

import lending.audit.recorder
import lending.models  # noqa: F401
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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LENDING_TEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'lending-test.db'}"
    )
    migrations.upgrade(url)
    return url


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


async def _wipe(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
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
