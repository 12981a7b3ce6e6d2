"""Peak memory (and time) of a large asset import through `lending import assets`, dry run and real.

    python -m tests.benchmarks.import_memory                      # 100,000 rows into a fresh SQLite file
    python -m tests.benchmarks.import_memory --rows 20000 --database-url postgresql+asyncpg://…/empty_db

Each run is a separate `lending import assets` process; its peak resident set size comes from the kernel
(wait4's ru_maxrss), so it is the whole process: Python, the libraries, the file being read and the assets.
The file: 80% laptops as received, 10% laptops ready with their wipe, 10% SIMs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn


def write_file(path: Path, rows: int) -> None:
    wiped_on = (date.today() - timedelta(days=2)).isoformat()
    activated = (date.today() - timedelta(days=30)).isoformat()
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "kind,status,centre,make,model,serial_number,network,iccid,plan_months,activated_on,"
            "wipe_method,wipe_performed_on,wipe_performed_by\n"
        )
        for n in range(rows):
            if n % 10 == 8:
                out.write(
                    f"laptop,ready,Bench Hub,Lenovo,ThinkPad T480,WIPED-{n:07d},,,,,manufacturer-reset,"
                    f"{wiped_on},Workshop\n"
                )
            elif n % 10 == 9:
                body = f"894410{n:012d}"
                out.write(f"sim,,Bench Hub,,,,EE,{body + luhn.calc_check_digit(body)},12,{activated},,,\n")
            else:
                out.write(f"laptop,,Bench Hub,Dell,Latitude 5490,SER-{n:07d},,,,,,,\n")


async def prepare(database_url: str) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.pool import NullPool

    import lending.models  # noqa: F401
    from lending.audit.recorder import set_actor
    from lending.centres.models import Centre

    engine = create_async_engine(database_url, poolclass=NullPool)
    async with async_sessionmaker(engine)() as session, session.begin():
        set_actor(session, user_id=None, label="benchmark")
        session.add(Centre(name="Bench Hub", postcode="B1 1AA"))
    await engine.dispose()


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds, peak RSS in MiB and exit code of one `lending` process."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"lending {' '.join(args)} failed ({process.returncode}): {stderr[-2000:]}")
    return time.monotonic() - started, usage.ru_maxrss / 1024, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    options = parser.parse_args()

    from lending.core import migrations

    with tempfile.TemporaryDirectory() as workdir:
        url = options.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        migrations.upgrade(url)
        asyncio.run(prepare(url))
        csv_path = Path(workdir) / "stock.csv"
        write_file(csv_path, options.rows)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
            "LENDING_DATABASE_URL": url,
            "LENDING_LOG_LEVEL": "WARNING",
        }
        size_mb = csv_path.stat().st_size / 1024 / 1024
        _, baseline, _ = run(["--version"], env)
        dry = run(["import", "assets", str(csv_path), "--dry-run"], env)
        real = run(["import", "assets", str(csv_path)], env)
        print(
            f"{options.rows:,} rows, {size_mb:.1f} MB file; a bare `lending --version` process peaks at "
            f"{baseline:.0f} MiB"
        )
        print()
        print("| run | seconds | peak RSS MiB |")
        print("|---|---|---|")
        print(f"| dry run | {dry[0]:.1f} | {dry[1]:.0f} |")
        print(f"| import | {real[0]:.1f} | {real[1]:.0f} |")


if __name__ == "__main__":
    main()
