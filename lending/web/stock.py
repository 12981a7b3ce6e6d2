"""The coordinator's stock pages: intake of a donation, the refurbishment queue, and SIMs to bar.

The same services as the API (DonationService, AssetService, WipeService, LoanService's barring), the same
schemas for what is typed, and the same errors, shown next to the row and field they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from lending.access import allow
from lending.centres.deps import provide_centre_service
from lending.centres.service import CentreService
from lending.core.csv import CSV_MEDIA_TYPE, csv_response
from lending.core.errors import Conflict, DomainError, FieldError, Invalid
from lending.core.pagination import MAX_LIMIT, ListParams
from lending.inventory.csvio import PASTE_COLUMNS, read_pasted
from lending.inventory.deps import provide_inventory
from lending.inventory.lifecycle import ALLOWED, needs_wipe
from lending.inventory.models import (
    AssetKind,
    ConditionGrade,
    DonorKind,
    Network,
    OperatingSystem,
    Status,
    StorageType,
    WipeMethod,
)
from lending.inventory.schemas import DonationCreate, DonorCreate, WipeIn
from lending.inventory.service import AssetFilters, Inventory
from lending.loans.deps import provide_loans
from lending.loans.schemas import BarringIn
from lending.loans.service import LoanService
from lending.loans.shapes import barring_csv, present_barring
from lending.web.render import FormErrors, form_dict, page, parse

# --- intake ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    options: list[tuple[str, str]] | None = None  # a choice (a select), else typed
    type: str = "text"
    code: bool = False  # read off a label or scanned: never spell-checked or capitalised by a phone
    unique: bool = False  # not copied from the row above: each device has its own


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(str(e.value), str(e.value)) for e in enum]


# The fields that matter at intake, in the order a volunteer reads them off a device; the rest of an asset's fields
# may come in a pasted block and travel with their row unseen.
GRID = [
    Column("kind", "Kind", _choices(AssetKind)),
    Column("make", "Make"),
    Column("model", "Model"),
    Column("serial_number", "Serial", code=True, unique=True),
    Column("cpu", "CPU"),
    Column("ram_gb", "RAM GB", type="number"),
    Column("storage_gb", "Storage GB", type="number"),
    Column("storage_type", "Storage type", _choices(StorageType)),
    Column("os", "OS", _choices(OperatingSystem)),
    Column("condition_grade", "Grade", _choices(ConditionGrade)),
    Column("charger_included", "Charger", [("true", "yes"), ("false", "no")]),
    Column("imei", "IMEI", code=True, unique=True),
    Column("iccid", "ICCID", code=True, unique=True),
    Column("network", "Network", _choices(Network)),
    Column("msisdn", "Mobile number", unique=True),
    Column("plan_months", "Plan months", type="number"),
    Column("activated_on", "Activated on", type="date"),
    Column("voucher_code", "Voucher code", unique=True),
    Column("notes", "Notes"),
]
SHOWN = {c.name for c in GRID}
HIDDEN = [name for name in PASTE_COLUMNS if name not in SHOWN]
EMPTY_ROWS = 10
MAX_ROWS = 1000  # as many items as one donation may have
ROW_FIELD = re.compile(r"^r(\d{1,4})\.(\w+)$")
ITEM_PATH = re.compile(r"^items\[(\d+)\](?:\.(\w+))?")


def _rows_of(data: dict[str, Any]) -> list[dict[str, str]]:
    """The grid as posted (`r3.serial_number`), row by row in order, every row kept (blank ones too)."""
    by_row: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = ROW_FIELD.match(key)
        if match and match.group(2) in PASTE_COLUMNS:
            by_row.setdefault(int(match.group(1)), {})[match.group(2)] = str(value or "").strip()
    return [by_row[n] for n in sorted(by_row)][:MAX_ROWS]


def _filled(row: dict[str, str]) -> bool:
    return any(row.values())


def _with_room(rows: list[dict[str, str]], spare: int = EMPTY_ROWS) -> list[dict[str, str]]:
    """The filled rows first, then empty ones to type into: at least `spare` of them."""
    filled = [r for r in rows if _filled(r)]
    return filled + [{} for _ in range(max(spare, EMPTY_ROWS - len(filled)))]


@dataclass
class Intake:
    """What the intake form holds: the donation's fields, its rows and the block pasted into it."""

    fields: dict[str, str]
    rows: list[dict[str, str]]
    paste: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Intake:
        names = ("donor_id", "donor_name", "donor_kind", "centre_id", "received_on", "notes")
        return cls(
            fields={n: str(data.get(n) or "").strip() for n in names},
            rows=_rows_of(data),
            paste=str(data.get("paste") or ""),
        )

    def take_paste(self, errors: FormErrors) -> None:
        """The pasted block's rows go after the rows typed, read as the CSV import reads a file."""
        if not self.paste.strip():
            return
        pasted, problems = read_pasted(self.paste)
        for p in problems:
            errors.setdefault("paste", f"row {p.row}, {p.field}: {p.message}")
        if not problems:
            self.rows = [r for r in self.rows if _filled(r)] + pasted
            self.paste = ""

    def items(self) -> tuple[list[dict[str, Any]], list[int]]:
        """The filled rows as the API's items, and for each item the grid row it came from."""
        items, where = [], []
        for n, row in enumerate(self.rows):
            if _filled(row):
                items.append({k: v for k, v in row.items() if v != ""})
                where.append(n)
        return items, where


