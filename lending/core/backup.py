"""Backups of a SQLite install, and restoring one: the machinery behind `lending backup` and `lending restore`.

A backup is taken with SQLite's online backup API while `lending serve` keeps running; a restore checks the file
first (a SQLite database, intact, Lending's, from this version's schema or an older one) and then swaps it in whole.
PostgreSQL has its own tools (pg_dump, pg_restore): for it these functions only say how to use them.

Everything here is blocking file and database work, meant for the command line, never for the event loop.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_HEADER = b"SQLite format 3\x00"
# Created by the first migration (0001) and kept by every later one: any Lending database has them.
LENDING_TABLES = frozenset({"alembic_version", "audit_entry", "centre", "user_account"})
# How long `lending restore` waits for the target database to be free before saying it is in use.
IN_USE_TIMEOUT_S = 1.0
# The backup's reader waits this long for a writer that holds the database in an odd moment (WAL recovery).
READ_TIMEOUT_S = 30.0


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message is for the person at the shell."""


@dataclass
class DatabaseReport:
    """What a SQLite file holds: enough to tell the person that a copy is whole and what is in it."""

    path: Path
    size: int
    integrity: list[str]
    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.integrity == ["ok"]


@dataclass
class RestoreResult:
    restored: DatabaseReport
    restored_revision: str | None  # the file's own revision, before any upgrade
    previous: Path | None  # the replaced database, kept so the restore can be undone
    upgraded: bool


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL (relative paths are from the working directory); None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"{database_url} is not a database file that can be copied")
    return Path(url.database)


def postgres_advice(database_url: str, file: Path, *, restoring: bool) -> str:
    """The pg_dump / pg_restore commands for the configured database, without its password."""
    url = make_url(database_url)
    query = dict(url.query)
    # asyncpg spells libpq's sslmode as ssl.
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    libpq = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=query
    )
    target = shlex.quote(libpq.render_as_string(hide_password=False))
    quoted = shlex.quote(str(file))
    dump = f"pg_dump --format=custom --file={quoted} {target}"
    restore = f"pg_restore --clean --if-exists --no-owner --single-transaction --dbname={target} {quoted}"
    lines = [
        "LENDING_DATABASE_URL is a PostgreSQL database: back it up and restore it with PostgreSQL's own tools.",
        f"Nothing was {'restored' if restoring else 'written'}.",
        "",
        "Back up (a consistent snapshot while the service runs):",
        f"  {dump}",
        "Restore (stop `lending serve` first; this replaces the database's contents):",
        f"  {restore}",
        "",
    ]
    if url.password is not None:
        lines.append("The password is left out: give it in PGPASSWORD or ~/.pgpass, not on the command line.")
    lines.append("Use pg_dump and pg_restore of the server's major version or newer.")
    return "\n".join(lines)


def _connect_ro(path: Path) -> sqlite3.Connection:
    """Open a file only to read it, without making a -wal or -shm beside a file that stands alone."""
    # A file whose header says WAL but has no -wal beside it holds everything in itself: reading it as immutable
    # creates no side files. With a -wal present its content counts, so it is read through SQLite's locking.
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, timeout=READ_TIMEOUT_S)


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [name for (name,) in rows]


