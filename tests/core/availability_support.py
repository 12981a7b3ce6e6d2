"""Databases of the tests' own making: a SQLite file on a disk that fills up or turns read-only, a PostgreSQL
address where nobody listens, one that accepts and never answers, and a running `lending serve`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from lending.accounts.models import Role
from lending.accounts.service import AccountService, NewUser
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core import migrations
from tests.support import PASSWORD, free_port, stop_serving, wait_until_serving

SECRET = "test-secret-key-that-is-long-enough-for-hs256"


async def migrated_sqlite(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    # Alembic's env runs its own event loop: give it a thread of its own.
    await anyio.to_thread.run_sync(migrations.upgrade, url)
    return url


async def add_user(url: str, role: Role = Role.staff, email: str = "desk@example.org") -> int:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            set_actor(session, user_id=None, label="test-setup")
            user, _ = await AccountService(session).create(
                NewUser(email=email, name="Desk", role=role, password=PASSWORD)
            )
            return user.id
    finally:
        await engine.dispose()


def bearer(app: Litestar, user_id: int) -> dict[str, str]:
    token = app.state.jwt_auth.create_token(identifier=str(user_id), token_expiration=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def app_engine(app: Litestar) -> AsyncEngine:
    """The engine the running app made (its state key is made unique per app by Advanced Alchemy)."""
    return next(v for v in app.state.dict().values() if isinstance(v, AsyncEngine))


def mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
        ).returncode
        == 0
    )


def fill_disk(where: Path) -> Path:
    """Write a file until the file system is full, to the last byte."""
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a database file one this process cannot write. Root ignores file modes, so as root the file is made
    immutable (`chattr +i`); as anyone else it loses its write permission."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=False)
    else:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database server)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


def closed_port_url() -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/lending"


def settings_for(url: str, **extra: object) -> Settings:
    return Settings(database_url=url, secret_key=SECRET, **extra)


@contextlib.contextmanager
def serving(database_url: str, **env: str) -> Iterator[str]:
    """`lending serve` in its own process; yields its base URL."""
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
        "LENDING_DATABASE_URL": database_url,
        "LENDING_REMINDERS_IN_PROCESS": "false",  # no background reminder run: this server is not about it
        "LENDING_LOG_LEVEL": "WARNING",
        "LENDING_SECRET_KEY": SECRET,
        "LENDING_ADMIN_EMAIL": "live-admin@example.org",
        "LENDING_ADMIN_PASSWORD": "live-admin-password",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        stop_serving(process)


@contextlib.asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP into the app on the test's own event loop, so that requests really run side by side.

    Litestar's AsyncTestClient runs the app on a portal thread and blocks the caller until each answer is complete,
    which serialises concurrent requests; this is the app's own lifespan and httpx's ASGI transport instead.
    """
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=120) as client,
    ):
        yield client
