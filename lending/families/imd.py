"""Deprivation deciles for postcodes, from the official files as they are published.

The English Indices of Deprivation 2019 give a decile per LSOA (a small area of ~1,500 people), in "File 1"
(`File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx`, sheet `IMD2019`; the same columns as CSV are read too).
The ONS Postcode Directory (ONSPD, ~2.7M rows, ~1 GB of CSV) says which LSOA each postcode is in (`pcds`,
`lsoa11`, `lsoa21`) and whether it has been terminated (`doterm`). Joined, they give postcode → decile.

The index is small (32,844 areas) and held whole; the directory is streamed a batch at a time, so memory stays
bounded whatever its size.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lending.core.validators import normalise_postcode

SHEET = "IMD2019"
LSOA_CODE = "LSOA code (2011)"
DECILE = "Index of Multiple Deprivation (IMD) Decile"
# Named so a file is recognised as File 1 even if the columns are in another order.
FILE_1_COLUMNS = (
    LSOA_CODE,
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Rank",
    DECILE,
)
SIMPLE_COLUMNS = ("postcode", "imd_decile")
# The index is by 2011 LSOA; most 2021 LSOAs kept their 2011 code, so `lsoa21` is the fallback.
ONSPD_LSOA = ("lsoa11", "lsoa21")
_AREA = re.compile(r"[A-Z]{1,2}")


class NotRecognised(ValueError):
    """A file in none of the layouts this reads; the message says what was expected."""


def _header(cells: Iterable[Any]) -> list[str]:
    return [str(c).strip().lstrip("\ufeff") if c is not None else "" for c in cells]


def layout_of(path: Path) -> str:
    """`simple` (postcode,imd_decile[,lsoa]) or `file1` (the Indices of Deprivation File 1, xlsx or CSV)."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return "file1"
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = _header(next(csv.reader(handle), []))
    if {"postcode", "imd_decile"} <= {h.lower() for h in header}:
        return "simple"
    if LSOA_CODE in header and DECILE in header:
        return "file1"
    raise NotRecognised(
        "the header needs postcode and imd_decile columns (lsoa is optional), or the Indices of Deprivation "
        f"File 1 columns ({LSOA_CODE!r}, {DECILE!r}, …)"
    )


def _deciles(rows: Iterable[Sequence[Any]], where: str) -> dict[str, int]:
    iterator = iter(rows)
    header = _header(next(iterator, ()))
    missing = [name for name in (LSOA_CODE, DECILE) if name not in header]
    if missing:
        raise NotRecognised(f"{where} has no {' or '.join(repr(m) for m in missing)} column")
    code_at, decile_at = header.index(LSOA_CODE), header.index(DECILE)
    deciles: dict[str, int] = {}
    bad: list[int] = []
    for number, cells in enumerate(iterator, start=2):
        if not cells or all(c in (None, "") for c in cells):
            continue
        code = str(cells[code_at] or "").strip() if code_at < len(cells) else ""
        raw = cells[decile_at] if decile_at < len(cells) else None
        try:
            decile = int(float(str(raw).strip()))
            if not (code and 1 <= decile <= 10 and decile == float(str(raw).strip())):
                raise ValueError
        except ValueError:
            bad.append(number)
            continue
        deciles[code] = decile
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
        raise NotRecognised(f"{where}: {len(bad)} row(s) without an LSOA code and a decile 1–10: rows {shown}")
    if not deciles:
        raise NotRecognised(f"{where} has no areas")
    return deciles


def read_deprivation(path: Path) -> dict[str, int]:
    """LSOA code → IMD decile from File 1: the workbook's `IMD2019` sheet, or a CSV with the same columns."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        # Read-only streams the sheet's XML rather than building every cell.
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            if SHEET not in workbook.sheetnames:
                raise NotRecognised(f"{path.name} has no sheet {SHEET!r} (it has {', '.join(workbook.sheetnames)})")
            return _deciles(workbook[SHEET].iter_rows(values_only=True), f"sheet {SHEET}")
        finally:
            workbook.close()
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return _deciles(csv.reader(handle), path.name)


@dataclass
class DirectoryCounts:
    """What became of the directory's rows."""

    read: int = 0
    loaded: int = 0
    terminated: int = 0
    outside_area: int = 0
    not_in_index: int = 0  # no LSOA, or one outside England (Wales, Scotland, Northern Ireland have their own)
    bad: list[int] = field(default_factory=list)  # rows whose postcode is not a postcode


class PostcodeDirectory:
    """The ONS Postcode Directory, read a batch at a time; `position` is the bytes read (for a progress bar)."""

    def __init__(self, path: Path, deciles: dict[str, int], *, areas: Sequence[str] = ()) -> None:
        self.deciles = deciles
        self.areas = frozenset(a.strip().upper() for a in areas if a.strip())
        for area in self.areas:
            if not _AREA.fullmatch(area):
                raise NotRecognised(f"{area!r} is not a postcode area (one or two letters, e.g. B or WS)")
        self.counts = DirectoryCounts()
        self._raw: IO[bytes] = path.open("rb")
        # The directory is ASCII; a stray byte must not stop a 1 GB load, and the columns read are codes.
        self._text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", errors="replace", newline="")
        self._reader = csv.reader(self._text)
        header = [h.lower() for h in _header(next(self._reader, []))]
        lsoas = [header.index(name) for name in ONSPD_LSOA if name in header]
        postcode = next((header.index(name) for name in ("pcds", "pcd") if name in header), None)
        if postcode is None or not lsoas or "doterm" not in header:
            self.close()
            raise NotRecognised(
                f"{path.name} is not in the ONS Postcode Directory's layout: it needs the columns pcds, doterm "
                "and lsoa11 or lsoa21"
            )
        self._postcode, self._lsoas, self._doterm = postcode, lsoas, header.index("doterm")
        self._row = 1

    @property
    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> PostcodeDirectory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def batch(self, size: int) -> list[tuple[str, int, str | None]]:
        """The next `size` live postcodes with a decile (postcode, decile, LSOA); empty once the file is read."""
        out: list[tuple[str, int, str | None]] = []
        counts, deciles, areas = self.counts, self.deciles, self.areas
        width = max(self._postcode, self._doterm, *self._lsoas) + 1
        for cells in self._reader:
            self._row += 1
            if len(cells) < width:
                if any(c.strip() for c in cells):
                    counts.read += 1
                    counts.bad.append(self._row)
                continue
            counts.read += 1
            if cells[self._doterm].strip():
                counts.terminated += 1
                continue
            raw = cells[self._postcode]
            if areas:
                area = _AREA.match(raw.lstrip().upper())
                if area is None or area.group() not in areas:
                    counts.outside_area += 1
                    continue
            found = next(((code, deciles[code]) for at in self._lsoas if (code := cells[at].strip()) in deciles), None)
            if found is None:
                counts.not_in_index += 1
                continue
            try:
                postcode = normalise_postcode(raw)
            except ValueError:
                counts.bad.append(self._row)
                continue
            out.append((postcode, found[1], found[0]))
            if len(out) >= size:
                break
        counts.loaded += len(out)
        return out
