"""Assets as CSV: the export a spreadsheet user wants, and an all-or-nothing import of the same columns.

Row numbers in import errors are spreadsheet rows: the header is row 1, the first asset row 2.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import anyio
import anyio.lowlevel
from pydantic import ValidationError

from lending.core.csv import csv_text, restore
from lending.core.errors import FieldError, Invalid, dotted_path
from lending.inventory import lifecycle
from lending.inventory.lifecycle import Status
from lending.inventory.models import Asset, AssetKind, RetirementReason
from lending.inventory.rules import derive_expiry, kind_rule_errors, wipe_rule_errors
from lending.inventory.schemas import AssetIn, ImportReport, ImportRowError, WipeIn
from lending.inventory.service import Inventory, NewAsset
from lending.inventory.tags import BadTag, parse_tag

ASSET_COLUMNS = [
    "make",
    "model",
    "serial_number",
    "cpu",
    "ram_gb",
    "storage_gb",
    "storage_type",
    "os",
    "battery_health_pct",
    "condition_grade",
    "charger_included",
    "charger_safety_test_on",
    "imei",
    "iccid",
    "network",
    "msisdn",
    "data_allowance_gb",
    "plan_months",
    "activated_on",
    "expires_on",
    "voucher_code",
]
WIPE_COLUMNS = ["wipe_method", "wipe_performed_on", "wipe_performed_by", "wipe_certificate_reference"]
COLUMNS = [
    "tag",
    "kind",
    "status",
    "centre",
    *ASSET_COLUMNS,
    "retired_reason",
    "weee_reference",
    *WIPE_COLUMNS,
    "notes",
]
# The longest any column may be (notes); columns the asset schema does not check have their own.
MAX_CELL = 2000
CELL_LIMITS = {"weee_reference": 100, "tag": 40, "status": 40, "centre": 200, "retired_reason": 40}
# The csv module refuses a cell over 128 KB with an error naming neither row nor column, which ended the import
# with a 500. It may read cells as long as any import; the column limits above then name the row and column.
MAX_READ_CELL = 64 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_READ_CELL))


async def export_assets(inventory: Inventory, assets: list[Asset], *, include_vouchers: bool) -> str:
    centres = {c.id: c.name for c in (await inventory.assets.centres_by_name()).values()}
    columns = COLUMNS if include_vouchers else [c for c in COLUMNS if c != "voucher_code"]
    current_wipes = await inventory.wipes.current_wipes(assets)
    rows = []
    for asset in assets:
        row = {name: getattr(asset, name) for name in ASSET_COLUMNS if name in columns}
        row.update(
            tag=asset.tag,
            kind=asset.kind,
            status=asset.status,
            centre=centres.get(asset.centre_id, ""),
            retired_reason=asset.retired_reason,
            weee_reference=asset.weee_reference,
            notes=asset.notes,
        )
        last = current_wipes.get(asset.id)
        if last is not None:
            row.update(
                wipe_method=last.method,
                wipe_performed_on=last.performed_on,
                wipe_performed_by=last.performed_by,
                wipe_certificate_reference=last.certificate_reference,
            )
        rows.append(row)
    return csv_text(columns, rows)


@dataclass
class ParsedRow:
    row: int
    item: NewAsset
    status: Status
    retired_reason: RetirementReason | None
    weee_reference: str | None
    wipe: WipeIn | None


def _pydantic_errors(exc: ValidationError, row: int) -> list[ImportRowError]:
    return [
        ImportRowError(
            row=row, field=dotted_path(tuple(e["loc"])) or "row", message=e["msg"].removeprefix("Value error, ")
        )
        for e in exc.errors()
    ]


# Rows are read, parsed and validated a chunk at a time in a worker thread, and written a chunk at a time, so that
# neither the file nor its assets are ever held whole and the event loop keeps answering other requests. Writing
# runs on the event loop (the ORM's unit of work), so its chunks are smaller: each holds the loop for a moment only.
CHECK_ROWS = 500
WRITE_ROWS = 100
# Parsing is Python code, so the worker thread holds the GIL, and gives it up only when the event loop has waited a
# whole switch interval (5 ms) for it. The loop wants it back at every hop to and from the database: a lookup's few
# statements would each wait that long while a file is checked. Pausing for a moment every millisecond of parsing
# hands the GIL straight over instead; it costs the import a few per cent.
_HOLD_GIL_SECONDS = 0.001
_PAUSE_SECONDS = 0.0001


@dataclass
class _Chunk:
    rows: int  # data rows read so far (blank ones included), as numbered for the report
    parsed: list[ParsedRow]
    errors: list[ImportRowError]
    last: bool


class _Rows:
    """The file's rows, read on demand from a seekable binary file (UTF-8, a BOM allowed)."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self._reader: Any = None
        self._text: io.TextIOWrapper | None = None
        self.count = 0

    def open(self) -> list[str]:
        self.close()
        self.source.seek(0)
        self._text = io.TextIOWrapper(self.source, encoding="utf-8-sig", newline="")
        self._reader = csv.DictReader(self._text)
        self.count = 0
        try:
            return [h.strip() for h in self._reader.fieldnames or []]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _unreadable(1, exc) from None

    def close(self) -> None:
        if self._text is not None:
            self._text.detach()  # the caller owns (and closes) the file
            self._text = None

    def _chunk(self, size: int, centres: dict[str, Any], centre_id: int | None, came_in: date | None) -> _Chunk:
        parsed: list[ParsedRow] = []
        errors: list[ImportRowError] = []
        held_since = time.perf_counter()
        for n, raw in enumerate(self._reader, start=1):
            if time.perf_counter() - held_since > _HOLD_GIL_SECONDS:
                time.sleep(_PAUSE_SECONDS)
                held_since = time.perf_counter()
            self.count += 1
            # restore(): an exported cell may carry the quote that kept a spreadsheet from running it.
            cells = {(k or "").strip(): restore((v or "").strip()).strip() for k, v in raw.items() if k is not None}
            if any(cells.values()):
                row_errors, row = _cell_errors(self.count + 1, cells), None
                if not row_errors:
                    row_errors, row = _parse_row(self.count + 1, cells, centres, centre_id, came_in)
                errors += row_errors
                if row is not None:
                    parsed.append(row)
            if n == size:
                return _Chunk(self.count, parsed, errors, last=False)
        return _Chunk(self.count, parsed, errors, last=True)

    async def chunks(
        self, size: int, centres: dict[str, Any], centre_id: int | None, came_in: date | None
    ) -> AsyncIterator[_Chunk]:
        """The rows after the header, `size` at a time, parsed and checked on their own in a worker thread."""
        while True:
            try:
                chunk = await anyio.to_thread.run_sync(self._chunk, size, centres, centre_id, came_in)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise _unreadable(self.count + 1, exc) from None
            yield chunk
            if chunk.last:
                return


