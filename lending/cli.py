"""The `lending` command: serve, migrate and administer from a shell."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.panel import Panel

from lending.config import get_settings

console = Console(stderr=True)
T = TypeVar("T")


def run_with_engine(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(engine)` on a fresh engine for the configured database, then dispose of it."""
    from lending.core.db import make_engine

    async def main() -> T:
        engine = make_engine(get_settings())
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@click.group()
@click.version_option(package_name="lending")
def main() -> None:
    """Lending: lend donated devices and data SIMs to families."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes (PostgreSQL deployments; SQLite has one writer at a time).",
)
def serve(host: str, port: int, reload: bool, workers: int) -> None:
    """Apply pending migrations, make the first admin if needed, then serve the API."""
    import os

    import uvicorn

    from lending.accounts.bootstrap import ensure_admin
    from lending.core import migrations
    from lending.core.access_log import uvicorn_log_config
    from lending.core.errors import DomainError

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _check_database(settings)
    try:
        migrations.upgrade(settings.database_url)
    except Exception as exc:
        from lending.core.db import unavailable_reason
        from lending.core.errors import describe_failure

        if unavailable_reason(exc) is None:
            raise
        raise click.ClickException(f"cannot migrate the database: {describe_failure(exc)}") from None
    try:
        created = run_with_engine(lambda engine: ensure_admin(engine, settings))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    if created is not None:
        email, password = created
        if password:
            console.print(
                Panel(
                    f"First admin: [bold]{email}[/bold]\nPassword:    [bold]{password}[/bold]\n\n"
                    "Shown once. Sign in and change it, or set LENDING_ADMIN_EMAIL / LENDING_ADMIN_PASSWORD.",
                    title="Lending is set up",
                )
            )
        else:
            console.print(f"First admin created: {email} (password from LENDING_ADMIN_PASSWORD)")
    if settings.secret_key is None:
        console.print("[yellow]LENDING_SECRET_KEY is not set: tokens will not survive a restart.[/yellow]")
        # Workers (and reloads) are new processes that read the settings again: they must sign with one key, or a
        # token from one worker would be refused by the next.
        os.environ["LENDING_SECRET_KEY"] = settings.token_secret()
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: only the configured proxies are believed here.
    trusted = ",".join(str(network) for network in settings.trusted_proxies)
    uvicorn.run(
        "lending.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(),  # no query strings (search terms) in the access log
        timeout_keep_alive=settings.idle_timeout_seconds,
    )


def _check_database(settings: Any) -> None:
    """Refuse to start, in one line, when the database cannot be reached (rather than a traceback later)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from lending.core.errors import describe_failure

    async def probe(engine: Any) -> None:
        async def select_one() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        await asyncio.wait_for(select_one(), settings.db_connect_timeout_seconds + 1)

    def probe_sqlite() -> None:
        # The standard driver, in this thread: a failed aiosqlite connect leaves a thread behind that complains
        # about the closed event loop, which would turn the one line into a traceback.
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(make_url(settings.database_url).set(drivername="sqlite"), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()

    try:
        probe_sqlite() if settings.is_sqlite else run_with_engine(probe)
    except Exception as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = describe_failure(exc) if str(exc) else f"no answer within {settings.db_connect_timeout_seconds:g} s"
        raise click.ClickException(f"cannot reach the database {where}: {reason}") from None


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema (default: to the newest revision)."""
    from lending.core import migrations

    migrations.upgrade(get_settings().database_url, revision)
    click.echo(f"Database at {migrations.current(get_settings().database_url) or 'base'}")


@db.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema (default: one revision; `base` removes every table)."""
    from lending.core import migrations

    migrations.downgrade(get_settings().database_url, revision)
    click.echo(f"Database at {migrations.current(get_settings().database_url) or 'base'}")


@db.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from lending.core import migrations

    click.echo(migrations.current(get_settings().database_url) or "base (empty database)")


@main.group()
def users() -> None:
    """Sign-in accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "staff", "volunteer", "school"]))
@click.option("--centre-id", type=int, default=None, help="Home centre.")
@click.option("--school-urn", default=None, help="The school of a school user (its 6-digit URN).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(
    email: str, name: str, role: str, centre_id: int | None, school_urn: str | None, password_stdin: bool
) -> None:
    """Create a user; without --password-stdin a password is generated and printed once."""
    from pydantic import EmailStr, TypeAdapter, ValidationError

    from lending.accounts.models import Role
    from lending.accounts.passwords import password_problem
    from lending.accounts.service import AccountService, NewUser
    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker
    from lending.core.errors import DomainError
    from lending.schools.service import SchoolService

    try:
        TypeAdapter(EmailStr).validate_python(email)
    except ValidationError:
        raise click.BadParameter("not a valid email address", param_hint="--email") from None
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    problem = password_problem(password, email=email) if password is not None else None
    if problem:
        raise click.BadParameter(f"the password {problem}", param_hint="stdin")

    async def work(engine: Any) -> tuple[Any, str | None]:
        async with session_maker(engine)() as session, session.begin():
            set_actor(session, user_id=None, label="cli")
            school_id = None
            if school_urn is not None:
                school = await SchoolService(session).by_urn(school_urn)
                if school is None:
                    raise click.BadParameter(f"no school with URN {school_urn}", param_hint="--school-urn")
                school_id = school.id
            return await AccountService(session).create(
                NewUser(
                    email=email,
                    name=name,
                    role=Role(role),
                    password=password,
                    home_centre_id=centre_id,
                    school_id=school_id,
                )
            )

    try:
        user, generated = run_with_engine(work)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id})")
    if generated:
        click.echo(f"Password (shown once): {generated}")


@main.group("import")
def import_group() -> None:
    """Bulk loads from CSV files."""


@import_group.command("assets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report every bad row; write nothing.")
@click.option("--donor", "donor_id", type=int, default=None, help="Record the rows as one donation from this donor.")
@click.option("--centre", "centre_id", type=int, default=None, help="Centre for rows without one (and the donation).")
def import_assets(file: Path, dry_run: bool, donor_id: int | None, centre_id: int | None) -> None:
    """Import assets from a CSV file with the export's columns: all rows or none."""
    from rich.progress import Progress
    from rich.table import Table

    import lending.models  # noqa: F401  (every table: a wipe refers to its recorder, a user)
    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker
    from lending.core.errors import DomainError
    from lending.inventory import csvio
    from lending.inventory.service import Inventory

    with file.open("rb") as handle:
        total = max(0, sum(1 for _ in handle) - 1)  # lines, for the progress bar only
    settings = get_settings()

    async def work(engine: Any) -> Any:
        with Progress(console=console, transient=True) as progress, file.open("rb") as source:
            checking = progress.add_task(f"Checking {file.name}", total=total)
            writing = progress.add_task(f"Importing {file.name}", total=total, visible=False)

            def advance(phase: str, rows: int) -> None:
                if phase == "check":
                    progress.update(checking, completed=rows)
                else:
                    progress.update(writing, completed=rows, visible=True)

            async with session_maker(engine)() as session, session.begin():
                set_actor(session, user_id=None, label=f"cli:import {file.name}")
                return await csvio.import_assets(
                    Inventory(session, settings.tag_prefixes),
                    source,
                    dry_run=dry_run,
                    centre_id=centre_id,
                    donor_id=donor_id,
                    progress=advance,
                )

    try:
        report = run_with_engine(work)
    except DomainError as exc:
        table = Table("row", "field", "message", title="Nothing was imported")
        for error in exc.errors:
            table.add_row(str(error.row or ""), error.field, error.message)
        console.print(table if exc.errors else exc.detail)
        raise SystemExit(1) from None
    if report.errors:
        table = Table("row", "field", "message", title=f"{len(report.errors)} problem(s) found (dry run)")
        for error in report.errors:
            table.add_row(str(error.row), error.field, error.message)
        console.print(table)
        raise SystemExit(1)
    if dry_run:
        click.echo(f"Dry run: {report.rows} row(s) checked, all valid; nothing written.")
    else:
        click.echo(f"Imported {report.created} asset(s) from {report.rows} row(s).")


def _problem_table(title: str, problems: list[Any], limit: int = 20) -> Any:
    from rich.table import Table

    table = Table("row", "column", "problem", title=title)
    for problem in problems[:limit]:
        table.add_row(str(problem.row), problem.field, problem.message)
    if len(problems) > limit:
        table.add_row("…", "", f"and {len(problems) - limit} more")
    return table


@import_group.command("schools")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--la",
    "local_authority",
    default=None,
    help="Only this local authority's schools: its code (330) or name (Birmingham), as GIAS writes them.",
)
def import_schools(file: Path, local_authority: str | None) -> None:
    """Add or update schools by URN from the DfE's Get Information About Schools extract (CSV, as downloaded).

    Closed establishments are not added; a school already held that has closed is marked closed and inactive.
    Rows that cannot be read (no six-digit URN, no name) are left out and listed. One transaction: all or nothing.
    """
    import anyio
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    import lending.models  # noqa: F401  (every table the audit listener may touch)
    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker
    from lending.schools.gias import GiasCounts, GiasExtract, NotAnExtract, RowProblem
    from lending.schools.service import SchoolService

    try:
        extract = GiasExtract(file, local_authority=local_authority)
    except NotAnExtract as exc:
        raise click.ClickException(str(exc)) from None
    except UnicodeDecodeError:
        raise click.ClickException("cannot read the file as text (is it the CSV download?)") from None
    size = file.stat().st_size
    bad: list[RowProblem] = []
    dropped: list[RowProblem] = []
    outside = 0

    async def work(engine: Any) -> GiasCounts:
        nonlocal outside
        counts, seen = GiasCounts(), set[str]()
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress, extract:
            task = progress.add_task(f"Importing {file.name}", total=size)
            async with session_maker(engine)() as session, session.begin():
                set_actor(session, user_id=None, label=f"cli:import schools {file.name}")
                service = SchoolService(session)
                while True:
                    # Reading and parsing is the slow part: in a worker thread, off the event loop.
                    batch = await anyio.to_thread.run_sync(extract.batch, 1000)
                    bad.extend(batch.bad)
                    dropped.extend(batch.dropped)
                    outside += batch.outside
                    await service.import_gias(batch.schools, counts, seen)
                    progress.update(task, completed=extract.position)
                    if batch.last:
                        return counts

    counts = run_with_engine(work)
    bad.extend(counts.repeated)
    if bad:
        console.print(_problem_table(f"{len(bad)} row(s) left out", sorted(bad, key=lambda p: p.row)))
    if dropped:
        console.print(_problem_table(f"{len(dropped)} value(s) not understood, left empty", dropped))
    where = f" of local authority {local_authority}" if local_authority else ""
    click.echo(
        f"Schools{where}: {counts.added:,} added, {counts.updated:,} updated, {counts.unchanged:,} unchanged, "
        f"{counts.closed:,} marked closed, {counts.skipped_closed:,} closed not added, {len(bad):,} bad row(s)"
        + (f"; {outside:,} row(s) of other local authorities passed over." if local_authority else ".")
    )


