"""Reports, list endpoints, tag lookup and the waiting list on demo databases of 1,000 and 100,000 assets.

    python -m tests.benchmarks.reports                                   # SQLite, 1k and 100k
    python -m tests.benchmarks.reports --database-url postgresql+asyncpg://postgres@127.0.0.1/bench
    python -m tests.benchmarks.reports --scales 1000,10000 --repeat 21

Each scale gets a fresh database filled by `lending demo --scale N` (lending/demo.py; on PostgreSQL the given
database name gets a `_<N>` suffix and is dropped and made again). Requests go through the whole app in process
(Litestar's test client: routing, auth, the access policy, serialisation; no network) as a staff user, each
repeated (`--repeat`, or at least 3 times when that takes over 5 s) and reported as the median in ms. After the
timings, each list endpoint's, the tag lookup's and the waiting list's own SQL (captured as the app ran it) is
explained, to show which indexes answer it.
Report endpoints not on this branch yet are listed as absent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from lending.inventory.models import Asset

SECRET = "benchmark-secret-key-that-is-long-enough"
BUDGET_SECONDS = 5

# name → path; the waiting list is what staff open to decide, 20,000 open nominations at 100k.
REPORTS = {
    "summary": "/api/v1/reports/summary",
    "loans by month": "/api/v1/reports/loans?group_by=month",
    "loans by school": "/api/v1/reports/loans?group_by=school",
    "loans by district": "/api/v1/reports/loans?group_by=postcode_district",
    "pipeline": "/api/v1/reports/pipeline",
    "donations": "/api/v1/reports/donations",
    "loans.csv by month": "/api/v1/reports/loans.csv?group_by=month",
}
LISTS = {
    "assets": "/api/v1/assets?limit=50",
    "assets ready": "/api/v1/assets?status=ready&limit=50",
    "loans": "/api/v1/loans?limit=50",
    "loans active": "/api/v1/loans?status=active&limit=50",
    "nominations": "/api/v1/nominations?limit=50",
    "families": "/api/v1/families?limit=50",
    "waiting list by priority": "/api/v1/nominations?status=submitted,approved,waitlisted&sort=-priority&limit=50",
    "waiting list, page 100": (
        "/api/v1/nominations?status=submitted,approved,waitlisted&sort=-priority&limit=50&offset=4950"
    ),
}


@dataclass
class Result:
    database: str
    scale: int
    build_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    ms: dict[str, float | None] = field(default_factory=dict)
    plans: dict[str, list[str]] = field(default_factory=dict)


class Captured:
    """The SQL the app sends while a request runs, to explain afterwards."""

    def __init__(self) -> None:
        self.on = False
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if self.on and not many and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    @contextmanager
    def capturing(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        self.on = True
        try:
            yield self.statements
        finally:
            self.on = False


def fresh_database(base: str | None, scale: int, folder: Path, reuse: bool) -> str:
    if base is None:
        path = folder / f"demo-{scale}.db"
        if not reuse:
            for stale in folder.glob(f"demo-{scale}.db*"):
                stale.unlink()
        return f"sqlite+aiosqlite:///{path}"
    url = make_url(base)
    name = f"{url.database}_{scale}"
    if reuse:
        return url.set(database=name).render_as_string(hide_password=False)

    async def remake() -> None:
        server = create_async_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await server.dispose()

    asyncio.run(remake())
    return url.set(database=name).render_as_string(hide_password=False)


async def staff_token(engine: AsyncEngine, app: Any, scale: int) -> str:
    from lending.accounts.models import Role
    from lending.accounts.service import AccountService, NewUser
    from lending.audit.recorder import set_actor
    from lending.core.db import session_maker

    async with session_maker(engine)() as session, session.begin():
        set_actor(session, user_id=None, label="benchmark")
        user, _ = await AccountService(session).create(
            NewUser(email=f"bench-{time.time_ns()}@example.org", name="Bench Staff", role=Role.staff, password=SECRET)
        )
    return str(app.state.jwt_auth.create_token(identifier=str(user.id), token_expiration=timedelta(hours=2)))


async def explain(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
            return [str(row[-1]) for row in rows]
        await conn.exec_driver_sql("SET enable_seqscan = on")
        rows = (await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)).all()
        return [str(row[0]) for row in rows]


async def measure(url: str, scale: int, repeat: int, database: str) -> Result:
    from litestar.testing import AsyncTestClient

    from lending.app import create_app
    from lending.config import Settings
    from lending.demo import build

    result = Result(database, scale)
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        built = await conn.scalar(select(func.count(Asset.id)))
    if not built:
        started = time.perf_counter()
        counts = await build(engine, scale)
        result.build_seconds = time.perf_counter() - started
        result.rows = {k: v for k, v in counts.rows.items() if k != "audit_entry"}
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")

    settings = Settings(database_url=url, secret_key=SECRET, org_name="Benchmark Lending", log_level="WARNING")
    app = create_app(settings)
    token = await staff_token(engine, app, scale)
    headers = {"Authorization": f"Bearer {token}"}
    async with engine.connect() as conn:
        tags = list((await conn.scalars(select(Asset.tag).order_by(func.random()).limit(repeat))).all())
    captured = Captured()
    event.listen(Engine, "before_cursor_execute", captured)
    try:
        async with AsyncTestClient(app=app) as client:

            async def timed(name: str, paths: list[str], plan: bool) -> None:
                first = await client.get(paths[0], headers=headers)  # warm: compiled SQL, caches
                if first.status_code in (404, 405):
                    result.ms[name] = None
                    return
                assert first.status_code == 200, (paths[0], first.status_code, first.text[:300])
                times: list[float] = []
                spent = time.perf_counter()
                for n in range(repeat):
                    # A slow request is measured fewer times (at least 3), so that a run stays within minutes.
                    if n >= 3 and time.perf_counter() - spent > BUDGET_SECONDS:
                        break
                    path = paths[n % len(paths)]
                    begun = time.perf_counter()
                    answer = await client.get(path, headers=headers)
                    times.append((time.perf_counter() - begun) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                result.ms[name] = statistics.median(times)
                if plan:
                    with captured.capturing() as statements:
                        await client.get(paths[0], headers=headers)
                    lines = []
                    for statement, parameters in statements:
                        if "user_account" in statement and "FROM user_account" in statement:
                            continue  # the sign-in's own lookup of the token's user
                        lines.append("-- " + " ".join(statement.split())[:160])
                        lines.extend("   " + line for line in await explain(engine, statement, parameters))
                    result.plans[name] = lines

            for name, path in REPORTS.items():
                await timed(name, [path], plan=False)
            for name, path in LISTS.items():
                await timed(name, [path], plan=True)
            await timed("tag lookup", [f"/api/v1/assets/{tag}" for tag in tags], plan=True)
    finally:
        event.remove(Engine, "before_cursor_execute", captured)
        await engine.dispose()
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores{memory}, {system}"


def report(results: list[Result]) -> None:
    print(f"\nMachine: {machine()}")
    for r in results:
        built = ", ".join(f"{n:,} {t}" for t, n in r.rows.items())
        if r.rows:
            print(f"{r.database} {r.scale:,}: built in {r.build_seconds:.0f} s ({built})")
    by_db: dict[str, list[Result]] = {}
    for r in results:
        by_db.setdefault(r.database, []).append(r)
    for database, rs in by_db.items():
        rs.sort(key=lambda r: r.scale)
        print(f"\n### {database}: median ms per request")
        header = " | ".join(f"{r.scale:,} assets" for r in rs)
        print(f"| request | {header} |" + (" ratio |" if len(rs) == 2 else ""))
        print("|---|" + "---:|" * len(rs) + ("---:|" if len(rs) == 2 else ""))
        for name in rs[0].ms:
            cells = [r.ms.get(name) for r in rs]
            shown = " | ".join("absent" if c is None else f"{c:.1f}" for c in cells)
            ratio = ""
            if len(rs) == 2:
                a, b = cells
                ratio = " — |" if a is None or b is None else f" {b / a:.2f}× |"
            print(f"| {name} | {shown} |{ratio}")
    for r in results:
        if r.scale != max(x.scale for x in results if x.database == r.database):
            continue
        print(f"\n### {r.database} {r.scale:,}: query plans")
        for name, lines in r.plans.items():
            print(f"\n{name}:")
            print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server and base database name (default: SQLite files)")
    parser.add_argument("--scales", default="1000,100000", help="comma-separated demo sizes (assets)")
    parser.add_argument("--repeat", type=int, default=15, help="requests per measurement")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the SQLite files in this folder (PostgreSQL keeps its databases); with --reuse, measure them again",
    )
    parser.add_argument("--reuse", action="store_true", help="measure the databases kept from an earlier run")
    args = parser.parse_args()
    from lending.core import migrations

    random.seed(12)
    os.environ.setdefault("LENDING_PASSWORD_HASH_PROFILE", "fast")
    database = "PostgreSQL" if args.database_url else "SQLite"
    results = []
    with tempfile.TemporaryDirectory(prefix="lending-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for scale in (int(s) for s in args.scales.split(",")):
            url = fresh_database(args.database_url, scale, folder, args.reuse)
            migrations.upgrade(url)
            print(f"{database} {scale:,}: building the demo and measuring …", flush=True)
            results.append(asyncio.run(measure(url, scale, args.repeat, database)))
    report(results)


if __name__ == "__main__":
    main()
