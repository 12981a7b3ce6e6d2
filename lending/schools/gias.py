"""The Department for Education's "Get Information About Schools" extract, read as it is published.

The download (`edubasealldata<date>.csv`, or a search's "Download results") has one row per establishment, ~50,000
of them with ~140 columns, headed with GIAS's own names: `URN`, `EstablishmentName`, `EstablishmentStatus (name)`,
`PhaseOfEducation (name)`, `PercentageFSM`, `Street`, `Locality`, `Address3`, `Town`, `Postcode`,
`TelephoneNum`, `LA (code)`, `LA (name)`, ... Only the columns below are read; the others may come and go.

It is encoded in Windows-1252 (a `’` in a school's name is byte 0x92), unless someone has saved it again from a
spreadsheet as UTF-8: both are read.

Row numbers are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from lending.core.validators import normalise_postcode, uk_phone

URN = "URN"
NAME = "EstablishmentName"
STATUS = "EstablishmentStatus (name)"
PHASE = "PhaseOfEducation (name)"
FSM = "PercentageFSM"
POSTCODE = "Postcode"
PHONE = "TelephoneNum"
ADDRESS = ("Street", "Locality", "Address3", "Town")
LA_CODE = "LA (code)"
LA_NAME = "LA (name)"
REQUIRED = (URN, NAME, STATUS)
CLOSED = "Closed"
# GIAS writes these where a percentage is withheld or does not apply.
NO_FSM = frozenset({"", "SUPP", "NA", "N/A", "NE", "DNS", "X", "-"})
MAX_NAME = 200
MAX_FIELD = 40


@dataclass
class GiasCounts:
    """What an import did, school by school."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # schools we hold that the register now lists as closed: marked closed and inactive
    skipped_closed: int = 0  # closed establishments we do not hold: not added
    repeated: list[RowProblem] = field(default_factory=list)  # a URN already read further up the file


class NotAnExtract(ValueError):
    """The file is not a GIAS extract (a column it must have is missing)."""


@dataclass(frozen=True)
class GiasSchool:
    """One establishment as the register describes it; `is_closed` ones are only used to close ones we hold."""

    row: int
    urn: str
    name: str
    address: str
    postcode: str | None
    phone: str | None
    phase: str | None
    percentage_fsm: Decimal | None
    establishment_status: str

    @property
    def is_closed(self) -> bool:
        return self.establishment_status == CLOSED


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message: str


@dataclass
class ExtractBatch:
    schools: list[GiasSchool] = field(default_factory=list)
    bad: list[RowProblem] = field(default_factory=list)  # rows left out
    dropped: list[RowProblem] = field(default_factory=list)  # a field left empty; the school is kept
    outside: int = 0  # rows of other local authorities (`--la`)
    last: bool = False


def detect_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8 (a BOM allowed), otherwise Windows-1252 as GIAS publishes it."""
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            # cp1252 leaves five bytes undefined; latin-1 reads any byte, so a stray one cannot stop the import.
            return "cp1252" if _decodes(path, "cp1252") else "latin-1"
    return "utf-8"


def _decodes(path: Path, encoding: str) -> bool:
    with path.open(encoding=encoding, newline="") as handle:
        try:
            while handle.read(1 << 20):
                pass
        except UnicodeDecodeError:
            return False
    return True


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


class GiasExtract:
    """Reads the extract a batch at a time; `position` is how many bytes have been read (for a progress bar)."""

    def __init__(self, path: Path, *, local_authority: str | None = None, encoding: str | None = None) -> None:
        self.path = path
        self.encoding = encoding or detect_encoding(path)
        self.local_authority = (local_authority or "").strip().casefold() or None
        self._raw: IO[bytes] = path.open("rb")
        self._text = io.TextIOWrapper(self._raw, encoding=self.encoding, newline="")
        self._reader = csv.reader(self._text)
        header = [h.strip().lstrip("\ufeff") for h in next(self._reader, [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            self.close()
            raise NotAnExtract(
                f"not a Get Information About Schools extract: no {', '.join(missing)} column "
                f"(the first line has {', '.join(header[:5]) or 'nothing'} …)"
            )
        self._at = {name: header.index(name) for name in header[::-1]}  # the first of a repeated name
        self.row = 1

    @property
    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> GiasExtract:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def batch(self, size: int) -> ExtractBatch:
        """The next `size` rows, parsed; `last` once the file is read to its end."""
        out = ExtractBatch()
        for cells in self._reader:
            self.row += 1
            if not any(cell.strip() for cell in cells):
                continue
            if self.local_authority is not None and self.local_authority not in (
                _cell(cells, self._at.get(LA_CODE)).casefold(),
                _cell(cells, self._at.get(LA_NAME)).casefold(),
            ):
                out.outside += 1
                continue
            parsed = self._parse(cells, out.dropped)
            if isinstance(parsed, GiasSchool):
                out.schools.append(parsed)
            else:
                out.bad.append(parsed)
            if len(out.schools) + len(out.bad) >= size:
                return out
        out.last = True
        return out

    def _parse(self, cells: list[str], dropped: list[RowProblem]) -> GiasSchool | RowProblem:
        row = self.row

        def get(name: str) -> str:
            return _cell(cells, self._at.get(name))

        urn = get(URN)
        if not (urn.isdigit() and len(urn) == 6):
            return RowProblem(row, URN, f"{urn[:20]!r} is not a six-digit URN")
        name = " ".join(get(NAME).split())
        if not name or len(name) > MAX_NAME:
            return RowProblem(row, NAME, "empty" if not name else f"longer than {MAX_NAME} characters")
        status = get(STATUS)
        if not status or len(status) > MAX_FIELD:
            return RowProblem(row, STATUS, "empty" if not status else f"longer than {MAX_FIELD} characters")
        postcode: str | None = None
        if raw_postcode := get(POSTCODE):
            try:
                postcode = normalise_postcode(raw_postcode)
            except ValueError as exc:
                dropped.append(RowProblem(row, POSTCODE, f"{raw_postcode[:20]!r}: {exc}"))
        phone: str | None = None
        if raw_phone := get(PHONE):
            # GIAS drops the leading zero (`1214644444`): put it back before asking whether it is a UK number.
            digits = raw_phone if raw_phone.startswith(("0", "+")) else f"0{raw_phone}"
            try:
                phone = uk_phone(digits)
            except ValueError as exc:
                dropped.append(RowProblem(row, PHONE, f"{raw_phone[:20]!r}: {exc}"))
        fsm: Decimal | None = None
        raw_fsm = get(FSM)
        if raw_fsm.upper() not in NO_FSM:
            try:
                fsm = Decimal(raw_fsm.rstrip("%")).quantize(Decimal("0.1"))
                if not 0 <= fsm <= 100:
                    raise InvalidOperation
            except InvalidOperation:
                fsm = None
                dropped.append(RowProblem(row, FSM, f"{raw_fsm[:20]!r} is not a percentage"))
        phase = get(PHASE)[:MAX_FIELD] or None
        address = ", ".join(part for part in (" ".join(get(p).split()) for p in ADDRESS) if part)
        return GiasSchool(row, urn, name, address, postcode, phone, phase, fsm, status)

    def __iter__(self) -> Iterator[ExtractBatch]:
        while True:
            batch = self.batch(1000)
            yield batch
            if batch.last:
                return