@import_group.command("imd")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--postcodes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The ONS Postcode Directory CSV (pcds, doterm, lsoa11/lsoa21), when FILE is the Indices of Deprivation.",
)
@click.option(
    "--area",
    "areas",
    multiple=True,
    help="Only postcodes of this postcode area (B, WS, ...); repeat for more. Default: every live postcode.",
)
def import_imd(file: Path, postcodes: Path | None, areas: tuple[str, ...]) -> None:
    """Load postcode → IMD decile: a table of postcode,imd_decile[,lsoa], or the official files.

    FILE is either that simple table, or the English Indices of Deprivation 2019 File 1
    (File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx, or its IMD2019 sheet saved as CSV) given with
    --postcodes ONSPD.csv, which says which LSOA each postcode is in. Terminated postcodes are skipped.
    """
    from lending.families import imd

    try:
        layout = imd.layout_of(file)
    except imd.NotRecognised as exc:
        raise click.ClickException(str(exc)) from None
    if layout == "simple":
        if postcodes is not None or areas:
            raise click.UsageError("--postcodes and --area go with the Indices of Deprivation File 1, not this table")
        _import_imd_table(file)
    elif postcodes is None:
        raise click.UsageError(
            f"{file.name} is the Indices of Deprivation, which is by LSOA: give the ONS Postcode Directory with "
            "--postcodes ONSPD.csv to know each postcode's LSOA"
        )
    else:
        _import_imd_official(file, postcodes, areas)