def _row_errors(errors: FormErrors, where: list[int]) -> FormErrors:
    """`items[3].serial_number` (the API's name) → `r5.serial_number` (the grid's row the item came from)."""
    shown = FormErrors()
    for name, message in errors.items():
        match = ITEM_PATH.match(name)
        if match and int(match.group(1)) < len(where):
            row = where[int(match.group(1))]
            field = match.group(2) if match.group(2) in SHOWN else "kind"
            if match.group(2) and match.group(2) not in SHOWN:
                message = f"{match.group(2)}: {message}"
            shown.setdefault(f"r{row}.{field}", message)
        elif name == "items":
            shown.setdefault("r0.kind", f"add at least one item ({message})")
        else:
            shown.setdefault(name, message)
    return shown


def _summary(errors: FormErrors) -> list[tuple[str, str]]:
    """(anchor, words) for the list at the top of the form: a row's error says which row and which field."""
    labels = {c.name: c.label for c in GRID}
    out = []
    for name, message in errors.items():
        match = ROW_FIELD.match(name)
        if match:
            row, field = int(match.group(1)), match.group(2)
            out.append((f"r{row}-{field}", f"Row {row + 1}, {labels.get(field, field)}: {message}"))
        else:
            out.append((f"f-{name}", f"{name.replace('_', ' ')}: {message}" if name != "form" else message))
    return out


