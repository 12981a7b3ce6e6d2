"""Loan cycles over HTTP: issue a device, take it back, as fast as a running `lending serve` allows.

    python -m tests.benchmarks.loan_cycle                      # SQLite in a temporary directory
    python -m tests.benchmarks.loan_cycle --database-url postgresql+asyncpg://postgres@127.0.0.1/lending_bench
    python -m tests.benchmarks.loan_cycle --seconds 5 --levels 1,8,32

One cycle is `POST /api/v1/loans` (one ready laptop) then `POST /api/v1/loans/{id}/returns`, each over HTTP
with a bearer token, at 1, 8 and 32 concurrent clients. Next to it, the same clients call a bare Litestar
endpoint doing one SQLAlchemy insert (tests/benchmarks/bare_app.py), served the same way: one uvicorn process,
Lending's engine settings, its own table. A PostgreSQL database is migrated and filled: give it an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

ADMIN = ("bench-admin@example.org", "loan-cycle-benchmark-secret")
SECRET = "benchmark-secret-key-that-is-long-enough"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read() if process.stderr else ''}")
        try:
            httpx.get(f"{base}/health", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Run:
    done: int = 0
    latencies: list[float] = field(default_factory=list)  # per unit (cycle or request)
    request_latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def pct(self, values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(concurrency: int, seconds: float, unit) -> Run:
    run = Run()
    stop_at = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            ok = await unit(index, run)
            if ok is None:
                return
            if ok:
                run.done += 1
                run.latencies.append(time.perf_counter() - started)
            else:
                run.errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    run.elapsed = time.perf_counter() - began
    return run


async def setup_lending(http: httpx.AsyncClient, assets: int) -> tuple[dict, dict, list[str]]:
    token = (await http.post("/api/v1/auth/token", json={"email": ADMIN[0], "password": ADMIN[1]})).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    centre = (
        await http.post("/api/v1/centres", json={"name": "Bench Hub", "postcode": "B1 1AA"}, headers=headers)
    ).json()
    family = (
        await http.post(
            "/api/v1/families",
            json={
                "lead_name": "Bench Family",
                "phone": "07911 123456",
                "postcode": "B12 9QT",
                "children": 2,
                "school_age_children": 2,
                "has_broadband": False,
                "consent_given_on": (date.today() - timedelta(days=21)).isoformat(),
            },
            headers=headers,
        )
    ).json()
    tags: list[str] = []
    batch = 2000
    for start_at in range(0, assets, batch):
        rows = ["kind,status,centre,make,model,serial_number,wipe_method,wipe_performed_on,wipe_performed_by"]
        wiped_on = date.today().isoformat()
        rows += [
            f"laptop,ready,Bench Hub,Dell,Latitude,BENCH-{n},manufacturer-reset,{wiped_on},Bench"
            for n in range(start_at, min(assets, start_at + batch))
        ]
        response = await http.post(
            "/api/v1/assets/import",
            content="\n".join(rows).encode(),
            headers={**headers, "Content-Type": "text/csv"},
            timeout=600,
        )
        response.raise_for_status()
        tags += response.json()["tags"]
    return headers, {"centre_id": centre["id"], "family_id": family["id"]}, tags


async def measure(database_url: str, levels: list[int], seconds: float, workdir: Path) -> list[dict]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
        "LENDING_DATABASE_URL": database_url,
        "LENDING_REMINDERS_IN_PROCESS": "false",  # the day's reminder run would be measured with the requests
        "LENDING_SECRET_KEY": SECRET,
        "LENDING_LOG_LEVEL": "WARNING",
        "LENDING_ADMIN_EMAIL": ADMIN[0],
        "LENDING_ADMIN_PASSWORD": ADMIN[1],
        "LENDING_LOGIN_MAX_ATTEMPTS": "1000",
    }
    uvicorn_flags = ["--log-level", "warning", "--no-access-log"]
    lending, lending_url = start([sys.executable, "-m", "lending", "serve"], env, workdir)
    bare_env = {**env}
    if database_url.startswith("sqlite"):
        bare_env["LENDING_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'bare.db'}"
    bare, bare_url = start(
        [sys.executable, "-m", "uvicorn", "tests.benchmarks.bare_app:create_bare_app", "--factory", *uvicorn_flags],
        {**bare_env, "PYTHONPATH": str(Path.cwd())},
        Path.cwd(),
    )
    results = []
    try:
        limits = httpx.Limits(max_connections=max(levels) + 4, max_keepalive_connections=max(levels) + 4)
        async with (
            httpx.AsyncClient(base_url=lending_url, timeout=120, limits=limits) as http,
            httpx.AsyncClient(base_url=bare_url, timeout=120, limits=limits) as bare_http,
        ):
            # Enough ready laptops for the fastest level to run the whole time (each cycle uses one up).
            pool_size = int(os.environ.get("BENCH_ASSETS", "6000"))
            print(f"setting up {pool_size} ready laptops …", file=sys.stderr)
            headers, where, tags = await setup_lending(http, pool_size)
            pool = iter(tags)

            async def cycle(_index: int, run: Run) -> bool | None:
                tag = next(pool, None)
                if tag is None:
                    return None
                t0 = time.perf_counter()
                issued = await http.post("/api/v1/loans", json={**where, "items": [tag]}, headers=headers)
                t1 = time.perf_counter()
                if issued.status_code != 201:
                    return False
                back = await http.post(
                    f"/api/v1/loans/{issued.json()['id']}/returns",
                    json={"items": [{"tag": tag, "condition": "good"}]},
                    headers=headers,
                )
                run.request_latencies += [t1 - t0, time.perf_counter() - t1]
                return back.status_code == 200

            async def insert(_index: int, run: Run) -> bool:
                t0 = time.perf_counter()
                response = await bare_http.post("/bare")
                run.request_latencies.append(time.perf_counter() - t0)
                return response.status_code == 201

            await drive(4, 1.0, insert)  # warm both servers up
            for level in levels:
                loan = await drive(level, seconds, cycle)
                plain = await drive(level, seconds, insert)
                cycles_s = loan.done / loan.elapsed
                requests_s = 2 * loan.done / loan.elapsed
                bare_s = plain.done / plain.elapsed
                results.append(
                    {
                        "clients": level,
                        "cycles_s": cycles_s,
                        "loan_requests_s": requests_s,
                        "cycle_p50": loan.pct(loan.latencies, 0.5),
                        "cycle_p99": loan.pct(loan.latencies, 0.99),
                        "request_p50": loan.pct(loan.request_latencies, 0.5),
                        "request_p99": loan.pct(loan.request_latencies, 0.99),
                        "bare_s": bare_s,
                        "bare_p50": plain.pct(plain.latencies, 0.5),
                        "bare_p99": plain.pct(plain.latencies, 0.99),
                        "errors": loan.errors + plain.errors,
                        "request_ratio": requests_s / bare_s if bare_s else float("nan"),
                    }
                )
    finally:
        stop(lending)
        stop(bare)
    return results


def report(database: str, results: list[dict]) -> str:
    lines = [
        f"database: {database}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "| clients | loan cycles/s | loan requests/s | cycle p50 / p99 ms | request p50 / p99 ms "
        "| bare inserts/s | bare p50 / p99 ms | requests ratio | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['clients']} | {r['cycles_s']:.0f} | {r['loan_requests_s']:.0f} | {r['cycle_p50']:.1f} / "
            f"{r['cycle_p99']:.1f} | {r['request_p50']:.1f} / {r['request_p99']:.1f} | {r['bare_s']:.0f} | "
            f"{r['bare_p50']:.1f} / {r['bare_p99']:.1f} | {r['request_ratio']:.2f} | {r['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="An empty PostgreSQL database (default: SQLite).")
    parser.add_argument("--seconds", type=float, default=8.0, help="Per level and per endpoint.")
    parser.add_argument("--levels", default="1,8,32", help="Concurrent clients, comma-separated.")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'lending.db'}"
        results = asyncio.run(measure(url, levels, args.seconds, workdir))
    print(report("PostgreSQL" if url.startswith("postgresql") else "SQLite", results))


if __name__ == "__main__":
    main()
