"""Time and peak memory of the official-file imports: `lending import imd` with an ONSPD-sized postcode directory,
and `lending import schools` with a GIAS-sized extract.

    python -m tests.benchmarks.imports                                  # 2.7M postcodes, 50,000 schools, SQLite
    python -m tests.benchmarks.imports --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/empty_db
    python -m tests.benchmarks.imports --postcodes 300000 --schools 5000  # a quick look
    python -m tests.benchmarks.imports --files /var/tmp/bench                # keep the files for the next run

The files are synthetic but in the published layouts (tests/families/deprivation_files.py,
tests/schools/gias_extract.py) and of the real sizes: the ONS Postcode Directory's 53 columns filled as ONS fills
them (~1 GB for 2.7M rows), a third of its postcodes terminated, England's share of areas with an LSOA in the
index and the rest Welsh, Scottish and Northern Irish; File 1 with all 32,844 English LSOAs, as xlsx. Each run is
a separate `lending` process; its peak resident set size comes from the kernel (wait4's ru_maxrss), so it is the
whole process: Python, the libraries, the index and whatever the import holds. CPU seconds (user + system, also
from the kernel) are given beside the wall-clock seconds: on a machine busy with other work they say more.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.families.deprivation_files import FILE_1_COLUMNS, ONSPD_COLUMNS, ONSPD_HEADER
from tests.schools.gias_extract import establishment, write_extract

LSOAS = 32_844
# Postcode areas and their country: England's with an LSOA in the index, the others' outside it.
AREAS = {
    "B": "E",
    "WS": "E",
    "CV": "E",
    "DY": "E",
    "WV": "E",
    "M": "E",
    "LS": "E",
    "BS": "E",
    "CF": "W",
    "EH": "S",
    "G": "S",
    "BT": "N",
}
_UNITS = [a + b for a in "ABDEFGHJLNPQRSTUWXYZ" for b in "ABDEFGHJLNPQRSTUWXYZ"]
_COUNTRY = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}


def write_file_1(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.create_sheet("Notes").append(["English Indices of Deprivation 2019"])
    sheet = workbook.create_sheet("IMD2019")
    sheet.append(FILE_1_COLUMNS)
    for n in range(1, LSOAS + 1):
        rank = (n * 7919) % LSOAS + 1
        decile = (rank - 1) * 10 // LSOAS + 1
        sheet.append([f"E0{n:07d}", f"Area {n:05d}A", "E08000025", "Birmingham", rank, decile])
    workbook.save(path)


def write_onspd(path: Path, rows: int) -> None:
    """`rows` unique postcodes; every third terminated."""
    areas = list(AREAS.items())
    shuffle = random.Random(12)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(ONSPD_HEADER + "\r\n")
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for i in range(rows):
            area, country = areas[i % len(areas)]
            rest = i // len(areas)
            unit, rest = _UNITS[rest % len(_UNITS)], rest // len(_UNITS)
            sector, district = rest % 10, rest // 10 + 1
            outward, inward = f"{area}{district}", f"{sector}{unit}"
            lsoa = f"{country}0{shuffle.randrange(1, LSOAS + 1):07d}" if country != "N" else "95AA01S1"
            values = {
                "pcd": f"{outward:<4}{inward}",
                "pcd2": f"{outward:<5}{inward}",
                "pcds": f"{outward} {inward}",
                "dointr": "198001",
                "doterm": "200512" if i % 3 == 2 else "",
                "oscty": f"{country}99999999",
                "ced": f"{country}99999999",
                "oslaua": f"{country}08000025",
                "osward": f"{country}05011151",
                "parish": f"{country}43000250",
                "usertype": "0",
                "oseast1m": f"{400000 + i % 9999}",
                "osnrth1m": f"{280000 + i % 9999}",
                "osgrdind": "1",
                "oshlthau": f"{country}18000010",
                "nhser": f"{country}40000008",
                "ctry": _COUNTRY[country],
                "rgn": f"{country}12000005",
                "streg": "0",
                "pcon": f"{country}14000564",
                "eer": f"{country}15000005",
                "teclec": f"{country}24000017",
                "ttwa": f"{country}30000169",
                "pct": f"{country}16000054",
                "itl": f"{country}06000020",
                "statsward": "00CNHA",
                "oa01": f"{country}00046002",
                "casward": "00CNHA",
                "park": f"{country}99999999",
                "lsoa01": lsoa,
                "msoa01": f"{country}02001888",
                "ur01ind": "A",
                "oac01": "3B4",
                "oa11": f"{country}00046002",
                "lsoa11": lsoa,
                "msoa11": f"{country}02001888",
                "wz11": f"{country}33024531",
                "sicbl": f"{country}38000212",
                "bua11": f"{country}34004743",
                "buasd11": f"{country}35001049",
                "ru11ind": "A1",
                "oac11": "7A1",
                "lat": f"{52.4 + (i % 1000) / 10000:.6f}",
                "long": f"{-1.9 + (i % 1000) / 10000:.6f}",
                "lep1": f"{country}37000030",
                "lep2": "",
                "pfa": f"{country}23000014",
                "imd": f"{(i * 31) % LSOAS + 1}",
                "calncv": f"{country}56000008",
                "icb": f"{country}54000055",
                "oa21": f"{country}00046002",
                "lsoa21": lsoa,
                "msoa21": f"{country}02001888",
            }
            writer.writerow([values[c] for c in ONSPD_COLUMNS])


def write_gias(path: Path, schools: int) -> None:
    """GIAS-sized: about half the register's establishments are closed ones."""
    rows = [
        establishment(
            f"{100000 + n:06d}",
            f"School {n} C of E Primary",
            status="Closed" if n % 2 else "Open",
            PercentageFSM=f"{n % 60}.{n % 10}",
            Street=f"{n} School Lane",
            Town="Birmingham",
            Postcode=f"B{n % 99 + 1} {n % 10}{_UNITS[n % len(_UNITS)]}",
            TelephoneNum="01214644444",
        )
        for n in range(schools)
    ]
    write_extract(path, rows)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall-clock seconds, CPU seconds, peak RSS in MiB and standard output of one `lending` process."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if code != 0:
        raise SystemExit(f"lending {' '.join(args)} failed ({code}): {err[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postcodes", type=int, default=2_700_000, help="rows of the postcode directory")
    parser.add_argument("--schools", type=int, default=50_000, help="rows of the GIAS extract")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--area-only", action="store_true", help="leave out the every-postcode runs (the long ones)")
    parser.add_argument("--files", default=None, help="a folder to keep the files in and reuse them from")
    options = parser.parse_args()

    from lending.core import migrations

    with tempfile.TemporaryDirectory() as workdir:
        url = options.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        migrations.upgrade(url)
        folder = Path(options.files or workdir)
        folder.mkdir(parents=True, exist_ok=True)
        file_1 = folder / "File_1.xlsx"
        onspd = folder / f"ONSPD_{options.postcodes}.csv"
        gias = folder / f"edubasealldata_{options.schools}.csv"
        writers: list[tuple[Path, Callable[[Path], None]]] = [
            (file_1, write_file_1),
            (onspd, lambda path: write_onspd(path, options.postcodes)),
            (gias, lambda path: write_gias(path, options.schools)),
        ]
        for path, write in writers:
            if not path.exists():
                started = time.monotonic()
                partial = path.with_name(f"{path.name}.partial")  # a half-written file is never reused
                write(partial)
                partial.rename(path)
                print(f"{path.name} written in {time.monotonic() - started:.0f} s", file=sys.stderr)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
            "LENDING_DATABASE_URL": url,
            "LENDING_LOG_LEVEL": "WARNING",
        }
        _, _, baseline, _ = run(["--version"], env)
        imd = ["import", "imd", str(file_1), "--postcodes", str(onspd)]
        schools = ["import", "schools", str(gias)]
        runs = [
            ("imd, postcode area B", [*imd, "--area", "B"]),
            ("imd, every live postcode", imd),
            ("imd, every live postcode again (all replaced)", imd),
            (f"schools, {options.schools:,}-row extract into an empty table", schools),
            ("schools, the same extract again (all unchanged)", schools),
        ]
        print(
            f"Postcode directory: {options.postcodes:,} rows, {onspd.stat().st_size / 1024**2:,.0f} MiB; "
            f"File 1: {LSOAS:,} LSOAs, {file_1.stat().st_size / 1024**2:.1f} MiB; "
            f"GIAS extract: {options.schools:,} rows, {gias.stat().st_size / 1024**2:.1f} MiB. "
            f"Database: {url.split(':')[0]}. A bare `lending --version` process peaks at {baseline:.0f} MiB."
        )
        print()
        print("| run | wall s | CPU s | peak RSS MiB | the command said |")
        print("|---|---|---|---|---|")
        # Each row as soon as it is measured: a long run cut short still leaves what it measured.
        for name, args in runs:
            if options.area_only and name.startswith("imd, every"):
                continue
            seconds, cpu, peak, said = run(args, env)
            last = said.splitlines()[-1] if said else ""
            print(f"| {name} | {seconds:.0f} | {cpu:.0f} | {peak:.0f} | {last} |", flush=True)


if __name__ == "__main__":
    main()