class IntakePages(Controller):
    path = "/staff/intake"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {"inventory": Provide(provide_inventory), "centres": Provide(provide_centre_service)}

    async def _form(
        self,
        inventory: Inventory,
        centre_service: CentreService,
        intake: Intake,
        errors: FormErrors,
        *,
        status_code: int = 200,
        echo: bool = True,
    ) -> Template:
        centres, _ = await centre_service.list(ListParams(limit=MAX_LIMIT), active=True)
        donors, _ = await inventory.donors.list_donors(ListParams(limit=MAX_LIMIT))
        return page(
            "stock/intake.html",
            status_code=status_code,
            intake=intake,
            errors=errors,
            summary=_summary(errors),
            grid=GRID,
            hidden=HIDDEN,
            paste_columns=PASTE_COLUMNS,
            centres=[(str(c.id), c.name) for c in centres],
            donors=[(str(d.id), d.name) for d in donors],
            donor_kinds=_choices(DonorKind),
            echo=echo,
        )

    @get("/", guards=[allow("donations.manage")])
    async def intake(self, inventory: Inventory, centres: CentreService) -> Template:
        fresh = Intake(fields={"received_on": date.today().isoformat()}, rows=_with_room([]), paste="")
        return await self._form(inventory, centres, fresh, FormErrors(), echo=False)

    @post("/", guards=[allow("donations.manage")])
    async def save(
        self, request: Request[Any, Any, Any], inventory: Inventory, centres: CentreService
    ) -> Response[Any]:
        data = await form_dict(request)
        intake = Intake.of(data)
        action = str(data.get("action") or "save")
        errors = FormErrors()
        intake.take_paste(errors)
        # Without JavaScript the grid grows, copies and reads a paste on the server: the page comes back as typed.
        if action == "more":
            intake.rows += [{} for _ in range(EMPTY_ROWS)]
        elif action.startswith("copy:") and action[5:].isdigit():
            _copy_above(intake.rows, int(action[5:]))
        if action != "save" or errors:
            if action == "paste" or errors:
                intake.rows = _with_room(intake.rows, 1)
            return await self._form(inventory, centres, intake, errors, status_code=422 if errors else 200)
        # Blank rows between filled ones close up first, so that an item's number is its row on the page.
        intake.rows = _with_room(intake.rows, 1)
        items, where = intake.items()
        try:
            donor_id = intake.fields["donor_id"] or await self._new_donor(inventory, intake)
            donation = parse(
                DonationCreate,
                {
                    "donor_id": donor_id,
                    "centre_id": intake.fields["centre_id"],
                    "received_on": intake.fields["received_on"],
                    "notes": intake.fields["notes"],
                    "items": items,
                },
            )
            created, _ = await inventory.donations.create_donation(donation)
        except (ValidationError, DomainError) as exc:
            status_code = exc.status if isinstance(exc, DomainError) else 422
            shown = _row_errors(FormErrors.of(exc), where)
            return await self._form(inventory, centres, intake, shown, status_code=status_code)
        return Redirect(f"/staff/intake/{created.id}", status_code=303)

    async def _new_donor(self, inventory: Inventory, intake: Intake) -> int:
        if not intake.fields["donor_name"]:
            raise Invalid.field("donor_id", "choose the donor, or give a new donor's name and kind")
        try:
            data = DonorCreate.model_validate(
                {"name": intake.fields["donor_name"], "kind": intake.fields["donor_kind"] or None}
            )
        except ValidationError as exc:
            raise Invalid.of(
                [FieldError(f"donor_{e['loc'][0]}", str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]
            ) from None
        return (await inventory.donors.create_donor(data)).id

    @get("/{donation_id:int}", guards=[allow("donations.manage")])
    async def saved(self, donation_id: int, inventory: Inventory) -> Template:
        donation, assets = await inventory.donations.get_donation(donation_id)
        donor = await inventory.donors.get_donor(donation.donor_id)
        tags = [a.tag for a in assets]
        return page(
            "stock/intake_saved.html",
            donation=donation,
            donor=donor,
            assets=assets,
            labels=f"/desk/labels?{urlencode({'tags': ','.join(tags)})}",
        )


def _copy_above(rows: list[dict[str, str]], n: int) -> None:
    """Row n takes the row above's fields, all but those each device has its own of (serial, IMEI, ICCID...)."""
    if not 0 < n < len(rows):
        return
    keep = {c.name: rows[n].get(c.name, "") for c in GRID if c.unique}
    rows[n] = {**{k: v for k, v in rows[n - 1].items() if k not in keep}, **keep}


# --- refurbishment -------------------------------------------------------------------------------------------------

QUEUE = [Status.received, Status.in_refurbishment, Status.returned, Status.repair]
QUEUE_NAMES = {
    Status.received: "Received",
    Status.in_refurbishment: "In refurbishment",
    Status.returned: "Returned",
    Status.repair: "Repair",
}
# Where a batch may go from each tab, in the words on its buttons.
MOVES = {
    Status.in_refurbishment: "Start refurbishment",
    Status.ready: "Move to ready",
    Status.repair: "Send to repair",
}
PAGE_SIZE = 200


class RefurbishmentPages(Controller):
    path = "/staff/refurbishment"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {"inventory": Provide(provide_inventory)}

    async def _queue(
        self,
        inventory: Inventory,
        status: Status,
        *,
        offset: int = 0,
        errors: FormErrors | None = None,
        chosen: list[str] | None = None,
        moved: str = "",
        wiped: str = "",
        status_code: int = 200,
    ) -> Template:
        assets, total = await inventory.assets.list_assets(
            ListParams(limit=PAGE_SIZE, offset=offset, sort="tag"), AssetFilters(statuses=[status])
        )
        current = await inventory.wipes.current_wipes(assets)
        centres = {c.id: c.name for c in (await inventory.assets.centres_by_name()).values()}
        counts = {}
        for s in QUEUE:
            _, counts[s] = await inventory.assets.list_assets(ListParams(limit=1), AssetFilters(statuses=[s]))
        return page(
            "stock/refurbishment.html",
            status_code=status_code,
            status=status,
            tabs=[(s, QUEUE_NAMES[s], counts[s]) for s in QUEUE],
            rows=[
                {
                    "asset": a,
                    "centre": centres.get(a.centre_id, ""),
                    "wipe": current.get(a.id),
                    "needs_wipe": needs_wipe(a),
                }
                for a in assets
            ],
            total=total,
            offset=offset,
            page_size=PAGE_SIZE,
            moves=[(s.value, words) for s, words in MOVES.items() if s in ALLOWED[status]],
            errors=errors or FormErrors(),
            chosen=set(chosen or []),
            moved=moved,
            wiped=wiped,
        )

    @get("/", guards=[allow("assets.read")])
    async def queue(
        self,
        inventory: Inventory,
        status: Status = Status.received,
        offset: int = Parameter(default=0, ge=0, le=10**9),
        moved: str = Parameter(default="", max_length=200),
        wiped: str = Parameter(default="", max_length=40),
    ) -> Template:
        if status not in QUEUE:
            raise Invalid.field("status", "choose received, in_refurbishment, returned or repair")
        return await self._queue(inventory, status, offset=offset, moved=moved, wiped=wiped)

    @post("/moves", guards=[allow("assets.manage")])
    async def move(self, request: Request[Any, Any, Any], inventory: Inventory) -> Response[Any]:
        data = await form_dict(request, "tags")
        tags = [str(t) for t in data["tags"]]
        try:
            status = Status(str(data.get("status") or ""))
            to = Status(str(data.get("to") or ""))
        except ValueError:
            raise Invalid.field("to", "choose where the assets go") from None
        if status not in QUEUE:
            raise Invalid.field("status", "choose received, in_refurbishment, returned or repair")
        try:
            assets = await inventory.assets.change_many(tags, to)
        except (Invalid, Conflict) as exc:
            errors = FormErrors()
            for e in exc.errors:
                match = re.match(r"^tags\[(\d+)\]$", e.field)
                key = tags[int(match.group(1))] if match and int(match.group(1)) < len(tags) else e.field
                errors.setdefault(key, e.message)
            if not exc.errors:
                errors["form"] = exc.detail
            return await self._queue(inventory, status, errors=errors, chosen=tags, status_code=exc.status)
        query = urlencode({"status": status.value, "moved": f"{len(assets)} to {to.value}"})
        return Redirect(f"/staff/refurbishment?{query}", status_code=303)

    @get("/{tag:str}/wipe", guards=[allow("assets.manage")])
    async def wipe_form(self, tag: str, inventory: Inventory) -> Template:
        asset = await inventory.assets.get_asset(tag)
        return await self._wipe_page(inventory, asset, {"performed_on": date.today().isoformat()}, FormErrors())

    async def _wipe_page(
        self, inventory: Inventory, asset: Any, values: dict[str, Any], errors: FormErrors, status_code: int = 200
    ) -> Template:
        return page(
            "stock/wipe.html",
            status_code=status_code,
            asset=asset,
            wipes=await inventory.wipes.wipes_of(asset),
            wiped_since_intake=await inventory.assets.wiped_since_intake(asset),
            values=values,
            errors=errors,
            methods=_choices(WipeMethod),
        )

    @post("/{tag:str}/wipe", guards=[allow("assets.manage")])
    async def record_wipe(self, request: Request[Any, Any, Any], tag: str, inventory: Inventory) -> Response[Any]:
        asset = await inventory.assets.get_asset(tag)
        data = await form_dict(request)
        try:
            await inventory.wipes.record_wipe(asset.tag, parse(WipeIn, data))
        except (ValidationError, DomainError) as exc:
            status_code = exc.status if isinstance(exc, DomainError) else 422
            return await self._wipe_page(inventory, asset, data, FormErrors.of(exc), status_code)
        query = urlencode({"status": asset.status.value, "wiped": asset.tag})
        return Redirect(f"/staff/refurbishment?{query}", status_code=303)


# --- SIMs to bar -----------------------------------------------------------------------------------------------------


class SimPages(Controller):
    path = "/staff/sims"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {"loans": Provide(provide_loans)}

    async def _list(
        self,
        loans: LoanService,
        *,
        errors: dict[str, FormErrors] | None = None,
        values: dict[str, dict[str, Any]] | None = None,
        barred: str = "",
        status_code: int = 200,
    ) -> Template:
        items, total = await loans.sims_to_bar(ListParams(limit=MAX_LIMIT))
        return page(
            "stock/sims.html",
            status_code=status_code,
            sims=[present_barring(b) for b in items],
            total=total,
            errors=errors or {},
            values=values or {},
            barred=barred,
            today=date.today().isoformat(),
        )

    @get("/", guards=[allow("sims.bar")])
    async def to_bar(self, loans: LoanService, barred: str = Parameter(default="", max_length=40)) -> Template:
        return await self._list(loans, barred=barred)

    @get("/to-bar.csv", guards=[allow("sims.bar")], media_type=CSV_MEDIA_TYPE)
    async def to_bar_csv(self, loans: LoanService) -> Response[str]:
        # The API's CSV, for a browser signed in by cookie (the API takes bearer tokens only).
        items, _ = await loans.sims_to_bar()
        return csv_response(barring_csv(items), "sims-to-bar.csv")

    @post("/{tag:str}/barred", guards=[allow("sims.bar")])
    async def barred(self, request: Request[Any, Any, Any], tag: str, loans: LoanService) -> Response[Any]:
        data = await form_dict(request)
        try:
            barring = await loans.record_barring(tag, parse(BarringIn, data))
        except (ValidationError, DomainError) as exc:
            status_code = exc.status if isinstance(exc, DomainError) else 422
            key = tag.upper()
            return await self._list(
                loans, errors={key: FormErrors.of(exc)}, values={key: data}, status_code=status_code
            )
        return Redirect(f"/staff/sims?{urlencode({'barred': barring.asset.tag})}", status_code=303)
