"""Inventory: donors, donations and assets from intake through wiping to ready."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import exists, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.recorder import REDACTED, actor_of, json_safe
from lending.centres.models import Centre
from lending.core.errors import Conflict, FieldError, Invalid, NotFound
from lending.core.pagination import ListParams, list_page, order_by
from lending.inventory import lifecycle
from lending.inventory.lifecycle import Status
from lending.inventory.models import (
    CERTIFIED_METHODS,
    HOLDS_DATA,
    IMEI_KINDS,
    Asset,
    AssetEvent,
    AssetEventKind,
    AssetKind,
    Donation,
    Donor,
    WipeCertificate,
    WipeMethod,
)
from lending.inventory.schemas import AssetFields, DonationCreate, DonorCreate, TransitionIn, WipeIn
from lending.inventory.tags import BadTag, Tag, allocate_tags, parse_tag, reserve_tag, tag_start

SIM_ONLY = (
    "iccid",
    "network",
    "msisdn",
    "data_allowance_gb",
    "plan_months",
    "activated_on",
    "expires_on",
    "voucher_code",
)
NOT_FOR_SIM = (
    "serial_number",
    "cpu",
    "ram_gb",
    "storage_gb",
    "storage_type",
    "os",
    "battery_health_pct",
    "condition_grade",
    "charger_safety_test_on",
    "imei",
)

ASSET_SORTABLE = {
    "tag": Asset.tag,
    "kind": Asset.kind,
    "status": Asset.status,
    "created_at": Asset.created_at,
    "expires_on": Asset.expires_on,
    "make": Asset.make,
    "model": Asset.model,
}
DONOR_SORTABLE = {"name": Donor.name, "created_at": Donor.created_at}
DONATION_SORTABLE = {"received_on": Donation.received_on, "created_at": Donation.created_at}


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def intake_day(asset: Asset) -> date:
    """The (local) day the asset last came in: received, returned or found."""
    return asset.intake_at.astimezone().date()


def start_of(day: date) -> datetime:
    """The first moment of a local day, as an aware datetime (stored in UTC)."""
    return datetime.combine(day, time.min).astimezone()


def counts_since_intake(wipe: WipeCertificate, asset: Asset) -> bool:
    """A wipe opens the wipe gate only if it was both done and recorded after the asset last came in: an old
    certificate typed in after a return (back-dated) is evidence of an earlier wipe, not of this one."""
    return wipe.performed_on >= intake_day(asset) and wipe.recorded_at >= asset.intake_at


def kind_rule_errors(kind: AssetKind, values: dict[str, Any], path: str = "") -> list[FieldError]:
    """Which fields a kind needs and which it cannot have: the one statement of those rules."""

    def named(name: str) -> str:
        return f"{path}.{name}" if path else name

    errors: list[FieldError] = []
    if kind is AssetKind.sim:
        for required in ("iccid", "network"):
            if values.get(required) is None:
                errors.append(FieldError(named(required), "required for a SIM"))
        for name in NOT_FOR_SIM:
            if values.get(name) is not None:
                errors.append(FieldError(named(name), "does not apply to a SIM"))
        if values.get("charger_included"):
            errors.append(FieldError(named("charger_included"), "does not apply to a SIM"))
    else:
        for name in SIM_ONLY:
            if values.get(name) is not None:
                errors.append(FieldError(named(name), f"only for SIMs, not a {kind.value}"))
        if values.get("imei") is not None and kind not in IMEI_KINDS:
            errors.append(FieldError(named("imei"), f"a {kind.value} has no IMEI"))
        required = ("model",) if kind is AssetKind.accessory else ("make", "model")
        for name in required:
            if not values.get(name):
                errors.append(FieldError(named(name), f"required for a {kind.value}"))
    activated, expires = values.get("activated_on"), values.get("expires_on")
    if activated is not None and expires is not None and expires < activated:
        errors.append(FieldError(named("expires_on"), f"cannot be before activated_on ({activated.isoformat()})"))
    charger_test = values.get("charger_safety_test_on")
    if charger_test is not None and charger_test > date.today():
        errors.append(FieldError(named("charger_safety_test_on"), "cannot be in the future"))
    return errors


def wipe_rule_errors(data: WipeIn, kind: AssetKind, *, came_in: date | None = None) -> list[FieldError]:
    """What a wipe record needs beyond its field formats; `came_in` is the day the asset last came in."""
    errors = []
    if kind not in HOLDS_DATA and kind is not AssetKind.hotspot:
        errors.append(FieldError("method", f"a {kind.value} holds no data to wipe"))
    if data.method in CERTIFIED_METHODS and not data.certificate_reference:
        errors.append(FieldError("certificate_reference", f"required for a {data.method.value} wipe"))
    if data.performed_on > date.today():
        errors.append(FieldError("performed_on", "cannot be in the future"))
    elif came_in is not None and data.performed_on < came_in:
        errors.append(
            FieldError(
                "performed_on",
                f"is before the device last came in, on {came_in.isoformat()}: "
                "a wipe done before then does not cover it now; wipe it again",
            )
        )
    return errors


# A number typed or scanned: an ICCID, an IMEI or a phone number, with the spaces and signs people put in them.
_NUMBER = re.compile(r"^[\d\s()+./-]+$")
MIN_NUMBER_DIGITS = 4


def search_clauses(q: str) -> list[Any]:
    """What `q` matches, by what it looks like.

    Words match tag, serial, make and model. A tag or the start of one (`lap-000003`, `LAP 000003`) also matches the
    tag whatever its spacing. Only a number (at least four digits, nothing but digits, spaces and `+()-./`)
    matches ICCIDs, IMEIs and phone numbers: `lap-000003` must not find every phone with a 3 in it.
    """
    text = q.strip()
    clauses: list[Any] = [
        func.lower(column).contains(text.lower(), autoescape=True)
        for column in (Asset.tag, Asset.serial_number, Asset.make, Asset.model)
    ]
    start = tag_start(text)
    if start:
        clauses.append(func.replace(Asset.tag, "-", "").startswith(start))
    digits = "".join(ch for ch in text if ch.isdigit())
    if _NUMBER.match(text) and len(digits) >= MIN_NUMBER_DIGITS:
        # Phone numbers are stored in E.164: `07911…` finds `+447911…`.
        clauses += [
            Asset.iccid.contains(digits),
            Asset.imei.contains(digits),
            Asset.msisdn.contains(digits.lstrip("0") or digits),
        ]
    return clauses


def derive_expiry(values: dict[str, Any]) -> None:
    if values.get("expires_on") is None and values.get("activated_on") and values.get("plan_months"):
        values["expires_on"] = add_months(values["activated_on"], values["plan_months"])


class DonorRepository(SQLAlchemyAsyncRepository[Donor]):
    model_type = Donor


class DonationRepository(SQLAlchemyAsyncRepository[Donation]):
    model_type = Donation


class AssetRepository(SQLAlchemyAsyncRepository[Asset]):
    model_type = Asset


@dataclass
class AssetFilters:
    kinds: Sequence[AssetKind] = ()
    statuses: Sequence[Status] = ()
    centre_id: int | None = None
    donation_id: int | None = None
    q: str | None = None
    sim_expiring_within_days: int | None = None
    tags: Sequence[str] = field(default_factory=tuple)


@dataclass
class NewAsset:
    """An asset about to be created, with where its fields came from (for error messages)."""

    values: dict[str, Any]
    path: str
    tag: Tag | None = None
    # The day it came in, when that is before it is recorded (a donation's date); None: now.
    intake_on: date | None = None


class InventoryService:
    def __init__(self, session: AsyncSession, tag_prefixes: dict[str, str]) -> None:
        self.session = session
        self.prefixes = tag_prefixes
        self.donors = DonorRepository(session=session)
        self.donations = DonationRepository(session=session)
        self.assets = AssetRepository(session=session)

    # --- donors --------------------------------------------------------------------------------------------

    async def list_donors(self, params: ListParams, *, q: str | None = None) -> tuple[list[Donor], int]:
        where = [func.lower(Donor.name).like(f"%{q.lower()}%")] if q else []
        return await list_page(self.donors, params, *where, sortable=DONOR_SORTABLE, default_sort="name")

    async def get_donor(self, donor_id: int) -> Donor:
        donor = await self.session.get(Donor, donor_id)
        if donor is None:
            raise NotFound(f"No donor with id {donor_id}.")
        return donor

    async def create_donor(self, data: DonorCreate) -> Donor:
        return await self.donors.add(Donor(**data.model_dump(mode="json")))

    async def update_donor(self, donor_id: int, changes: dict[str, Any]) -> Donor:
        donor = await self.get_donor(donor_id)
        for key, value in changes.items():
            if value is not None or key in {"contact_name", "email", "phone"}:
                setattr(donor, key, value.value if hasattr(value, "value") else value)
        await self.session.flush()
        return donor

    # --- donations -----------------------------------------------------------------------------------------

    async def create_donation(self, data: DonationCreate) -> tuple[Donation, list[Asset]]:
        """The donation and all its assets in the caller's transaction: one bad item and nothing is kept."""
        await self.get_donor_for(data.donor_id, "donor_id")
        await self.get_centre_for(data.centre_id, "centre_id")
        if data.received_on > date.today():
            raise Invalid.field("received_on", "cannot be in the future")
        new = [
            NewAsset(item.model_dump(exclude_unset=False), f"items[{i}]", intake_on=data.received_on)
            for i, item in enumerate(data.items)
        ]
        self.check_new_assets(new)
        await self.check_duplicates(new)
        donation = Donation(
            donor_id=data.donor_id, centre_id=data.centre_id, received_on=data.received_on, notes=data.notes
        )
        await self.donations.add(donation)
        assets = await self.create_assets(new, centre_id=data.centre_id, donation_id=donation.id)
        return donation, assets

    async def get_donation(self, donation_id: int) -> tuple[Donation, list[Asset]]:
        donation = await self.session.get(Donation, donation_id)
        if donation is None:
            raise NotFound(f"No donation with id {donation_id}.")
        assets = (
            await self.session.scalars(select(Asset).where(Asset.donation_id == donation_id).order_by(Asset.id))
        ).all()
        return donation, list(assets)

    async def list_donations(
        self, params: ListParams, *, donor_id: int | None = None, centre_id: int | None = None
    ) -> tuple[list[Donation], int]:
        where: list[Any] = []
        if donor_id is not None:
            where.append(Donation.donor_id == donor_id)
        if centre_id is not None:
            where.append(Donation.centre_id == centre_id)
        return await list_page(self.donations, params, *where, sortable=DONATION_SORTABLE, default_sort="-received_on")

    async def get_donor_for(self, donor_id: int, field_name: str) -> Donor:
        donor = await self.session.get(Donor, donor_id)
        if donor is None:
            raise Invalid.field(field_name, f"no donor with id {donor_id}")
        return donor

    async def get_centre_for(self, centre_id: int, field_name: str) -> Centre:
        centre = await self.session.get(Centre, centre_id)
        if centre is None:
            raise Invalid.field(field_name, f"no centre with id {centre_id}")
        if not centre.is_active:
            raise Invalid.field(field_name, f"centre {centre.name} is not active")
        return centre

    # --- creating assets -----------------------------------------------------------------------------------

    def check_new_assets(self, new: Sequence[NewAsset]) -> None:
        errors: list[FieldError] = []
        for item in new:
            derive_expiry(item.values)
            errors += kind_rule_errors(AssetKind(item.values["kind"]), item.values, item.path)
        if errors:
            raise Invalid.of(errors)

    async def check_duplicates(self, new: Sequence[NewAsset], *, conflict: bool = True) -> list[FieldError]:
        """Serial (per make), ICCID and IMEI are unique: against each other and against stock.

        Raises Conflict (409) naming the existing tag, or with `conflict=False` returns the errors.
        """
        errors: list[FieldError] = []
        existing: dict[str, str] = {}
        seen: dict[tuple[str, Any], str] = {}
        for item in new:
            v = item.values
            keys = []
            if v.get("serial_number") and v.get("make"):
                keys.append(("serial_number", (v["make"].lower(), v["serial_number"].lower())))
            for unique in ("iccid", "imei"):
                if v.get(unique):
                    keys.append((unique, v[unique]))
            for name, key in keys:
                if (name, key) in seen:
                    errors.append(FieldError(f"{item.path}.{name}", f"repeats {seen[(name, key)]}"))
                seen[(name, key)] = f"{item.path}.{name}"
        serials = [k for (n, k) in seen if n == "serial_number"]
        iccids = [k for (n, k) in seen if n == "iccid"]
        imeis = [k for (n, k) in seen if n == "imei"]
        clauses = []
        if serials:
            clauses.append(tuple_(Asset.make_key, Asset.serial_key).in_(serials))
        if iccids:
            clauses.append(Asset.iccid.in_(iccids))
        if imeis:
            clauses.append(Asset.imei.in_(imeis))
        if clauses:
            for asset in (await self.session.scalars(select(Asset).where(or_(*clauses)))).all():
                if asset.serial_number:
                    existing[f"serial_number:{(asset.make_key, asset.serial_key)}"] = asset.tag
                if asset.iccid:
                    existing[f"iccid:{asset.iccid}"] = asset.tag
                if asset.imei:
                    existing[f"imei:{asset.imei}"] = asset.tag
        clashes: list[FieldError] = []
        for (name, key), where in seen.items():
            tag = existing.get(f"{name}:{key}")
            if tag:
                clashes.append(FieldError(where, f"already held as {tag}"))
        if conflict and clashes:
            raise Conflict(
                "Already in stock: " + "; ".join(f"{e.field} {e.message}" for e in clashes),
                errors=clashes,
                existing_tags=sorted({e.message.split()[-1] for e in clashes}),
            )
        if conflict and errors:
            raise Invalid.of(errors)
        return errors + clashes

    async def create_assets(
        self, new: Sequence[NewAsset], *, centre_id: int | None, donation_id: int | None
    ) -> list[Asset]:
        """Insert checked assets: tags from the sequence (or as given, for imports), history 'created'."""
        now = datetime.now(UTC)
        by_prefix: dict[str, list[NewAsset]] = {}
        for item in new:
            if item.tag is None:
                by_prefix.setdefault(self.prefixes[item.values["kind"]], []).append(item)
        tags: dict[int, str] = {}
        for prefix, items in by_prefix.items():
            for item, tag in zip(items, await allocate_tags(self.session, prefix, len(items)), strict=True):
                tags[id(item)] = tag
        for item in new:
            if item.tag is not None:
                await reserve_tag(self.session, item.tag)
                tags[id(item)] = str(item.tag)
        assets = []
        for item in new:
            values = {k: v for k, v in item.values.items() if k in AssetFields.model_fields and k != "kind"}
            values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
            values["charger_included"] = bool(values.get("charger_included"))
            values["notes"] = values.get("notes") or ""
            intake_at = min(now, start_of(item.intake_on)) if item.intake_on else now
            asset = Asset(
                tag=tags[id(item)],
                kind=AssetKind(item.values["kind"]).value,
                status=Status.received.value,
                status_changed_at=now,
                intake_at=intake_at,
                centre_id=item.values.get("centre_id") or centre_id,
                donation_id=donation_id,
                **values,
            )
            self.session.add(asset)
            assets.append(asset)
        await self.session.flush()
        for asset in assets:
            self._event(
                asset,
                AssetEventKind.created,
                to_status=asset.status,
                details={"donation_id": donation_id} if donation_id else None,
            )
        await self.session.flush()
        return assets

    # --- reading assets ------------------------------------------------------------------------------------

    async def get_asset(self, tag: str) -> Asset:
        try:
            normal = str(parse_tag(tag))
        except BadTag as exc:
            # A mistyped tag is never matched to another asset: it is simply not found.
            raise NotFound(str(exc)) from None
        asset = await self.assets.get_one_or_none(tag=normal)
        if asset is None:
            raise NotFound(f"No asset tagged {normal}.")
        return asset

    def _filter_clauses(self, f: AssetFilters) -> list[Any]:
        where: list[Any] = []
        if f.kinds:
            where.append(Asset.kind.in_([k.value for k in f.kinds]))
        if f.statuses:
            where.append(Asset.status.in_([s.value for s in f.statuses]))
        if f.centre_id is not None:
            where.append(Asset.centre_id == f.centre_id)
        if f.donation_id is not None:
            where.append(Asset.donation_id == f.donation_id)
        if f.tags:
            where.append(Asset.tag.in_(list(f.tags)))
        if f.q:
            where.append(or_(*search_clauses(f.q)))
        if f.sim_expiring_within_days is not None:
            today = date.today()
            where += [
                Asset.kind == AssetKind.sim.value,
                Asset.expires_on.is_not(None),
                Asset.expires_on >= today,
                Asset.expires_on <= today + timedelta(days=f.sim_expiring_within_days),
            ]
        return where

    async def list_assets(self, params: ListParams, filters: AssetFilters) -> tuple[list[Asset], int]:
        return await list_page(
            self.assets, params, *self._filter_clauses(filters), sortable=ASSET_SORTABLE, default_sort="tag"
        )

    async def all_assets(self, filters: AssetFilters, *, sort: str | None = None) -> list[Asset]:
        stmt = select(Asset).where(*self._filter_clauses(filters))
        stmt = stmt.order_by(*order_by(sort, ASSET_SORTABLE, "tag"), Asset.id)
        return list((await self.session.scalars(stmt)).all())

    async def wipes_of(self, asset: Asset) -> list[WipeCertificate]:
        return list(
            (
                await self.session.scalars(
                    select(WipeCertificate).where(WipeCertificate.asset_id == asset.id).order_by(WipeCertificate.id)
                )
            ).all()
        )

    async def current_wipes(self, assets: Sequence[Asset]) -> dict[int, WipeCertificate]:
        """The latest wipe recorded since each asset last came in (none: not wiped since)."""
        by_id = {a.id: a for a in assets}
        found: dict[int, WipeCertificate] = {}
        ids = list(by_id)
        for start in range(0, len(ids), 500):
            rows = await self.session.scalars(
                select(WipeCertificate)
                .where(WipeCertificate.asset_id.in_(ids[start : start + 500]))
                .order_by(WipeCertificate.id)
            )
            for wipe in rows:
                if counts_since_intake(wipe, by_id[wipe.asset_id]):
                    found[wipe.asset_id] = wipe
        return found

    async def wiped_since_intake(self, asset: Asset) -> bool:
        return bool(
            await self.session.scalar(
                select(
                    exists().where(
                        WipeCertificate.asset_id == asset.id,
                        WipeCertificate.recorded_at >= asset.intake_at,
                        WipeCertificate.performed_on >= intake_day(asset),
                    )
                )
            )
        )

    async def certificate_holders(self, references: Iterable[str]) -> dict[str, tuple[WipeCertificate, str]]:
        """Wipes already recorded under these certificate references (case ignored), with their asset's tag."""
        keys = sorted({r.lower() for r in references if r})
        held: dict[str, tuple[WipeCertificate, str]] = {}
        for start in range(0, len(keys), 500):
            rows = await self.session.execute(
                select(WipeCertificate, Asset.tag)
                .join(Asset, Asset.id == WipeCertificate.asset_id)
                .where(WipeCertificate.certificate_key.in_(keys[start : start + 500]))
            )
            for wipe, tag in rows:
                held[wipe.certificate_key] = (wipe, tag)
        return held

    async def history(self, tag: str) -> list[AssetEvent]:
        asset = await self.get_asset(tag)
        return list(
            (
                await self.session.scalars(
                    select(AssetEvent)
                    .where(AssetEvent.asset_id == asset.id)
                    .order_by(AssetEvent.occurred_at, AssetEvent.id)
                )
            ).all()
        )

    # --- changing assets -----------------------------------------------------------------------------------

    def _event(
        self,
        asset: Asset,
        kind: AssetEventKind,
        *,
        from_status: str | None = None,
        to_status: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AssetEvent:
        actor_id, label = actor_of(self.session)
        event = AssetEvent(
            asset_id=asset.id,
            occurred_at=datetime.now(UTC),
            kind=kind.value,
            actor_id=actor_id,
            actor_label=label,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=json_safe(details) if details else None,
        )
        self.session.add(event)
        return event

    def record_event(
        self, asset: Asset, kind: AssetEventKind, *, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> AssetEvent:
        """A step in the asset's history recorded by another domain (a SIM barred after a loss)."""
        return self._event(asset, kind, reason=reason, details=details)

    async def update_asset(self, tag: str, changes: dict[str, Any]) -> Asset:
        asset = await self.get_asset(tag)
        kind = AssetKind(asset.kind)
        current = {name: getattr(asset, name) for name in AssetFields.model_fields}
        merged = {**current, **{k: (v.value if hasattr(v, "value") else v) for k, v in changes.items()}}
        if ("activated_on" in changes or "plan_months" in changes) and "expires_on" not in changes:
            merged["expires_on"] = None
        derive_expiry(merged)
        errors = kind_rule_errors(kind, merged)
        if errors:
            raise Invalid.of(errors)
        merged.setdefault("kind", kind.value)
        candidate = NewAsset({**merged, "kind": kind.value}, "")
        clashes = [
            e for e in await self.check_duplicates([candidate], conflict=False) if not e.message.endswith(asset.tag)
        ]
        if clashes:
            raise Conflict(
                "Already in stock: " + "; ".join(f"{e.field.lstrip('.')} {e.message}" for e in clashes),
                errors=[FieldError(e.field.lstrip("."), e.message) for e in clashes],
            )
        diff: dict[str, dict[str, Any]] = {}
        for name, value in merged.items():
            if name == "kind" or name not in AssetFields.model_fields:
                continue
            if name == "charger_included":
                value = bool(value)
            if name == "notes":
                value = value or ""
            if getattr(asset, name) != value:
                secret = name == "voucher_code"
                diff[name] = {
                    "before": REDACTED if secret and getattr(asset, name) is not None else getattr(asset, name),
                    "after": REDACTED if secret and value is not None else value,
                }
                setattr(asset, name, value)
        if diff:
            self._event(asset, AssetEventKind.edit, details={"fields": diff})
            await self.session.flush()
        return asset

    async def record_wipe(self, tag: str, data: WipeIn, *, references_checked: bool = False) -> WipeCertificate:
        """Record a wipe done since the asset last came in. The same certificate sent again for the same device
        answers the wipe already recorded; a certificate recorded for another device is a 409.

        `references_checked`: the caller (the CSV import) has checked the certificate references in bulk.
        """
        asset = await self.get_asset(tag)
        if asset.status in {Status.on_loan.value, Status.gifted.value, Status.lost.value, Status.stolen.value}:
            raise Conflict(f"{asset.tag} is {asset.status}: it is not here to be wiped.")
        errors = wipe_rule_errors(data, AssetKind(asset.kind), came_in=intake_day(asset))
        if errors:
            raise Invalid.of(errors)
        reference = data.certificate_reference
        if reference and not references_checked:
            held = (await self.certificate_holders([reference])).get(reference.lower())
            if held is not None:
                existing, holder = held
                if (
                    existing.asset_id == asset.id
                    and counts_since_intake(existing, asset)
                    and (existing.method, existing.performed_on, existing.performed_by)
                    == (WipeMethod(data.method).value, data.performed_on, data.performed_by)
                ):
                    return existing
                raise self._certificate_taken(reference, holder)
        actor_id, _ = actor_of(self.session)
        wipe = WipeCertificate(
            asset_id=asset.id,
            method=WipeMethod(data.method).value,
            performed_on=data.performed_on,
            performed_by=data.performed_by,
            certificate_reference=reference,
            notes=data.notes,
            recorded_at=datetime.now(UTC),
            recorded_by_id=actor_id,
        )
        self.session.add(wipe)
        try:
            await self.session.flush()
        except IntegrityError:
            # Another request recorded the same reference between the check above and this insert.
            raise self._certificate_taken(reference or "", None) from None
        self._event(
            asset,
            AssetEventKind.wipe,
            details={
                "wipe_id": wipe.id,
                "method": wipe.method,
                "performed_on": wipe.performed_on,
                "performed_by": wipe.performed_by,
                "certificate_reference": wipe.certificate_reference,
            },
        )
        await self.session.flush()
        return wipe

    @staticmethod
    def _certificate_taken(reference: str, holder: str | None) -> Conflict:
        where = f"for {holder}" if holder else "already"
        return Conflict(
            f"Wipe certificate {reference} is already recorded {where}: one certificate covers one wipe of one device.",
            errors=[FieldError("certificate_reference", f"already recorded {where}")],
            existing_tag=holder,
        )

    async def transition(
        self,
        asset: Asset,
        to: Status,
        *,
        reason: str | None = None,
        via_loan: bool = False,
        details: dict[str, Any] | None = None,
        **guards: Any,
    ) -> lifecycle.Change:
        """Every status change goes through here: the state machine decides, the history records."""
        wiped = await self.wiped_since_intake(asset) if to is Status.ready else False
        change = lifecycle.transition(asset, to, reason=reason, via_loan=via_loan, wiped_since_intake=wiped, **guards)
        if change.after is Status.retired:
            details = {
                **(details or {}),
                "retired_reason": asset.retired_reason,
                "weee_reference": asset.weee_reference,
            }
        self._event(
            asset,
            AssetEventKind.transition,
            from_status=change.before.value,
            to_status=change.after.value,
            reason=reason,
            details=details,
        )
        return change

    async def change_status(self, tag: str, data: TransitionIn) -> Asset:
        asset = await self.get_asset(tag)
        await self.transition(
            asset, data.to, reason=data.reason, retired_reason=data.retired_reason, weee_reference=data.weee_reference
        )
        await self.session.flush()
        return asset

    async def move(self, tag: str, centre_id: int, reason: str | None) -> Asset:
        asset = await self.get_asset(tag)
        await self.get_centre_for(centre_id, "centre_id")
        if asset.status in {
            Status.on_loan.value,
            Status.gifted.value,
            Status.lost.value,
            Status.stolen.value,
            Status.retired.value,
        }:
            raise Conflict(f"{asset.tag} is {asset.status}: it cannot be moved between centres.")
        if asset.centre_id == centre_id:
            raise Conflict(f"{asset.tag} is already at centre {centre_id}.")
        before = asset.centre_id
        asset.centre_id = centre_id
        self._event(
            asset, AssetEventKind.move, reason=reason, details={"from_centre_id": before, "to_centre_id": centre_id}
        )
        await self.session.flush()
        return asset

    async def centres_by_name(self) -> dict[str, Centre]:
        return {c.name.lower(): c for c in (await self.session.scalars(select(Centre))).all()}

    async def tags_in_use(self, tags: Iterable[str]) -> set[str]:
        tags = list(tags)
        if not tags:
            return set()
        return set((await self.session.scalars(select(Asset.tag).where(Asset.tag.in_(tags)))).all())
