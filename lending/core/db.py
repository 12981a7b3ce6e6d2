"""The database: declarative base, engine and the Litestar SQLAlchemy config.

Importing this module never connects; the engine is made when the app (or a CLI command) starts.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import socket
from typing import Any

from advanced_alchemy.base import IdentityAuditBase
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from lending.config import Settings

log = logging.getLogger("lending.db")


class Base(IdentityAuditBase):
    """Every Lending table: integer id, created_at and updated_at (UTC)."""

    __abstract__ = True
    # Fields whose values never reach the audit log (shown as "[redacted]").
    __audit_redact__: frozenset[str] = frozenset()
    # Bookkeeping no one edits (counters, rate-limit attempts, idempotency answers): never audited.
    __audit__: bool = True
    # A history table (who did what, when, why): writing its row is the record, so its creation is not audited
    # again; a later change to it (erasure blanking a note) is a change to data and is.
    __audit_history__: bool = False


def enum_type(members: type[enum.StrEnum], length: int) -> Enum:
    """A column typed as its enum: Python reads and writes members, the database keeps the value as text.

    The CHECK constraints the migrations wrote stay the database's rule, so no new constraint or native type is made
    and the schema does not change.
    """
    return Enum(
        members,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda cls: [m.value for m in cls],
    )


def _sqlite_pragmas(busy_timeout_ms: int, mmap_bytes: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # No implicit BEGIN from the driver: transactions are begun below, when their first statement shows
        # whether they read or write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:  # a read-only file still serves reads; /health reports it
            log.warning("could not switch the database to WAL journalling: %s", exc)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted text is overwritten, not left in free space (erasure)
        cursor.execute(f"PRAGMA mmap_size={mmap_bytes}")
        cursor.close()

    return on_connect


class DatabaseBusy(Exception):
    """The SQLite writer queue did not come free within the statement timeout."""


READ, WRITE, NEUTRAL = "read", "write", "neutral"
_READ_WORDS = {"SELECT", "EXPLAIN", "VALUES"}
_NEUTRAL_WORDS = {"RELEASE", "PRAGMA", "COMMIT", "END", "ROLLBACK", "BEGIN"}
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def statement_kind(statement: str, context: Any) -> str:
    """Whether a statement reads, writes (or locks rows to write them next), or neither.

    Anything not recognised as a read counts as a write: taking the writer lock needlessly is slow, not wrong.
    """
    compiled = getattr(context, "compiled", None)
    element = getattr(compiled, "statement", None)
    if getattr(element, "_for_update_arg", None) is not None:
        # SQLite drops FOR UPDATE; the service meant "what I read now, I change next": that read must see the
        # newest data and nobody may write in between, so it is treated as the transaction's first write.
        return WRITE
    words = statement.lstrip(" \t\r\n(").split(None, 2)
    first = words[0].upper() if words else ""
    if first in _READ_WORDS:
        return READ
    if first == "WITH":
        return WRITE if _DML.search(statement) else READ
    if first == "ROLLBACK" and len(words) > 1 and words[1].upper() == "TO":
        return NEUTRAL
    if first in _NEUTRAL_WORDS:
        return NEUTRAL
    return WRITE


class _WriterQueue:
    """SQLite transactions read freely and queue, in order, only from their first write.

    Every transaction begins DEFERRED: reads see a WAL snapshot and never wait for a writer or hold anyone up.
    At its first write (or `SELECT ... FOR UPDATE`) a transaction takes this process's writer lock, an asyncio
    lock, so writers queue in order instead of on SQLite's sleeping busy handler (which makes waits long and
    unfair under load), then holds SQLite's own write lock with BEGIN IMMEDIATE until it commits or rolls back.

    A transaction that read before its first write restarts its snapshot at that point: upgrading the old one
    would fail with SQLITE_BUSY_SNAPSHOT whenever another writer committed in between. What it read before then
    is as current as a PostgreSQL READ COMMITTED read, which is what the services are written for: they lock what
    they check-then-change with `with_for_update()`, which here starts the write (and on PostgreSQL locks rows).
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._lock: asyncio.Lock | None = None
        self._timeout = timeout_seconds

    def before_statement(
        self, conn: Any, cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool
    ) -> None:
        kind = statement_kind(statement, context)
        if kind == NEUTRAL:
            return
        dbapi = conn.connection.dbapi_connection
        in_transaction = dbapi.driver_connection.in_transaction
        holds = conn.info.get(_WRITER, False)
        if holds and not in_transaction:
            # SQLite rolled the transaction back itself (disk full, I/O error): its earlier writes are gone, so
            # going on would commit only the rest.
            cursor.close()
            raise DatabaseBusy("the transaction was rolled back by the database after an error")
        if kind == READ or holds:
            if not in_transaction:
                _run(dbapi, "BEGIN")
            return
        self._acquire(conn.info, cursor)
        try:
            if in_transaction:
                _run(dbapi, "ROLLBACK")  # only reads so far: nothing to keep but a stale snapshot
            _run(dbapi, "BEGIN IMMEDIATE")
        except BaseException:
            self.release(conn.info)
            cursor.close()
            raise

    def _acquire(self, info: dict[str, Any], cursor: Any) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            await_only(asyncio.wait_for(self._lock.acquire(), self._timeout))
        except TimeoutError:
            cursor.close()
            raise DatabaseBusy(f"no turn to write within {self._timeout:g} s") from None
        info[_WRITER] = True

    def transaction_ended(self, conn: Any) -> None:
        if conn.invalidated or conn.closed:
            # Cut off mid-statement (a cancelled request): the connection no longer knows its record, and asking
            # raises, which would replace the cancellation and stop the rollback. The pool's invalidate event,
            # which still has the record, gives the turn back.
            return
        self.release(conn.info)

    def release(self, info: dict[str, Any]) -> None:
        if info.pop(_WRITER, False) and self._lock is not None and self._lock.locked():
            self._lock.release()