def _revision(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    versions = [v for (v,) in conn.execute("SELECT version_num FROM alembic_version ORDER BY version_num")]
    return ",".join(versions) or None


def describe(conn: sqlite3.Connection, path: Path) -> DatabaseReport:
    """Integrity check, schema revision and row count of every table."""
    integrity = [message for (message,) in conn.execute("PRAGMA integrity_check")]
    tables = _tables(conn)
    rows = {
        name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in tables
        if name != "alembic_version"
    }
    return DatabaseReport(
        path=path, size=path.stat().st_size, integrity=integrity, revision=_revision(conn, tables), rows=rows
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sibling_temp(beside: Path, label: str) -> Path:
    # In the same directory, so the final rename is atomic; created 0600, as the copy holds personal data.
    fd, name = tempfile.mkstemp(dir=beside.parent, prefix=f".{beside.name}.", suffix=f".{label}")
    os.close(fd)
    return Path(name)


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


@contextmanager
def _temp_beside(beside: Path, label: str) -> Iterator[Path]:
    """A temporary file in the target's directory, removed unless it was renamed into place."""
    temp = _sibling_temp(beside, label)
    try:
        yield temp
    finally:
        _remove(temp)


def _copy_into(source: sqlite3.Connection, temp: Path) -> None:
    """Copy a database through the backup API into `temp` and make it one self-contained file."""
    with closing(sqlite3.connect(temp, isolation_level=None)) as dest:
        # All pages in one step: one read transaction, so the copy is one consistent moment of the source. In WAL
        # mode that reader blocks no writer, whereas a copy in several steps restarts whenever the server writes
        # and may never finish under load.
        source.backup(dest, pages=-1)
        # The copy stands alone (no -wal beside it), ready to be moved or read elsewhere.
        dest.execute("PRAGMA journal_mode=DELETE")
    _fsync(temp)


def _sync_directory(directory: Path) -> None:
    with suppress(OSError):  # not every filesystem lets a directory be opened and synced
        _fsync(directory)


def backup_sqlite(database: Path, file: Path, *, force: bool = False) -> DatabaseReport:
    """Copy the live database to `file` and check the copy; `file` appears only once the copy is whole."""
    if not database.is_file():
        raise BackupError(f"There is no database at {database} (LENDING_DATABASE_URL).")
    if file.is_dir():
        raise BackupError(f"{file} is a directory; give the backup's file name.")
    if not file.parent.is_dir():
        raise BackupError(f"The folder {file.parent} does not exist.")
    if file.exists() and not force:
        raise BackupError(f"{file} already exists; choose another name, or --force to replace it.")
    if file.exists() and file.resolve() == database.resolve():
        raise BackupError(f"{file} is the database itself.")
    with _temp_beside(file, "partial") as temp:
        with closing(
            sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=READ_TIMEOUT_S)
        ) as source:
            _copy_into(source, temp)
        with closing(sqlite3.connect(temp)) as copy:
            report = describe(copy, temp)
        if not report.intact:
            raise BackupError(
                "The copy failed its integrity check, so it was not kept: " + "; ".join(report.integrity[:5])
            )
        if file.exists() and not force:
            raise BackupError(f"{file} appeared while the backup ran; nothing was replaced.")
        os.replace(temp, file)
    _sync_directory(file.parent)
    report.path = file
    return report


def check_restorable(file: Path, migrations_directory: Path) -> DatabaseReport:
    """Refuse anything but an intact Lending database whose schema this version knows; say what it holds."""
    if not file.is_file():
        raise BackupError(f"There is no file at {file}.")
    with file.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise BackupError(f"{file} is not a SQLite database, so not a Lending backup; nothing was restored.")
    try:
        with closing(_connect_ro(file)) as conn:
            report = describe(conn, file)
            tables = set(_tables(conn))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} cannot be read as a SQLite database ({exc}); nothing was restored.") from None
    if not report.intact:
        raise BackupError(
            f"{file} fails SQLite's integrity check, so it was not restored: " + "; ".join(report.integrity[:5])
        )
    missing = LENDING_TABLES - tables
    if missing:
        raise BackupError(
            f"{file} is a SQLite database but not a Lending one (no {', '.join(sorted(missing))} "
            "table); nothing was restored."
        )
    if report.revision is None:
        raise BackupError(f"{file} has Lending's tables but no schema revision; nothing was restored.")
    status = revision_status(report.revision, migrations_directory)
    if status == "unknown":
        raise BackupError(
            f"{file} is at schema revision {report.revision}, which this version of Lending does not "
            f"know (its newest is {head_revision(migrations_directory)}): it comes from a newer "
            "Lending. Upgrade Lending first, then restore; nothing was restored."
        )
    return report


def head_revision(migrations_directory: Path) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_directory)).get_current_head()