def _unreadable(row: int, exc: Exception) -> Invalid:
    why = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else f"not readable as CSV ({exc})"
    return Invalid(f"The file is {why} at row {row}; nothing was imported.", errors=[FieldError("body", why, row=row)])


def _unique_keys(item: NewAsset) -> list[tuple[str, Any]]:
    """Keys that may appear once in a file: serial per make, ICCID, IMEI (case and spaces aside)."""
    v = item.values
    keys: list[tuple[str, Any]] = []
    if v.get("serial_number") and v.get("make"):
        keys.append(("serial_number", (str(v["make"]).casefold(), str(v["serial_number"]).casefold())))
    for name in ("iccid", "imei"):
        if v.get(name):
            keys.append((name, str(v[name])))
    return keys


async def import_assets(
    inventory: Inventory,
    source: IO[bytes],
    *,
    dry_run: bool,
    centre_id: int | None,
    donor_id: int | None,
    received_on: date | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Validate every row and (unless a dry run) create them all in the caller's transaction, or none at all.

    `source` is a seekable binary file, read once, a chunk at a time: each chunk is parsed and checked, then written
    while the file has shown no problem so far. From the first problem on nothing more is written and the rest is only
    checked, so that the report names every problem; the caller's transaction then rolls back what was written. A
    dry run only reads, so on SQLite nothing waits for it.
    """
    rows = _Rows(source)
    try:
        return await _Import(inventory, dry_run=dry_run, centre_id=centre_id, progress=progress).run(
            rows, donor_id=donor_id, received_on=received_on
        )
    finally:
        rows.close()


class _Import:
    """One import's state: what the rows read so far hold, and what has been written."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        dry_run: bool,
        centre_id: int | None,
        progress: Callable[[str, int], None] | None,
    ) -> None:
        self.inventory = inventory
        self.dry_run = dry_run
        self.centre_id = centre_id
        self.progress = progress
        self.errors: list[ImportRowError] = []
        # Across chunks only the keys seen so far are kept, with the row that first had each.
        self.first_tag_row: dict[str, int] = {}
        self.flagged_first: set[int] = set()
        self.first_key_row: dict[tuple[str, Any], int] = {}
        self.first_reference: dict[str, int] = {}
        # Rows up to this one are written in this transaction: stock found holding their values holds them because of
        # this import, and is no clash (their repeats later in the file are named as repeats).
        self.written_to_row = 0
        self.donation_id: int | None = None
        self.created: list[str] = []

    async def run(self, rows: _Rows, *, donor_id: int | None, received_on: date | None) -> ImportReport:
        inventory = self.inventory
        header = await anyio.to_thread.run_sync(rows.open)
        errors: list[ImportRowError] = []
        if "kind" not in header:
            errors.append(ImportRowError(row=1, field="kind", message="the header has no 'kind' column"))
        errors += [
            ImportRowError(row=1, field=_shown(h) or "(blank)", message="unknown column")
            for h in header
            if h not in COLUMNS
        ]
        if errors:
            return _refuse(errors, 0, self.dry_run)
        came_in = None
        if donor_id is not None:
            await inventory.donors.get_donor_for(donor_id, "donor_id")
            if self.centre_id is None:
                raise Invalid.field("centre_id", "required with donor_id: the donation's centre")
            # Recorded as one donation: the rows came in on its date, and their wipes cannot be older.
            came_in = received_on or date.today()
            if came_in > date.today():
                raise Invalid.field("received_on", "cannot be in the future")
        if self.centre_id is not None:
            await inventory.assets.active_centre(self.centre_id, "centre_id")
        centres = await inventory.assets.centres_by_name()

        count = 0
        async for chunk in rows.chunks(CHECK_ROWS, centres, self.centre_id, came_in):
            count = chunk.rows
            await self._check(chunk)
            if self.progress:
                self.progress("check", count)
            if not self.errors and not self.dry_run:
                await self._write(chunk.parsed, donor_id, received_on)
                if self.progress:
                    self.progress("write", count)
        if self.errors or self.dry_run:
            return _refuse(sorted(self.errors, key=lambda e: (e.row, e.field)), count, self.dry_run)
        if donor_id is not None and self.donation_id is None:  # a file with no rows is still the donation
            await self._donation(donor_id, received_on)
        return ImportReport(
            dry_run=False, rows=count, created=len(self.created), valid=True, errors=[], tags=self.created
        )

    def _ours(self, first_row: int | None) -> bool:
        return first_row is not None and first_row <= self.written_to_row

    async def _check(self, chunk: _Chunk) -> None:
        """The chunk's own errors, then its rows against stock and against the rows before them."""
        errors = self.errors
        errors += chunk.errors
        parsed = chunk.parsed
        tags = [str(p.item.tag) for p in parsed if p.item.tag is not None]
        taken = {t for t in await self.inventory.assets.tags_in_use(tags) if not self._ours(self.first_tag_row.get(t))}
        for p in parsed:
            if p.item.tag is None:
                continue
            tag = str(p.item.tag)
            if tag in taken:
                errors.append(ImportRowError(row=p.row, field="tag", message="already used by another asset"))
            elif tag in self.first_tag_row:
                errors.append(ImportRowError(row=p.row, field="tag", message="appears twice in the file"))
                first = self.first_tag_row[tag]
                if first not in self.flagged_first:
                    self.flagged_first.add(first)
                    errors.append(ImportRowError(row=first, field="tag", message="appears twice in the file"))
            else:
                self.first_tag_row[tag] = p.row
        # Against stock: the service's own rule. Repeats within the file are found below, across chunks.
        by_item = {id(p.item): p for p in parsed}
        for clash in await self.inventory.assets.held_in_stock([p.item for p in parsed]):
            p = by_item[id(clash.item)]
            key = next(k for k in _unique_keys(p.item) if k[0] == clash.field)
            if not self._ours(self.first_key_row.get(key)):
                errors.append(ImportRowError(row=p.row, field=clash.field, message=clash.message))
        for p in parsed:
            for key in _unique_keys(p.item):
                first = self.first_key_row.setdefault(key, p.row)
                if first != p.row:
                    errors.append(ImportRowError(row=p.row, field=key[0], message=f"repeats {first}.{key[0]}"))
        errors += await self._certificate_clashes(parsed)

    async def _certificate_clashes(self, parsed: list[ParsedRow]) -> list[ImportRowError]:
        """A wipe certificate covers one device: a reference given twice in the file, or already held, is refused."""
        first = self.first_reference
        errors: list[ImportRowError] = []
        seen_here: list[str] = []
        for p in parsed:
            reference = p.wipe.certificate_reference if p.wipe else None
            if not reference:
                continue
            earlier = first.get(reference.lower())
            if earlier is not None:
                errors.append(
                    ImportRowError(row=p.row, field="wipe_certificate_reference", message=f"repeats row {earlier}")
                )
            seen_here.append(reference)
            first.setdefault(reference.lower(), p.row)
        held = await self.inventory.wipes.certificate_holders(seen_here)
        for p in parsed:
            reference = p.wipe.certificate_reference if p.wipe else None
            if reference and reference.lower() in held and not self._ours(first[reference.lower()]):
                errors.append(
                    ImportRowError(
                        row=p.row,
                        field="wipe_certificate_reference",
                        message=f"already recorded for {held[reference.lower()][1]}",
                    )
                )
        return errors

    async def _donation(self, donor_id: int, received_on: date | None) -> int:
        assert self.centre_id is not None  # checked with donor_id
        donation = await self.inventory.donations.add_donation(
            donor_id, self.centre_id, received_on or date.today(), "Imported from CSV"
        )
        self.donation_id = donation.id
        return donation.id

    async def _write(self, parsed: list[ParsedRow], donor_id: int | None, received_on: date | None) -> None:
        """Create the checked rows from the objects parsed for the check, a few at a time; each batch leaves the
        session once flushed, so that memory holds one chunk whatever the file's size."""
        inventory, session = self.inventory, self.inventory.session
        if donor_id is not None and self.donation_id is None:
            await self._donation(donor_id, received_on)
        for start in range(0, len(parsed), WRITE_ROWS):
            batch = parsed[start : start + WRITE_ROWS]
            assets = await inventory.assets.create_assets(
                [p.item for p in batch], centre_id=self.centre_id, donation_id=self.donation_id
            )
            await inventory.wipes.record_imported(
                [(asset, p.wipe) for p, asset in zip(batch, assets, strict=True) if p.wipe is not None]
            )
            for p, asset in zip(batch, assets, strict=True):
                if p.status is not Status.received:
                    lifecycle.admit(
                        asset,
                        p.status,
                        wiped=p.wipe is not None,
                        retired_reason=p.retired_reason,
                        weee_reference=p.weee_reference,
                    )
            await session.flush()
            self.created += [a.tag for a in assets]
            session.expunge_all()
            # The event loop answers others between batches.
            await anyio.lowlevel.checkpoint()
        if parsed:
            self.written_to_row = parsed[-1].row


