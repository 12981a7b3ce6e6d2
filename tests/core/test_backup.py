"""`lending backup` and `lending restore`: as real processes beside a real `lending serve` under write load, and
in-process (click's runner, the same command on real files) for the many ways a restore is refused.

Each test names its own database in LENDING_DATABASE_URL, so they run the same in the SQLite and the PostgreSQL
suite; the last one also runs the advised pg_dump and pg_restore against the suite's PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from lending.core import migrations
from tests.support import free_port, stop_serving, wait_until_serving

ADMIN_EMAIL = "backup-admin@example.org"
ADMIN_PASSWORD = "a-long-backup-test-passphrase-41"


def head() -> str:
    from lending.core.backup import head_revision

    revision = head_revision(migrations.migrations_dir())
    assert revision is not None
    return revision


def lending_env(database: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    url = database if isinstance(database, str) else f"sqlite+aiosqlite:///{database}"
    env.update(
        LENDING_DATABASE_URL=url,
        LENDING_REMINDERS_IN_PROCESS="false",  # no background reminder run: these tests are not about it
        LENDING_ADMIN_EMAIL=ADMIN_EMAIL,
        LENDING_ADMIN_PASSWORD=ADMIN_PASSWORD,
        LENDING_SECRET_KEY="backup-test-secret-key-long-enough-for-hs256",
        LENDING_LOG_LEVEL="WARNING",
    )
    return env


def lending(database: Path | str, *args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lending", *args],
        cwd=cwd,
        env=lending_env(database),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lending_here(database: Path | str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The same command in this process: a fresh interpreter per case would cost seconds and prove nothing more."""
    from click.testing import CliRunner

    from lending.cli import main
    from lending.config import get_settings

    env = {k: v for k, v in lending_env(database).items() if k.startswith("LENDING_")}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, list(args), input=stdin, env=env)
    finally:
        get_settings.cache_clear()
    # Refusals end in SystemExit; anything else escaping the command is a bug.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@contextmanager
def serving(database: Path, *, stop: signal.Signals = signal.SIGINT) -> Iterator[httpx.Client]:
    """A real `lending serve` on `database`, and a client signed in as its admin; ended by `stop`."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", "serve", "--port", str(port)],
        cwd=database.parent,
        env=lending_env(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=10
        ).json()["access_token"]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            yield client
    finally:
        stop_serving(process, stop)


class DonorWriter(threading.Thread):
    """Keeps creating donors over HTTP; remembers when each creation was answered (so was committed)."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.answered: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        # Bounded in count and time whatever happens to the test.
        deadline = time.monotonic() + 60
        for n in range(5000):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            response = self.client.post("/api/v1/donors", json={"name": f"Load donor {n}", "kind": "business"})
            if response.status_code != 201:
                self.failures.append(response.text)
                return
            self.answered.append((time.monotonic(), response.json()["id"]))

    def ids_answered_before(self, moment: float) -> set[int]:
        return {donor_id for answered_at, donor_id in list(self.answered) if answered_at < moment}

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.answered) < count:
            assert not self.failures, self.failures
            assert time.monotonic() < deadline, "the writer did not get going"
            time.sleep(0.02)


