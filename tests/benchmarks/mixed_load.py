"""A volunteer's asset lookup, on an idle server and while others work.

    python -m tests.benchmarks.mixed_load                      # SQLite in a temporary directory
    python -m tests.benchmarks.mixed_load --database-url postgresql+asyncpg://postgres@127.0.0.1/lending_bench
    python -m tests.benchmarks.mixed_load --seconds 20 --workers 1

A real `lending serve` is started and stocked (ready laptops, a centre, a family, a volunteer). A volunteer then
looks assets up (`GET /api/v1/assets/{tag}`, one at a time, a short pause between scans) for `--seconds` on the
idle server, and for as long again while, in another process, 8 desks issue and return loans without pause, a
10,000-row CSV import is checked (`POST /api/v1/assets/import?dry_run=true`) over and over, and someone signs in
over and over (argon2). The lookup's p50/p95/p99 in both phases and p99(load) / p99(idle) are printed; the target
is at most 5. The load runs in its own process so that its client work does not delay the volunteer's client.
A PostgreSQL database is migrated and filled: give it an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks.loan_cycle import ADMIN, SECRET, setup_lending
from tests.support import free_port, stop_serving, wait_until_serving

VOLUNTEER = ("bench-volunteer@example.org", "harbour-lantern-quietly-7")
DESKS = 8
IMPORT_ROWS = 10_000
LOOKUP_TAGS = 50  # stock the volunteer scans; the desks never lend these
LOADS = ("desks", "import", "sign-in")
PAUSE_SECONDS = 0.02  # between two scans: a person with a barcode reader, not a flood


@dataclass
class Latencies:
    values: list[float] = field(default_factory=list)
    errors: int = 0

    def pct(self, q: float) -> float:
        if not self.values:
            return float("nan")
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def import_file(rows: int) -> bytes:
    """A file like a donation's delivery note: laptops received, a tenth of them ready with their wipe."""
    lines = ["kind,status,make,model,serial_number,wipe_method,wipe_performed_on,wipe_performed_by"]
    for n in range(rows):
        if n % 10 == 0:
            lines.append(f"laptop,ready,Lenovo,ThinkPad T480,MIX-{n},manufacturer-reset,2026-11-20,Bench")
        else:
            lines.append(f"laptop,received,Lenovo,ThinkPad T480,MIX-{n},,,")
    return "\n".join(lines).encode()


def probe(base: str, headers: dict[str, str], tags: list[str], seconds: float) -> Latencies:
    """The volunteer: one lookup at a time, as a desk's scanner would, for `seconds`."""
    result = Latencies()
    picks = random.Random(7)
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            tag = picks.choice(tags)
            started = time.perf_counter()
            response = http.get(f"/api/v1/assets/{tag}")
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                result.values.append(elapsed)
            else:
                result.errors += 1
            time.sleep(PAUSE_SECONDS)
    return result


# --- the others at work, in a process of their own -------------------------------------------------------------


