"""The database: declarative base, engine and the Litestar SQLAlchemy config.

Importing this module never connects; the engine is made when the app (or a CLI command) starts.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

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
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock when the transaction starts: concurrent writers queue (up to the busy timeout) instead of
    # failing, and a check made at the start of a transaction still holds when it writes.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )


def session_maker(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions outside a request (CLI, bootstrap, tests' set-up): same class and options as requests."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        create_engine_callable=lambda _url: make_engine(settings),
        engine_config=EngineConfig(),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Commit once per request when the response is 2xx/3xx, roll back otherwise.
        before_send_handler="autocommit",
        create_all=False,
        set_default_exception_handler=False,
        metadata=Base.metadata,
    )