def _import_imd_table(file: Path) -> None:
    import csv

    from rich.progress import Progress

    from lending.audit.recorder import set_actor
    from lending.core.validators import normalise_postcode
    from lending.families.service import FamilyService

    settings = get_settings()
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, problems = [], []
        for number, raw in enumerate(reader, start=2):
            cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
            try:
                if any("\x00" in value for value in cells.values()):
                    raise ValueError("NUL characters")
                decile = int(cells["imd_decile"])
                if not 1 <= decile <= 10:
                    raise ValueError
                rows.append((normalise_postcode(cells["postcode"]), decile, cells.get("lsoa") or None))
            except ValueError:
                problems.append(number)
    if problems:
        shown = ", ".join(map(str, problems[:10])) + (" …" if len(problems) > 10 else "")
        raise click.ClickException(f"{len(problems)} bad row(s), nothing loaded: rows {shown}")

    async def work(engine: Any) -> int:
        from lending.core.db import session_maker

        loaded = 0
        with Progress(console=console) as progress:
            task = progress.add_task(f"Loading {file.name}", total=len(rows))
            async with session_maker(engine)() as session, session.begin():
                set_actor(session, user_id=None, label="cli:import imd")
                service = FamilyService(session, settings.priority_weights)
                for start in range(0, len(rows), 1000):
                    loaded += await service.load_imd(rows[start : start + 1000])
                    progress.update(task, completed=loaded)
        return loaded

    click.echo(f"Loaded {run_with_engine(work)} postcode(s).")


