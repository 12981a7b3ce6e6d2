"""The official files `lending import imd` joins, in their published layouts.

- The English Indices of Deprivation 2019, File 1 (`File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx`): a
  `Notes` sheet, then the `IMD2019` sheet with one row per 2011 LSOA.
- The ONS Postcode Directory (`Data/ONSPD_<MONTH>_<YEAR>_UK.csv`): one row per postcode, live or terminated, every
  value quoted; the columns of the February 2023 edition, which carries both `lsoa11` and `lsoa21`. Later editions
  dropped the 2011 geographies (`LSOA21_ONLY`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

FILE_1_COLUMNS = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Rank",
    "Index of Multiple Deprivation (IMD) Decile",
]
# The first line of the file, as it is.
ONSPD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,nhser,"
    "ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,"
    "msoa11,wz11,sicbl,bua11,buasd11,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)
ONSPD_COLUMNS = ONSPD_HEADER.split(",")
LSOA21_ONLY = [c for c in ONSPD_COLUMNS if c not in {"oa01", "lsoa01", "msoa01", "oa11", "lsoa11", "msoa11"}]


def write_file_1(path: Path, areas: Iterable[tuple[str, str, str, str, int, int]]) -> Path:
    """The workbook as published; `areas` are rows of FILE_1_COLUMNS."""
    from openpyxl import Workbook

    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["English Indices of Deprivation 2019"])
    notes.append(["File 1: index of multiple deprivation"])
    sheet = workbook.create_sheet("IMD2019")
    sheet.append(FILE_1_COLUMNS)
    for area in areas:
        sheet.append(list(area))
    workbook.save(path)
    return path


def write_file_1_csv(path: Path, areas: Iterable[tuple[str, str, str, str, int, int]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FILE_1_COLUMNS)
        writer.writerows(areas)
    return path


def onspd_row(pcds: str, *, lsoa11: str = "", lsoa21: str = "", doterm: str = "", columns=ONSPD_COLUMNS) -> list[str]:
    outward, _, inward = pcds.rpartition(" ")
    values = {
        "pcd": f"{outward:<4}{inward}",
        "pcd2": f"{outward:<5}{inward}",
        "pcds": pcds,
        "dointr": "198001",
        "doterm": doterm,
        "usertype": "0",
        "ctry": {"E": "E92000001", "W": "W92000004", "S": "S92000003"}.get((lsoa11 or lsoa21 or "E")[0], ""),
        "lsoa11": lsoa11,
        "lsoa21": lsoa21,
        "lat": "52.463",
        "long": "-1.887",
    }
    return [values.get(column, "") for column in columns]


def write_onspd(path: Path, rows: Iterable[list[str]], *, columns=ONSPD_COLUMNS) -> Path:
    """The header bare, every value quoted, as ONS writes it."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(columns) + "\r\n")
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return path
