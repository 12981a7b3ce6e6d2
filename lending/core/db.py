"""The database: declarative base, engine and the Litestar SQLAlchemy config.

Importing this module never connects; the engine is made when the app (or a CLI command) starts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import MetaData, event
from sqlalchemy.util import await_only
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from lending.config import Settings


class Base(IdentityAuditBase):
    """Every Lending table: integer id, created_at and updated_at (UTC)."""

    __abstract__ = True
    # Fields whose values never reach the audit log (shown as "[redacted]").
    __audit_redact__: frozenset[str] = frozenset()
    # Models that are themselves a record of history are not audited again.
    __audit__: bool = True


SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is deferred: a transaction that read first and writes later can then fail
    # at once with "database is locked" when another writer got in between. We begin ourselves (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted text is overwritten, not left in free space (erasure)
    cursor.close()


class _WriterQueue:
    """One SQLite transaction at a time per engine, queued in order inside the process.

    SQLite admits one writer; the others retry on a busy handler that sleeps in growing steps (up to 100 ms), which
    makes waits long and unfair under load. Queueing on an asyncio lock first hands the database over as soon as it
    is free. Other processes (the CLI) still meet the busy timeout, as before.
    """

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None

    def begin(self, conn: Any) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        await_only(self._lock.acquire())
        conn.info[_WRITER] = True
        try:
            # Take the write lock as the transaction starts: a check made at its start still holds when it writes,
            # and no transaction fails half-way with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(conn.info)
            raise

    def release(self, info: dict[str, Any]) -> None:
        if info.pop(_WRITER, False) and self._lock is not None and self._lock.locked():
            self._lock.release()


_WRITER = "lending_sqlite_writer"


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                                     hide_parameters=True)  # parameters hold personal data: never in a traceback
        logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines carry every SQL parameter too
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        queue = _WriterQueue()
        event.listen(engine.sync_engine, "begin", queue.begin)
        # The next writer may start as this one commits or rolls back: its BEGIN IMMEDIATE waits the last moment.
        event.listen(engine.sync_engine, "commit", lambda conn: queue.release(conn.info))
        event.listen(engine.sync_engine, "rollback", lambda conn: queue.release(conn.info))
        # A connection handed back in any other way (a cancelled request) must not keep the queue.
        event.listen(engine.sync_engine.pool, "checkin", lambda _dbapi, record: queue.release(record.info))
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def upsert_insert(session: AsyncSession) -> Any:
    """The dialect's own INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it the same way)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def session_maker(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions outside a request (CLI, bootstrap, tests' set-up): same class and options as requests."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alchemy_config(settings: Settings, *, metadata: MetaData | None = None) -> SQLAlchemyAsyncConfig:
    """The Litestar plugin's config; `metadata` other than Lending's own is for the benchmark's yardstick app."""
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        create_engine_callable=lambda _url: make_engine(settings),
        engine_config=EngineConfig(),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Commit once per request when the response is 2xx/3xx, roll back otherwise.
        before_send_handler="autocommit",
        # Lending's schema comes from migrations only; a foreign metadata (the yardstick) is created directly.
        create_all=metadata is not None,
        set_default_exception_handler=False,
        metadata=metadata if metadata is not None else Base.metadata,
    )