# The columns a pasted block of rows may have: an asset's own fields, as in the import and the export.
PASTE_COLUMNS = ["kind", *ASSET_COLUMNS, "notes"]


def column_name(header: str) -> str:
    """A spreadsheet's heading as a column name: `Serial number` and `serial-number` are `serial_number`."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def read_pasted(text: str) -> tuple[list[dict[str, str]], list[ImportRowError]]:
    """Rows copied from a spreadsheet (tab-separated, the headings first) as cells by column, read as the import
    reads a file: blank rows skipped, cells trimmed and checked, rows numbered as the spreadsheet's."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t")
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [ImportRowError(row=1, field="paste", message=f"not readable ({exc})")]
    if not header or not any(h.strip() for h in header):
        return [], [ImportRowError(row=1, field="paste", message="no heading row (kind, make, model, ...)")]
    names = [column_name(h) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n and n not in PASTE_COLUMNS]
    if unknown:
        return [], [
            ImportRowError(
                row=1, field="paste", message=f"unknown column {_shown(h)!r}; columns are {', '.join(PASTE_COLUMNS)}"
            )
            for h in unknown
        ]
    rows: list[dict[str, str]] = []
    errors: list[ImportRowError] = []
    try:
        for number, raw in enumerate(reader, start=2):
            cells = {n: restore(v.strip()).strip() for n, v in zip(names, raw, strict=False) if n}
            if not any(cells.values()):
                continue
            problems = _cell_errors(number, cells)
            if problems:
                errors += problems
            else:
                rows.append(cells)
    except csv.Error as exc:
        errors.append(ImportRowError(row=reader.line_num, field="paste", message=f"not readable ({exc})"))
    return rows, errors