def read(database: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


def donor_ids(database: Path) -> set[int]:
    return {donor_id for (donor_id,) in read(database, "SELECT id FROM donor")}


def integrity(database: Path) -> list[str]:
    return [message for (message,) in read(database, "PRAGMA integrity_check")]


def revision(database: Path) -> str:
    return read(database, "SELECT version_num FROM alembic_version")[0][0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def lending_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Lending database at head with one centre, made once; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "lending.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO centre (name, address, postcode, phone, opening_hours, is_active, created_at, "
            "updated_at) VALUES ('Template Hub', '', 'B1 1AA', '', '', 1, '2026-01-01', '2026-01-01')"
        )
    return path


def lending_db(template: Path, path: Path) -> Path:
    path.write_bytes(template.read_bytes())
    return path


def test_backup_under_write_load_restores_every_committed_row(tmp_path):
    live = tmp_path / "lending.db"
    copy = tmp_path / "nightly.db"
    # Killed at the end as a crash or a power cut would: its last writes stay in the -wal beside the database.
    with serving(live, stop=signal.SIGKILL) as client:
        writer = DonorWriter(client)
        writer.start()
        try:
            writer.wait_for(30)
            started = time.monotonic()
            backed_up = lending(live, "backup", str(copy), cwd=tmp_path)
            finished = time.monotonic()
            writer.wait_for(len(writer.answered) + 10)  # and the service kept writing afterwards
        finally:
            writer.stop.set()
            writer.join(timeout=30)
        assert not writer.failures, writer.failures
        assert backed_up.returncode == 0, backed_up.stderr
        assert "integrity check ok" in backed_up.stderr and f"schema revision {head()}" in backed_up.stderr
        # The writer was answered while the backup process ran: the copy was taken under write load.
        during = writer.ids_answered_before(finished) - writer.ids_answered_before(started)
        assert during, "no write happened while the backup ran"

        in_copy = donor_ids(copy)
        assert integrity(copy) == ["ok"]
        assert writer.ids_answered_before(started) <= in_copy
        live_ids = {donor_id for _, donor_id in writer.answered}
        assert in_copy <= live_ids and len(in_copy) < len(live_ids)
        # One consistent moment: every donor in the copy has its audit row, and no audit row lacks its donor.
        audited = {
            int(entity_id)
            for (entity_id,) in read(
                copy, "SELECT entity_id FROM audit_entry WHERE entity_type = 'donor' AND action = 'create'"
            )
        }
        assert audited == in_copy
        assert read(copy, "PRAGMA foreign_key_check") == []
        assert not list(tmp_path.glob(".nightly.db.*")), "a temporary file was left behind"
        assert not Path(f"{copy}-wal").exists(), "the copy must stand alone, without a -wal"

        # The service still holds the database: a restore over it is refused and changes nothing.
        refused = lending_here(live, "restore", str(copy), "--yes")
        assert refused.returncode == 1
        assert "in use" in refused.stderr and "stop `lending serve`" in refused.stderr
        assert not list(tmp_path.glob("lending.db.before-restore-*"))
        assert client.get("/api/v1/donors", params={"limit": 1}).json()["total"] == len(live_ids)

    # Into a fresh path: every row of the copy, intact, at head.
    fresh = tmp_path / "elsewhere" / "restored.db"
    fresh.parent.mkdir()
    restored = lending_here(fresh, "restore", str(copy), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert donor_ids(fresh) == in_copy
    assert integrity(fresh) == ["ok"] and revision(fresh) == head()
    assert not list(fresh.parent.glob("restored.db.before-restore-*"))  # nothing was there to keep

    # Over the dead service's own database, its -wal beside it: the rows written after the backup (some only in the
    # -wal) are kept aside, and that -wal is never read as the restored database's.
    assert Path(f"{live}-wal").stat().st_size > 0
    restored = lending_here(live, "restore", str(copy), "--yes")
    assert restored.returncode == 0, restored.stderr
    [previous] = tmp_path.glob("lending.db.before-restore-*")
    assert previous.name in restored.stderr
    assert donor_ids(previous) == live_ids and integrity(previous) == ["ok"]
    assert donor_ids(live) == in_copy and integrity(live) == ["ok"]
    [(actor, after)] = read(live, "SELECT actor_label, after FROM audit_entry WHERE action = 'restore'")
    assert actor == "cli:restore"
    assert json.loads(after) == {
        "restored_from": str(copy.resolve()),
        "backup_revision": head(),
        "replaced_database_kept_as": str(previous.resolve()),
    }
    assert not list(tmp_path.glob(".lending.db.*")), "a temporary file was left behind"
    assert not Path(f"{live}-wal").exists() and not Path(f"{live}-shm").exists()


def _not_sqlite(path: Path, template: Path) -> str:
    path.write_text("name,kind\nAcme,business\n")
    return "not a SQLite database"


def _someone_elses_sqlite(path: Path, template: Path) -> str:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO recipe (title) VALUES ('soup')")
    return "not a Lending one"


def _from_a_newer_lending(path: Path, template: Path) -> str:
    lending_db(template, path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    return "comes from a newer Lending"


def _damaged(path: Path, template: Path) -> str:
    data = bytearray(template.read_bytes())
    page = 4096
    # Every page after the first few overwritten: the header still says SQLite, the b-trees are garbage.
    for start in range(3 * page, len(data), page):
        data[start + 8 : start + page] = b"\xa5" * (page - 8)
    path.write_bytes(bytes(data))
    return "nothing was restored"


def _without_revision(path: Path, template: Path) -> str:
    lending_db(template, path)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM alembic_version")
    return "no schema revision"


@pytest.mark.parametrize(
    "make_file", [_not_sqlite, _someone_elses_sqlite, _from_a_newer_lending, _damaged, _without_revision]
)
def test_restore_refuses_a_file_that_is_not_this_lendings_database(make_file, tmp_path, lending_db_template):
    live = lending_db(lending_db_template, tmp_path / "lending.db")
    before = digest(live)
    candidate = tmp_path / "candidate.db"
    message = make_file(candidate, lending_db_template)
    candidate_before = digest(candidate)
    result = lending_here(live, "restore", str(candidate), "--yes")
    assert result.returncode == 1, result.stderr
    assert message in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr
    assert digest(live) == before and digest(candidate) == candidate_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["candidate.db", "lending.db"]


def test_restore_of_an_older_schema_upgrades_it(tmp_path):
    old = tmp_path / "old.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{old}", "0005")
    with closing(sqlite3.connect(old)) as conn, conn:
        conn.execute(
            "INSERT INTO centre (name, address, postcode, phone, opening_hours, is_active, created_at, "
            "updated_at) VALUES ('Old Hub', '', 'B1 1AA', '', '', 1, '2026-01-01', '2026-01-01')"
        )
    target = tmp_path / "lending.db"
    result = lending_here(target, "restore", str(old), "--yes")
    assert result.returncode == 0, result.stderr
    assert "upgraded from 0005" in result.stderr
    assert revision(target) == head() and integrity(target) == ["ok"]
    assert read(target, "SELECT name FROM centre") == [("Old Hub",)]
    assert revision(old) == "0005", "the backup file itself is not changed"


def test_restore_asks_before_replacing(tmp_path, lending_db_template):
    live = tmp_path / "lending.db"
    copy = lending_db(lending_db_template, tmp_path / "copy.db")
    with closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("UPDATE centre SET name = 'From the backup'")
    lending_db(lending_db_template, live)
    before = digest(live)

    declined = lending_here(live, "restore", str(copy), stdin="n\n")
    assert declined.returncode == 1 and "Replace the database" in declined.stderr
    assert digest(live) == before

    accepted = lending_here(live, "restore", str(copy), stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert read(live, "SELECT name FROM centre") == [("From the backup",)]


@pytest.mark.parametrize("damage", ["not a database any more", "pages overwritten"])
def test_restore_over_a_damaged_database_keeps_what_was_there(damage, tmp_path, lending_db_template):
    live = tmp_path / "lending.db"
    if damage == "not a database any more":
        live.write_bytes(b"\x00" * 100 + b"what a failing disk left")
    else:
        _damaged(live, lending_db_template)
    damaged = live.read_bytes()
    copy = lending_db(lending_db_template, tmp_path / "copy.db")
    result = lending_here(live, "restore", str(copy), "--yes")
    assert result.returncode == 0, result.stderr
    [previous] = tmp_path.glob("lending.db.before-restore-*")
    assert previous.read_bytes() == damaged
    assert read(live, "SELECT name FROM centre") == [("Template Hub",)] and integrity(live) == ["ok"]


def test_backup_never_overwrites_without_force(tmp_path, lending_db_template):
    live = lending_db(lending_db_template, tmp_path / "lending.db")
    existing = tmp_path / "backup.db"
    existing.write_text("last week's backup")

    refused = lending_here(live, "backup", str(existing))
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert existing.read_text() == "last week's backup"

    forced = lending_here(live, "backup", str(existing), "--force")
    assert forced.returncode == 0, forced.stderr
    assert integrity(existing) == ["ok"] and read(existing, "SELECT name FROM centre") == [("Template Hub",)]

    missing = lending_here(tmp_path / "nowhere.db", "backup", str(tmp_path / "b.db"))
    assert missing.returncode == 1 and "There is no database" in missing.stderr
    assert not (tmp_path / "nowhere.db").exists() and not (tmp_path / "b.db").exists()


def test_postgresql_gets_pg_dump_advice_without_the_password(tmp_path):
    url = "postgresql+asyncpg://lender:s3cret-pw@db.example.org:5433/lending_live"
    dump = tmp_path / "lending.dump"

    backed_up = lending_here(url, "backup", str(dump))
    assert backed_up.returncode == 2
    assert (
        f"pg_dump --format=custom --file={dump} postgresql://lender@db.example.org:5433/lending_live"
        in backed_up.stderr
    )
    assert "PGPASSWORD" in backed_up.stderr and "s3cret" not in backed_up.stderr
    assert not dump.exists()

    restored = lending_here(url, "restore", str(dump))
    assert restored.returncode == 2
    assert (
        "pg_restore --clean --if-exists --no-owner --single-transaction "
        f"--dbname=postgresql://lender@db.example.org:5433/lending_live {dump}" in restored.stderr
    )
    assert "s3cret" not in restored.stderr


@pytest.mark.skipif(
    not os.environ.get("LENDING_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="runs the advised commands against the PostgreSQL suite's database",
)
async def test_the_advised_pg_dump_and_pg_restore_commands_work(tmp_path, database_url, make_user):
    """On the PostgreSQL suite: the printed commands, run as printed, dump the database and bring it back."""
    await make_user("staff", email="kept-by-pg-dump@example.org")
    dump = tmp_path / "lending.dump"
    advice = lending(database_url, "backup", str(dump), cwd=tmp_path)
    assert advice.returncode == 2 and not dump.exists()
    [dump_command] = [shlex.split(line) for line in advice.stderr.splitlines() if line.lstrip().startswith("pg_dump ")]
    [restore_command] = [
        shlex.split(line) for line in advice.stderr.splitlines() if line.lstrip().startswith("pg_restore ")
    ]
    libpq_url = dump_command[-1]

    def run(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def psql(sql: str) -> str:
        return run(["psql", libpq_url, "-v", "ON_ERROR_STOP=1", "-tAc", sql])

    run(dump_command)
    assert "TABLE DATA public user_account" in run(["pg_restore", "--list", str(dump)])
    psql("DELETE FROM user_account WHERE email = 'kept-by-pg-dump@example.org'")
    run(restore_command)
    assert psql("SELECT count(*) FROM user_account WHERE email = 'kept-by-pg-dump@example.org'") == "1"
    assert psql("SELECT version_num FROM alembic_version") == head()