def _import_imd_official(file: Path, postcodes: Path, areas: tuple[str, ...]) -> None:
    import anyio
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker
    from lending.families import imd
    from lending.families.service import FamilyService

    settings = get_settings()
    try:
        with console.status(f"Reading {file.name}"):
            deciles = imd.read_deprivation(file)
        directory = imd.PostcodeDirectory(postcodes, deciles, areas=areas)
    except imd.NotRecognised as exc:
        raise click.ClickException(str(exc)) from None

    size = postcodes.stat().st_size

    async def work(engine: Any) -> imd.DirectoryCounts:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress, directory:
            task = progress.add_task(f"Loading {postcodes.name}", total=size)
            async with session_maker(engine)() as session, session.begin():
                set_actor(session, user_id=None, label="cli:import imd")
                service = FamilyService(session, settings.priority_weights)
                # Reading the directory is the slow part: a batch at a time in a worker thread.
                while rows := await anyio.to_thread.run_sync(directory.batch, 1000):
                    await service.load_imd(rows)
                    progress.update(task, completed=directory.position)
        return directory.counts

    counts = run_with_engine(work)
    if counts.bad:
        shown = ", ".join(map(str, counts.bad[:10])) + (" …" if len(counts.bad) > 10 else "")
        console.print(f"[yellow]{len(counts.bad)} row(s) of {postcodes.name} not understood, left out: {shown}[/]")
    outside = f", {counts.outside_area:,} outside {'/'.join(a.upper() for a in areas)}" if areas else ""
    click.echo(
        f"Loaded {counts.loaded:,} postcode(s) from {counts.read:,} row(s) ({len(deciles):,} areas in the index): "
        f"{counts.terminated:,} terminated{outside}, {counts.not_in_index:,} not in the English index, "
        f"{len(counts.bad):,} bad."
    )