def _run(dbapi_connection: Any, sql: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


_WRITER = "lending_sqlite_writer"


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    statement_timeout = settings.db_statement_timeout_seconds
    if settings.is_sqlite:
        engine = create_async_engine(
            url, connect_args={"timeout": statement_timeout}, hide_parameters=True
        )  # parameters hold personal data: never in a traceback
        logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines carry every SQL parameter too
        event.listen(
            engine.sync_engine,
            "connect",
            _sqlite_pragmas(int(statement_timeout * 1000), settings.sqlite_mmap_mb * 2**20),
        )
        queue = _WriterQueue(statement_timeout)
        event.listen(engine.sync_engine, "before_cursor_execute", queue.before_statement)
        # The next writer may start as this one commits or rolls back: its BEGIN IMMEDIATE waits the last moment.
        event.listen(engine.sync_engine, "commit", queue.transaction_ended)
        event.listen(engine.sync_engine, "rollback", queue.transaction_ended)
        # A connection handed back in any other way must not keep the queue; nor one dropped because a request was
        # cancelled mid-statement (the pool closes it, and SQLite's own lock with it).
        for name in ("checkin", "invalidate", "close"):
            event.listen(engine.sync_engine.pool, name, lambda _dbapi, record, *_: queue.release(record.info))
        return engine
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        # A request waits this long for a free connection before it is answered 503.
        pool_timeout=statement_timeout,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            # The server cancels a statement that runs too long; the client gives up a little later on a server
            # that stopped answering altogether.
            "server_settings": {"statement_timeout": str(int(statement_timeout * 1000))},
            "command_timeout": statement_timeout + settings.db_connect_timeout_seconds,
        },
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
        # Commit once per request: lending.core.transactions (not Advanced Alchemy's autocommit, which answers 2xx
        # even when the commit fails) installs its own handlers.
        before_send_handler=None,
        # Lending's schema comes from migrations only; a foreign metadata (the yardstick) is created directly.
        create_all=metadata is not None,
        set_default_exception_handler=False,
        metadata=metadata if metadata is not None else Base.metadata,
    )


# --- when the database itself fails ---------------------------------------------------------------------------

RETRY_AFTER_SECONDS = 10

# SQLite primary result codes that mean "the database cannot serve this now", not "this request is wrong".
_SQLITE_UNAVAILABLE = {
    5: "busy",
    6: "busy",
    7: "out of memory",
    8: "read-only",
    10: "failing (disk I/O error)",
    13: "full",
    14: "unreachable",
    15: "busy",
}
# PostgreSQL SQLSTATE classes and codes with the same meaning.
_PG_UNAVAILABLE = {
    "08": "unreachable",
    "53": "out of resources",
    "53100": "full",
    "57014": "too slow to answer",
    "57P01": "shutting down",
    "57P02": "shutting down",
    "57P03": "starting up",
    "25006": "read-only",
}


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return seen


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database could not serve a request ("full", "unreachable", ...), or None when the failure is not
    the database's state (a bug, a constraint) and must not be dressed up as a temporary outage."""
    import sqlite3

    from sqlalchemy import exc as sa_exc

    for e in _causes(exc):
        if isinstance(e, DatabaseBusy):
            return "busy"
        if isinstance(e, sqlite3.Error):
            code = getattr(e, "sqlite_errorcode", None)
            if code is not None:
                return _SQLITE_UNAVAILABLE.get(code & 0xFF)
        sqlstate = getattr(e, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate:
            return _PG_UNAVAILABLE.get(sqlstate) or _PG_UNAVAILABLE.get(sqlstate[:2])
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return "unreachable"
        if isinstance(e, (sa_exc.TimeoutError, TimeoutError)):
            return "too slow to answer"
        if isinstance(e, (ConnectionError, socket.gaierror)) or (
            type(e).__module__.startswith("asyncpg")
            and ("Connection" in type(e).__name__ or "Interface" in type(e).__name__)
        ):
            return "unreachable"
    return None