def _shown(name: str) -> str:
    """A column name fit to quote back: NULs visible, at most 60 characters."""
    name = name.replace("\x00", "\\0")
    return name if len(name) <= 60 else name[:57] + "..."


def _cell_errors(row: int, cells: dict[str, str]) -> list[ImportRowError]:
    """NUL characters and over-long cells, in any column, named by row and column before anything else reads them."""
    errors = []
    for name, value in cells.items():
        limit = CELL_LIMITS.get(name, MAX_CELL)
        if "\x00" in value:
            errors.append(ImportRowError(row=row, field=_shown(name), message="must not contain NUL characters"))
        elif len(value) > limit:
            errors.append(
                ImportRowError(row=row, field=_shown(name), message=f"longer than {limit} characters ({len(value):,})")
            )
    return errors


def _refuse(errors: list[ImportRowError], rows: int, dry_run: bool) -> ImportReport:
    if dry_run:
        return ImportReport(dry_run=True, rows=rows, created=0, valid=not errors, errors=errors, tags=[])
    raise Invalid(
        f"{len(errors)} problem(s) in the file; nothing was imported. First: row {errors[0].row}, "
        f"{errors[0].field}: {errors[0].message}",
        errors=[FieldError(e.field, e.message, row=e.row) for e in errors],
    )