@main.command()
@click.option(
    "--scale",
    type=click.IntRange(min=20, max=1_000_000),
    default=300,
    show_default=True,
    help="About this many assets; families follow (1 per asset), loans (about 2), open nominations (1 in 5).",
)
@click.option("--seed", type=int, default=12, show_default=True, help="The same seed gives the same demo.")
def demo(scale: int, seed: int) -> None:
    """Fill an empty database with realistic synthetic data, for a first look or a benchmark.

    Migrates the database first. Refuses a database that already holds centres, schools, donors, assets,
    families, nominations or loans: demo families would be counted in real reports.
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lending.core import migrations
    from lending.demo import DatabaseInUse, build

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    started = time.monotonic()

    async def work(engine: Any) -> Any:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            tasks: dict[str, Any] = {}

            def advance(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = progress.add_task(step, total=total)
                progress.update(tasks[step], completed=done, total=total)

            return await build(engine, scale, seed=seed, progress=advance)

    try:
        counts = run_with_engine(work)
    except DatabaseInUse as exc:
        raise click.ClickException(f"{exc}: the demo only fills an empty database") from exc
    shown = ", ".join(f"{n:,} {table}" for table, n in counts.rows.items() if table != "audit_entry")
    click.echo(f"Demo data written in {time.monotonic() - started:.1f} s: {shown}.")


@main.command()
@click.option(
    "--older-than-months",
    type=click.IntRange(min=1),
    required=True,
    help="Anonymise families with no activity for this many months.",
)
@click.option("--dry-run", is_flag=True, help="List who would be anonymised; change nothing.")
def retention(older_than_months: int, dry_run: bool) -> None:
    """Anonymise families with no activity (edits, nominations, decisions, loans) for N months."""
    import lending.models  # noqa: F401  (every domain's records about families, loans' included)
    from lending.access import Actor
    from lending.accounts.models import Role
    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker
    from lending.core.errors import Conflict
    from lending.families.service import FamilyService, checkpoint_wal

    settings = get_settings()
    system = Actor(id=0, role=Role.admin, school_id=None, home_centre_id=None, label="retention")

    async def work(engine: Any) -> tuple[list[int], list[int]]:
        async with session_maker(engine)() as session, session.begin():
            set_actor(session, user_id=None, label=f"cli:retention {older_than_months} months")
            service = FamilyService(session, settings.priority_weights)
            stale = await service.stale_families(older_than_months)
            erased, kept = [], []
            for family in stale:
                if dry_run:
                    erased.append(family.id)
                    continue
                try:
                    async with session.begin_nested():
                        await service.erase(family.id, system)
                    erased.append(family.id)
                except Conflict:
                    kept.append(family.id)
        if erased and not dry_run:
            await checkpoint_wal(engine)  # committed: now the SQLite files forget the erased text too
        return erased, kept

    erased, kept = run_with_engine(work)
    verb = "Would anonymise" if dry_run else "Anonymised"
    click.echo(
        f"{verb} {len(erased)} family(ies) with no activity for {older_than_months} month(s)"
        + (f": {', '.join(map(str, erased))}" if erased else ".")
    )
    if kept:
        click.echo(f"Kept {len(kept)} with a device on loan: {', '.join(map(str, kept))}")


@main.command()
@click.option(
    "--date",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the run acts as of (YYYY-MM-DD); default: today in Britain.",
)
@click.option("--no-send", is_flag=True, help="Queue the day's messages only; `lending messages send` sends them.")
def remind(as_of: Any, no_send: bool) -> None:
    """The day's reminders and the staff digest: queued once a day (a second run that day queues nothing), then sent.

    For cron on a small install (`lending serve` runs the same thing itself unless LENDING_REMINDERS_IN_PROCESS=false).
    """
    import lending.models  # noqa: F401  (every table the audit listener may touch)
    from lending.core.db import session_maker
    from lending.messages.quiet import london_today
    from lending.messages.scheduler import run_day

    settings = get_settings()
    today = london_today()
    day = as_of.date() if as_of is not None else today
    if day > today:
        raise click.BadParameter(
            f"cannot act as of a day still to come (today is {today.isoformat()})", param_hint="--date"
        )

    async def work(engine: Any) -> Any:
        return await run_day(session_maker(engine), settings, day, claimed_by="cli:remind", send=not no_send)

    outcome, drained = run_with_engine(work)
    if outcome.claimed:
        words = {"email": "email", "sms": "text"}
        by_channel = (
            ", ".join(f"{n} {words[c]}{'' if n == 1 else 's'}" for c, n in sorted(outcome.queued.items())) or "none"
        )
        click.echo(
            f"Reminders for {day.isoformat()}: {outcome.families} famil{'y' if outcome.families == 1 else 'ies'}, "
            f"{sum(outcome.queued.values())} message(s) queued ({by_channel}); {outcome.digests} staff digest(s)."
        )
    else:
        at = f" at {outcome.claimed_at:%Y-%m-%d %H:%M} UTC" if outcome.claimed_at else ""
        click.echo(f"Reminders for {day.isoformat()} already ran (by {outcome.claimed_by}{at}); nothing queued again.")
    if drained is not None:
        click.echo(_drained_line(drained))


def _drained_line(drained: Any) -> str:
    return (
        f"Sent {drained['sent']}, logged only {drained['logged']}, to retry {drained['retrying']}, "
        f"failed {drained['failed']}; {drained.waiting} waiting in the outbox (back-off or quiet hours)."
    )


def _database_table(report: Any) -> Any:
    from rich.table import Table

    table = Table("table", "rows")
    for name, count in report.rows.items():
        table.add_row(name, f"{count:,}")
    return table


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = float(n)
    for unit in ("KiB", "MiB"):  # noqa: B007  (the unit the loop stopped at is the answer)
        size /= 1024
        if size < 1024:
            break
    else:
        unit, size = "GiB", size / 1024
    return f"{size:,.1f} {unit}"


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, force: bool) -> None:
    """Copy the SQLite database to FILE while the service runs (PostgreSQL: prints the pg_dump command).

    Exits 0 when FILE holds a checked copy, 1 when the backup was refused or failed, and 2 on PostgreSQL, where
    nothing is written and the pg_dump / pg_restore commands to use are printed instead.
    """
    import sqlite3

    from lending.core import backup as backups

    url = get_settings().database_url
    try:
        database = backups.sqlite_path(url)
        if database is None:
            console.print(
                backups.postgres_advice(url, file, restoring=False), highlight=False, markup=False, soft_wrap=True
            )
            raise SystemExit(2)
        report = backups.backup_sqlite(database, file, force=force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"The backup failed, nothing was kept: {exc}") from None
    from rich.markup import escape

    console.print(_database_table(report))
    console.print(
        f"Backed up {escape(str(database))} to {escape(str(file))}: "
        f"schema revision {report.revision or 'none'}, {_size(report.size)}, "
        f"integrity check [green]{report.integrity[0]}[/green].",
        highlight=False,
        soft_wrap=True,
    )


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE (stop `lending serve` first).

    FILE must be an intact Lending database from this version or an older one (an older one is upgraded). The
    database it replaces is kept beside it as <name>.before-restore-<time>. Exits 2 on PostgreSQL (use pg_restore).
    """
    import sqlite3

    from lending.core import backup as backups
    from lending.core.migrations import migrations_dir

    url = get_settings().database_url
    try:
        database = backups.sqlite_path(url)
        if database is None:
            console.print(
                backups.postgres_advice(url, file, restoring=True), highlight=False, markup=False, soft_wrap=True
            )
            raise SystemExit(2)
        checked = backups.check_restorable(file, migrations_dir())
        console.print(_database_table(checked))
        console.print(
            f"{file}: schema revision {checked.revision}, integrity check ok.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        if not yes:
            click.confirm(f"Replace the database {database} with {file}?", abort=True, err=True)
        result = backups.restore_sqlite(file, database, migrations_dir())
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"The restore failed, the database was left as it was: {exc}") from None
    from rich.markup import escape

    report = result.restored
    upgraded = f", upgraded from {result.restored_revision}" if result.upgraded else ""
    console.print(
        f"Restored {escape(str(file))} into {escape(str(database))}: "
        f"schema revision {report.revision}{upgraded}, {_size(report.size)}, "
        f"integrity check [green]{report.integrity[0]}[/green].",
        highlight=False,
        soft_wrap=True,
    )
    if result.previous is not None:
        console.print(
            f"The database it replaced is kept as {result.previous}.", highlight=False, markup=False, soft_wrap=True
        )


