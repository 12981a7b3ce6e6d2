"""`lending import imd` with the official files: the Indices of Deprivation File 1 joined with the ONS Postcode
Directory, so a centre loads real deciles for its area."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from lending.audit.models import AuditEntry
from lending.families.models import ImdPostcode
from tests.clock import child_environment
from tests.families.conftest import family_data
from tests.families.deprivation_files import (
    LSOA21_ONLY,
    onspd_row,
    write_file_1,
    write_file_1_csv,
    write_onspd,
)
from tests.support import count_rows

AREAS = [
    ("E01009321", "Birmingham 050A", "E08000025", "Birmingham", 4012, 2),
    ("E01033620", "Birmingham 138D", "E08000025", "Birmingham", 21877, 7),
    ("E01009999", "Walsall 001A", "E08000030", "Walsall", 31002, 10),
    ("E01000001", "City of London 001A", "E09000001", "City of London", 29199, 9),
]


def lending(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "COLUMNS": "200", **child_environment()}
    return subprocess.run(
        [sys.executable, "-m", "lending", *args], capture_output=True, text=True, env=env, timeout=120
    )


async def loaded(sessions) -> dict[str, tuple[int, str | None]]:
    async with sessions() as session:
        return {r.postcode: (r.imd_decile, r.lsoa) for r in (await session.scalars(select(ImdPostcode))).all()}


async def test_file_1_and_the_postcode_directory_give_live_postcodes_their_decile(
    database_url, tmp_path, sessions, client, staff
):
    index = write_file_1(tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx", AREAS)
    directory = write_onspd(
        tmp_path / "ONSPD_FEB_2023_UK.csv",
        [
            onspd_row("B12 9QT", lsoa11="E01009321", lsoa21="E01009321"),
            # No 2011 area (a postcode newer than 2011's census): its 2021 area, where the code is the same.
            onspd_row("B1 1AA", lsoa21="E01033620"),
            onspd_row("B12 0AA", lsoa11="E01009321", lsoa21="E01009321", doterm="200312"),
            onspd_row("WS1 1AA", lsoa11="E01009999", lsoa21="E01009999"),
            onspd_row("CF10 1AA", lsoa11="W01001870", lsoa21="W01001870"),
            onspd_row("EC1A 1BB", lsoa11="E01000001", lsoa21="E01000001"),
            onspd_row("B99 9ZZ", lsoa11="E01099999", lsoa21="E01099999"),
        ],
    )
    result = lending(
        database_url, "import", "imd", str(index), "--postcodes", str(directory), "--area", "B", "--area", "ws"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Loaded 3 postcode(s) from 7 row(s) (4 areas in the index): 1 terminated, 2 outside B/WS, "
        "1 not in the English index, 0 bad." in result.stdout
    )
    assert await loaded(sessions) == {
        "B12 9QT": (2, "E01009321"),
        "B1 1AA": (7, "E01033620"),
        "WS1 1AA": (10, "E01009999"),
    }
    async with sessions() as session:
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "imd_postcode"))).all()
    assert [(a.action, a.actor_label, a.after["rows"]) for a in audited] == [("import", "cli:import imd", 3)]

    family = await client.post(
        "/api/v1/families", json=family_data(postcode="b1 1aa", imd_decile=None), headers=staff.headers
    )
    assert family.status_code == 201, family.text
    assert family.json()["imd_decile"] == 7 and family.json()["imd_from_lookup"] is True


async def test_file_1_as_csv_with_a_2021_only_directory_replaces_deciles_already_held(database_url, tmp_path, sessions):
    old = tmp_path / "imd.csv"
    old.write_text("postcode,imd_decile\nB12 9QT,5\nB5 5AA,3\n")
    assert lending(database_url, "import", "imd", str(old)).returncode == 0
    index = write_file_1_csv(tmp_path / "IoD2019_File_1.csv", AREAS)
    directory = write_onspd(
        tmp_path / "ONSPD_NOV_2025_UK.csv",
        [
            onspd_row("B12 9QT", lsoa21="E01009321", columns=LSOA21_ONLY),
            onspd_row("EC1A 1BB", lsoa21="E01000001", columns=LSOA21_ONLY),
            onspd_row("NOT A PC", lsoa21="E01000001", columns=LSOA21_ONLY),
            onspd_row("EH1 1AA", lsoa21="S01008000", columns=LSOA21_ONLY),
        ],
        columns=LSOA21_ONLY,
    )
    result = lending(database_url, "import", "imd", str(index), "--postcodes", str(directory))
    assert result.returncode == 0, result.stderr
    assert (
        "Loaded 2 postcode(s) from 4 row(s) (4 areas in the index): 0 terminated, 1 not in the English index, 1 bad."
        in result.stdout
    )
    assert "not understood, left out: 4" in result.stderr
    assert await loaded(sessions) == {"B12 9QT": (2, "E01009321"), "EC1A 1BB": (9, "E01000001"), "B5 5AA": (3, None)}


async def test_files_in_other_layouts_are_refused_and_nothing_is_loaded(database_url, tmp_path, sessions):
    index = write_file_1(tmp_path / "File_1.xlsx", AREAS)
    directory = write_onspd(tmp_path / "ONSPD.csv", [onspd_row("B12 9QT", lsoa11="E01009321")])

    without_directory = lending(database_url, "import", "imd", str(index))
    assert without_directory.returncode == 2 and "--postcodes" in without_directory.stderr

    simple = tmp_path / "imd.csv"
    simple.write_text("postcode,imd_decile\nB12 9QT,5\n")
    mixed = lending(database_url, "import", "imd", str(simple), "--postcodes", str(directory))
    assert mixed.returncode == 2 and "File 1" in mixed.stderr

    not_onspd = tmp_path / "postcodes.csv"
    not_onspd.write_text("postcode,lsoa\nB12 9QT,E01009321\n")
    refused = lending(database_url, "import", "imd", str(index), "--postcodes", str(not_onspd))
    assert refused.returncode == 1 and "pcds, doterm" in refused.stderr

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "IMD2015"
    workbook.save(tmp_path / "File_1_2015.xlsx")
    wrong_sheet = lending(
        database_url, "import", "imd", str(tmp_path / "File_1_2015.xlsx"), "--postcodes", str(directory)
    )
    assert wrong_sheet.returncode == 1 and "no sheet 'IMD2019'" in wrong_sheet.stderr

    bad_decile = write_file_1_csv(tmp_path / "bad.csv", [*AREAS, ("E01000002", "City of London 001B", "", "", 1, 11)])
    refused_index = lending(database_url, "import", "imd", str(bad_decile), "--postcodes", str(directory))
    assert refused_index.returncode == 1 and "rows 6" in refused_index.stderr

    bad_area = lending(database_url, "import", "imd", str(index), "--postcodes", str(directory), "--area", "B1")
    assert bad_area.returncode == 1 and "not a postcode area" in bad_area.stderr

    assert await count_rows(sessions, "imd_postcode") == 0