def revision_status(revision: str, migrations_directory: Path) -> str:
    """'head', 'older' (upgradable by this version's migrations) or 'unknown' (a newer Lending's)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_directory))
    # Exact ids only: Alembic's own lookup also accepts a unique prefix. Several rows (branches) are never Lending's.
    if revision not in {known.revision for known in script.walk_revisions()}:
        return "unknown"
    return "head" if revision == script.get_current_head() else "older"


def _previous_name(database: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = database.with_name(f"{database.name}.before-restore-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = database.with_name(f"{database.name}.before-restore-{stamp}-{n}")
    return candidate


def restore_sqlite(file: Path, database: Path, migrations_directory: Path) -> RestoreResult:
    """Replace the database with the backup `file`, keeping the one it replaces beside it.

    The backup is copied into a temporary file beside the database, upgraded there if its schema is older, checked,
    and only then renamed over the database, so a failure at any step leaves the database as it was.
    """
    from lending.core import migrations

    if not database.parent.is_dir():
        raise BackupError(f"The folder {database.parent} of the database (LENDING_DATABASE_URL) does not exist.")
    if database.exists() and database.resolve() == file.resolve():
        raise BackupError(f"{file} is the database itself.")
    checked = check_restorable(file, migrations_directory)
    with _temp_beside(database, "restoring") as temp:
        with closing(_connect_ro(file)) as source:
            _copy_into(source, temp)
        upgraded = revision_status(checked.revision or "", migrations_directory) == "older"
        if upgraded:
            migrations.upgrade(f"sqlite+aiosqlite:///{temp}")
        previous = _previous_name(database) if database.exists() else None
        asyncio.run(_audit_restore(temp, file.resolve(), checked.revision, previous.resolve() if previous else None))
        with closing(sqlite3.connect(temp, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            report = describe(conn, temp)
        _fsync(temp)
        if not report.intact:
            raise BackupError(
                "The restored copy failed its integrity check; the database was left as it was: "
                + "; ".join(report.integrity[:5])
            )
        _swap_in(temp, database, previous)
    _sync_directory(database.parent)
    report.path = database
    report.size = database.stat().st_size
    return RestoreResult(restored=report, restored_revision=checked.revision, previous=previous, upgraded=upgraded)


async def _audit_restore(temp: Path, file: Path, revision: str | None, previous: Path | None) -> None:
    """The restored database's audit trail says that it was restored, from what, and where its predecessor is."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from lending.audit.recorder import record, set_actor
    from lending.core.db import session_maker

    engine = create_async_engine(f"sqlite+aiosqlite:///{temp}", poolclass=NullPool)
    try:
        async with session_maker(engine)() as session, session.begin():
            set_actor(session, user_id=None, label="cli:restore")
            await record(
                session,
                action="restore",
                entity_type="database",
                entity_id="sqlite",
                after={
                    "restored_from": str(file),
                    "backup_revision": revision,
                    "replaced_database_kept_as": str(previous) if previous else None,
                },
            )
    finally:
        await engine.dispose()


def _swap_in(temp: Path, database: Path, previous: Path | None) -> None:
    """Rename `temp` over the database, first keeping the database as `previous`; refuse while it is in use."""
    if previous is None:
        # -wal or -shm left by a deleted database would be read as the new file's: they go.
        _remove_side_files(database)
        os.replace(temp, database)
        return
    _copy_owner_and_mode(database, temp)
    conn = sqlite3.connect(database, isolation_level=None, timeout=IN_USE_TIMEOUT_S)
    try:
        try:
            # An exclusive lock taken in exclusive locking mode is kept until we close: no other connection can be
            # open, even an idle one in a server's pool (in WAL mode those hold a shared lock), and none can start.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise BackupError(
                    f"The database {database} is in use: stop `lending serve` (and any other "
                    "program using it) first; nothing was restored."
                ) from None
            raise
        except sqlite3.DatabaseError:
            _keep_bytes(database, previous)  # not a database any more: a broken disk is one reason to restore
        else:
            try:
                with _temp_beside(previous, "partial") as keeping:
                    _copy_into(conn, keeping)
                    os.replace(keeping, previous)
                # Leaving WAL mode folds the -wal into the old file and deletes it, so no WAL of the old database is
                # ever read as the new one's, and our own close later touches no -wal.
                conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.DatabaseError:
                # Damaged inside: SQLite cannot copy it, so its files are kept as they are, under our lock.
                _keep_bytes(database, previous)
        _remove_side_files(database)
        os.replace(temp, database)
    finally:
        conn.close()


def _keep_bytes(database: Path, previous: Path) -> None:
    """Keep a database's files byte for byte, its -wal under the name SQLite looks for beside the copy."""
    with suppress(FileNotFoundError):
        os.unlink(previous)
    shutil.copy2(database, previous)
    if Path(f"{database}-wal").exists():
        shutil.copy2(f"{database}-wal", f"{previous}-wal")


def _remove_side_files(database: Path) -> None:
    for suffix in ("-wal", "-shm"):
        with suppress(FileNotFoundError):
            os.unlink(f"{database}{suffix}")


def _copy_owner_and_mode(source: Path, target: Path) -> None:
    # The restored file must stay readable by whoever runs `lending serve`, even when root runs the restore.
    stat = source.stat()
    with suppress(PermissionError):
        os.chown(target, stat.st_uid, stat.st_gid)
    os.chmod(target, stat.st_mode & 0o777)