@main.group()
def messages() -> None:
    """Messages to families and staff."""


# Urdu and Bengali in the test email: a mail server or client that mangles UTF-8 shows here, before a family's does.
_TEST_SCRIPTS = "السلام علیکم · স্বাগতম · Dzień dobry"


@messages.command("test")
@click.option("--to", "address", required=True, help="An email address, or a phone number (07911 123456, +44…).")
@click.option(
    "--channel",
    type=click.Choice(["email", "sms"]),
    default=None,
    help="Default: email for an address with an @, else sms.",
)
def messages_test(address: str, channel: str | None) -> None:
    """Send one test message through the configured channel, to check the settings.

    Email goes through LENDING_SMTP_URL, texts through LENDING_SMS_PROVIDER. With neither set, the message is only
    written to the log, as every message would be. Exits 1 when the message was not sent.
    """
    import uuid

    import phonenumbers

    from lending.messages.channels import (
        LogChannel,
        Outgoing,
        PermanentFailure,
        TemporaryFailure,
        channels_from,
        redact,
    )

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    to = address.strip()
    kind = channel or ("email" if "@" in to else "sms")
    if kind == "sms":
        try:
            number = phonenumbers.parse(to, "GB")
        except phonenumbers.NumberParseException:
            raise click.BadParameter("not a phone number", param_hint="--to") from None
        if not phonenumbers.is_valid_number(number):
            raise click.BadParameter("not a valid phone number", param_hint="--to")
        to = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        subject = ""
        body = (
            f"{settings.org_name}: a test text from Lending. If it reached you, reminders by text will reach families."
        )
    else:
        if to.count("@") != 1 or not all(to.split("@")):
            raise click.BadParameter("not an email address", param_hint="--to")
        subject = f"{settings.org_name}: a test message from Lending"
        body = (
            f"This is a test message from Lending for {settings.org_name}.\n\n"
            "If it reached you, reminders by email will reach families too. The next line should show Urdu, Bengali "
            f"and Polish letters, not question marks or boxes:\n\n{_TEST_SCRIPTS}\n\nSent by `lending messages test`.\n"
        )
    chosen = channels_from(settings)[kind]
    reference = f"test-{uuid.uuid4().hex[:12]}"
    message = Outgoing(
        channel="sms" if kind == "sms" else "email", to=to, subject=subject, body=body, reference=reference
    )
    try:
        provider_id = asyncio.run(chosen.send(message))
    except TemporaryFailure as exc:
        raise click.ClickException(f"Not sent (the outbox would try again later): {exc}") from None
    except PermanentFailure as exc:
        raise click.ClickException(f"Not sent, refused for good: {exc}") from None
    if isinstance(chosen, LogChannel):
        click.echo(f"Nothing was sent: {chosen.why}. The {kind} to {redact(to)} was only written to the log.")
        return
    said = f"; the provider's id: {provider_id}" if provider_id else ""
    click.echo(f"Sent the test {kind} to {redact(to)}, reference {reference}{said}.")


@main.command()
@click.option("--missing", is_flag=True, help="List each language's untranslated words too.")
def languages(missing: bool) -> None:
    """Each language's words and templates with their review status (reviewed, draft, English), and any problem."""
    from lending.i18n import check

    sys.exit(check.main(["--missing"] if missing else []))


if __name__ == "__main__":
    main()


@messages.command("send")
def messages_send() -> None:
    """Send what the outbox holds that is due: retries after their back-off, texts held over the quiet hours.

    With `lending remind` from cron, run this every few minutes too (`lending serve` does it itself).
    """
    import lending.models  # noqa: F401  (every table the audit listener may touch)
    from lending.core.db import session_maker
    from lending.messages.outbox import Sender

    settings = get_settings()

    async def work(engine: Any) -> Any:
        return await Sender(session_maker(engine), settings, label="cli:messages send").drain()

    click.echo(_drained_line(run_with_engine(work)))