def _parse_row(
    row: int, cells: dict[str, str], centres: dict[str, Any], default_centre: int | None, came_in: date | None = None
) -> tuple[list[ImportRowError], ParsedRow | None]:
    errors: list[ImportRowError] = []
    values = {name: cells.get(name) or None for name in [*ASSET_COLUMNS, "kind", "notes"]}
    try:
        item = AssetIn.model_validate(values)
    except ValidationError as exc:
        return _pydantic_errors(exc, row), None
    data = item.model_dump()
    derive_expiry(data)
    errors += [
        ImportRowError(row=row, field=e.field, message=e.message) for e in kind_rule_errors(AssetKind(item.kind), data)
    ]

    tag = None
    if cells.get("tag"):
        try:
            tag = parse_tag(cells["tag"])
        except BadTag as exc:
            errors.append(ImportRowError(row=row, field="tag", message=str(exc)))
    status = Status.received
    if cells.get("status"):
        try:
            status = Status(cells["status"])
        except ValueError:
            errors.append(ImportRowError(row=row, field="status", message=f"unknown status '{cells['status']}'"))
    centre_name = cells.get("centre")
    if centre_name:
        centre = centres.get(centre_name.lower())
        if centre is None:
            errors.append(ImportRowError(row=row, field="centre", message=f"no centre named '{centre_name}'"))
        else:
            data["centre_id"] = centre.id
    elif default_centre is None:
        errors.append(ImportRowError(row=row, field="centre", message="required (or pass centre_id)"))
    retired_reason = None
    if cells.get("retired_reason"):
        try:
            retired_reason = RetirementReason(cells["retired_reason"])
        except ValueError:
            errors.append(
                ImportRowError(row=row, field="retired_reason", message="choose recycled, parts or beyond_repair")
            )
    wipe = None
    wipe_given = any(cells.get(c) for c in WIPE_COLUMNS)
    if wipe_given:
        try:
            wipe = WipeIn.model_validate(
                {
                    "method": cells.get("wipe_method") or None,
                    "performed_on": cells.get("wipe_performed_on") or None,
                    "performed_by": cells.get("wipe_performed_by") or None,
                    "certificate_reference": cells.get("wipe_certificate_reference") or None,
                }
            )
        except ValidationError as exc:
            errors += [
                ImportRowError(row=row, field=f"wipe_{e.field}", message=e.message) for e in _pydantic_errors(exc, row)
            ]
        else:
            errors += [
                ImportRowError(row=row, field=f"wipe_{e.field}", message=e.message)
                for e in wipe_rule_errors(wipe, AssetKind(item.kind), came_in=came_in)
            ]
    # The lifecycle's own guards decide whether the row may start in its status. A wipe given but refused above is
    # already named there; the status is not blamed for it a second time.
    probe = Asset(tag=str(tag) if tag else None, kind=item.kind, expires_on=data.get("expires_on"))
    try:
        lifecycle.admit(probe, status, wiped=wipe_given, retired_reason=retired_reason)
    except (Invalid, lifecycle.Conflict) as exc:
        field = exc.errors[0].field if exc.errors else "status"
        errors.append(ImportRowError(row=row, field=field, message=exc.detail))
    if errors:
        return errors, None
    # Without a donation's date, the file's wipe stands for the wipe since the asset came in: it came in by then.
    intake_on = came_in or (wipe.performed_on if wipe else None)
    return [], ParsedRow(
        row=row,
        item=NewAsset(data, f"row {row}", tag, intake_on),
        status=status,
        retired_reason=retired_reason,
        weee_reference=cells.get("weee_reference") or None,
        wipe=wipe,
    )