async def _load(base: str, setup: dict[str, Any], stop: Any, ready: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {"cycles": 0, "dry_runs": 0, "dry_run_seconds": [], "sign_ins": 0, "errors": {}}

    def failed(what: str, response: httpx.Response) -> None:
        key = f"{what} {response.status_code}"
        counts["errors"][key] = counts["errors"].get(key, 0) + 1

    headers = setup["headers"]
    limits = httpx.Limits(max_connections=DESKS + 4, max_keepalive_connections=DESKS + 4)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:

        async def desk(tags: list[str]) -> None:
            for tag in tags:
                if stop.is_set():
                    return
                issued = await http.post("/api/v1/loans", json={**setup["where"], "items": [tag]}, headers=headers)
                if issued.status_code != 201:
                    failed("issue", issued)
                    continue
                back = await http.post(
                    f"/api/v1/loans/{issued.json()['id']}/returns",
                    json={"items": [{"tag": tag, "condition": "good"}]},
                    headers=headers,
                )
                if back.status_code == 200:
                    counts["cycles"] += 1
                else:
                    failed("return", back)

        async def importer() -> None:
            body = import_file(setup["import_rows"])
            while not stop.is_set():
                started = time.perf_counter()
                response = await http.post(
                    "/api/v1/assets/import",
                    params={"dry_run": "true", "centre_id": setup["where"]["centre_id"]},
                    content=body,
                    headers={**headers, "Content-Type": "text/csv"},
                )
                if response.status_code == 200 and response.json()["valid"]:
                    counts["dry_runs"] += 1
                    counts["dry_run_seconds"].append(time.perf_counter() - started)
                else:
                    failed("dry run", response)

        async def signer() -> None:
            credentials = {"email": VOLUNTEER[0], "password": VOLUNTEER[1]}
            while not stop.is_set():
                response = await http.post("/api/v1/auth/token", json=credentials)
                if response.status_code == 200:
                    counts["sign_ins"] += 1
                else:
                    failed("sign-in", response)

        kinds = setup["load"]
        stock = setup["desk_tags"]
        tasks = [asyncio.create_task(desk(stock[i::DESKS])) for i in range(DESKS)] if "desks" in kinds else []
        tasks += [asyncio.create_task(importer())] if "import" in kinds else []
        tasks += [asyncio.create_task(signer())] if "sign-in" in kinds else []
        ready.set()
        await asyncio.gather(*tasks)
    return counts


def _generate_load(base: str, setup: dict[str, Any], stop: Any, ready: Any, results: Any) -> None:
    results.put(asyncio.run(_load(base, setup, stop, ready)))


# --- the run ---------------------------------------------------------------------------------------------------


async def stock(base: str, assets: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        headers, where, tags = await setup_lending(http, assets + LOOKUP_TAGS)
        volunteer = {
            "email": VOLUNTEER[0],
            "name": "Bench Volunteer",
            "role": "volunteer",
            "home_centre_id": where["centre_id"],
            "password": VOLUNTEER[1],
        }
        created = await http.post("/api/v1/users", json=volunteer, headers=headers)
        if created.status_code != 201:
            raise SystemExit(f"could not create the volunteer: {created.text}")
        token = (await http.post("/api/v1/auth/token", json={"email": VOLUNTEER[0], "password": VOLUNTEER[1]})).json()
    return {
        "headers": headers,
        "where": where,
        "lookup_tags": tags[:LOOKUP_TAGS],
        "desk_tags": tags[LOOKUP_TAGS:],
        "volunteer_headers": {"Authorization": f"Bearer {token['access_token']}"},
    }


def run(
    database_url: str, seconds: float, workers: int, assets: int, import_rows: int, load: set[str], workdir: Path
) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
        "LENDING_DATABASE_URL": database_url,
        "LENDING_REMINDERS_IN_PROCESS": "false",  # the day's reminder run would be measured with the requests
        "LENDING_SECRET_KEY": SECRET,
        "LENDING_LOG_LEVEL": "WARNING",
        "LENDING_ADMIN_EMAIL": ADMIN[0],
        "LENDING_ADMIN_PASSWORD": ADMIN[1],
        "LENDING_LOGIN_MAX_ATTEMPTS": "100000",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "lending", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_until_serving(base, server)
        print(f"stocking {assets + LOOKUP_TAGS} ready laptops …", file=sys.stderr)
        setup = asyncio.run(stock(base, assets))
        setup["import_rows"] = import_rows
        setup["load"] = load
        probe(base, setup["volunteer_headers"], setup["lookup_tags"], 2.0)  # warm up
        print(f"idle: {seconds:g} s of lookups …", file=sys.stderr)
        idle = probe(base, setup["volunteer_headers"], setup["lookup_tags"], seconds)

        context = multiprocessing.get_context("spawn")
        stop, ready, results = context.Event(), context.Event(), context.Queue()
        others = context.Process(target=_generate_load, args=(base, setup, stop, ready, results))
        others.start()
        ready.wait(60)
        time.sleep(2.0)  # every kind of work under way: the first dry run is mid-file, desks are queued
        print(f"under load: {seconds:g} s of lookups …", file=sys.stderr)
        busy = probe(base, setup["volunteer_headers"], setup["lookup_tags"], seconds)
        stop.set()
        counts = results.get(timeout=600)
        others.join(60)
    finally:
        stop_serving(server)
    problems = [line for line in log_path.read_text().splitlines() if " ERROR " in line or "Traceback" in line]
    return {
        "idle": idle,
        "busy": busy,
        "counts": counts,
        "seconds": seconds,
        "import_rows": import_rows,
        "load": load,
        "server_errors": problems[:5],
    }


def report(database: str, workers: int, result: dict) -> str:
    idle, busy, counts = result["idle"], result["busy"], result["counts"]
    dry = sorted(counts["dry_run_seconds"])
    lines = [
        f"database: {database}; lending serve --workers {workers}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        "| lookups | count | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, lat in (("idle", idle), ("under load", busy)):
        lines.append(
            f"| {name} | {len(lat.values)} | {lat.pct(0.5):.1f} | {lat.pct(0.95):.1f} | {lat.pct(0.99):.1f} | "
            f"{max(lat.values, default=float('nan')) * 1000:.1f} | {lat.errors} |"
        )
    ratio = busy.pct(0.99) / idle.pct(0.99) if idle.values else float("nan")
    lines += [
        "",
        f"p99 under load ({', '.join(sorted(result['load']))}) / p99 idle: {ratio:.1f}x (target: at most 5x)",
        f"while loaded ({result['seconds'] + 2:g} s and the tail): {counts['cycles']} loan cycles by {DESKS} desks, "
        f"{counts['dry_runs']} dry runs of {result['import_rows']:,} rows"
        + (f" (median {dry[len(dry) // 2]:.1f} s)" if dry else "")
        + f", {counts['sign_ins']} sign-ins; errors: {counts['errors'] or 'none'}",
    ]
    if result["server_errors"]:
        lines += ["server log:", *result["server_errors"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="An empty PostgreSQL database (default: SQLite).")
    parser.add_argument("--seconds", type=float, default=20.0, help="Of lookups, idle and again under load.")
    parser.add_argument("--workers", type=int, default=1, help="lending serve --workers (default 1).")
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS, help="Rows in the dry-run file.")
    parser.add_argument(
        "--load", default=",".join(LOADS), help=f"The work going on meanwhile, comma-separated: {', '.join(LOADS)}."
    )
    args = parser.parse_args()
    load = {name.strip() for name in args.load.split(",") if name.strip()}
    if not load <= set(LOADS):
        parser.error(f"--load: choose from {', '.join(LOADS)}")
    # Enough ready laptops for 8 desks for the whole loaded phase (each cycle uses one up), at a generous rate.
    assets = int(os.environ.get("BENCH_ASSETS", str(max(1000, int(100 * (args.seconds + 10))))))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'lending.db'}"
        result = run(url, args.seconds, args.workers, assets, args.import_rows, load, workdir)
    print(report("PostgreSQL" if url.startswith("postgresql") else "SQLite", args.workers, result))


if __name__ == "__main__":
    main()
