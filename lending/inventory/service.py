"""Inventory: donors, donations and assets from intake through wiping to ready, one service per aggregate.

`Inventory` holds the four on one session for what spans them (the routes, the CSV import).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.recorder import REDACTED, actor_of, json_safe
from lending.centres.models import Centre
from lending.centres.service import CentreRepository
from lending.core.errors import Conflict, FieldError, Invalid, NotFound
from lending.core.pagination import ListParams
from lending.inventory import lifecycle
from lending.inventory.models import (
    Asset,
    AssetEvent,
    AssetEventKind,
    AssetKind,
    Donation,
    Donor,
    Status,
    WipeCertificate,
)
from lending.inventory.repositories import (
    AssetEventRepository,
    AssetFilters,
    AssetRepository,
    DonationRepository,
    DonorRepository,
    UniqueKeys,
    WipeRepository,
)
from lending.inventory.rules import (
    counts_since_intake,
    derive_expiry,
    intake_day,
    kind_rule_errors,
    start_of,
    wipe_rule_errors,
)
from lending.inventory.schemas import AssetFields, DonationCreate, DonorCreate, TransitionIn, WipeIn
from lending.inventory.tags import BadTag, Tag, allocate_tags, parse_tag, reserve_tags

__all__ = [
    "AssetFilters",
    "AssetService",
    "Clash",
    "DonationService",
    "DonorService",
    "Inventory",
    "NewAsset",
    "WipeService",
]

# Statuses in which the asset is not at a centre: it cannot be wiped or moved there.
NOT_HERE = frozenset({Status.on_loan, Status.gifted, Status.lost, Status.stolen})


@dataclass
class NewAsset:
    """An asset about to be created, with where its fields came from (for error messages)."""

    values: dict[str, Any]
    path: str
    tag: Tag | None = None
    # The day it came in, when that is before it is recorded (a donation's date); None: now.
    intake_on: date | None = None


@dataclass(frozen=True)
class Clash:
    """A unique value of a new asset (serial per make, ICCID, IMEI) that stock or the same batch already holds."""

    item: NewAsset
    field: str
    message: str
    # The asset in stock that holds it; None for a repeat within the batch.
    tag: str | None = None

    @property
    def path(self) -> str:
        return f"{self.item.path}.{self.field}" if self.item.path else self.field


def _unique_values(item: NewAsset) -> list[tuple[str, Any]]:
    v = item.values
    keys: list[tuple[str, Any]] = []
    if v.get("serial_number") and v.get("make"):
        keys.append(("serial_number", (v["make"].lower(), v["serial_number"].lower())))
    for unique in ("iccid", "imei"):
        if v.get(unique):
            keys.append((unique, v[unique]))
    return keys


def _certificate_taken(reference: str, holder: str | None) -> Conflict:
    where = f"for {holder}" if holder else "already"
    return Conflict(
        f"Wipe certificate {reference} is already recorded {where}: one certificate covers one wipe of one device.",
        errors=[FieldError("certificate_reference", f"already recorded {where}")],
        existing_tag=holder,
    )


class DonorService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repository = DonorRepository(session=session)

    async def list_donors(self, params: ListParams, *, q: str | None = None) -> tuple[list[Donor], int]:
        return await self.repository.page(params, name_contains=q)

    async def get_donor(self, donor_id: int) -> Donor:
        donor = await self.repository.find(donor_id)
        if donor is None:
            raise NotFound(f"No donor with id {donor_id}.")
        return donor

    async def get_donor_for(self, donor_id: int, field_name: str) -> Donor:
        """The donor another record refers to: a missing one is bad input in `field_name`, not a 404."""
        donor = await self.repository.find(donor_id)
        if donor is None:
            raise Invalid.field(field_name, f"no donor with id {donor_id}")
        return donor

    async def create_donor(self, data: DonorCreate) -> Donor:
        return await self.repository.add(Donor(**data.model_dump()))

    async def update_donor(self, donor_id: int, changes: dict[str, Any]) -> Donor:
        donor = await self.get_donor(donor_id)
        for key, value in changes.items():
            if value is not None or key in {"contact_name", "email", "phone"}:
                setattr(donor, key, value)
        await self.session.flush()
        return donor


class AssetService:
    """Assets from creation to their last status: lookups, edits, moves and every status change."""

    def __init__(self, session: AsyncSession, tag_prefixes: dict[str, str]) -> None:
        self.session = session
        self.prefixes = tag_prefixes
        self.repository = AssetRepository(session=session)
        self.wipes = WipeRepository(session=session)
        self.events = AssetEventRepository(session=session)
        self.centres = CentreRepository(session=session)

    # --- centres the assets are kept at --------------------------------------------------------------------

    async def active_centre(self, centre_id: int, field_name: str) -> Centre:
        centre = await self.session.get(Centre, centre_id)
        if centre is None:
            raise Invalid.field(field_name, f"no centre with id {centre_id}")
        if not centre.is_active:
            raise Invalid.field(field_name, f"centre {centre.name} is not active")
        return centre

    async def centres_by_name(self) -> dict[str, Centre]:
        return {c.name.lower(): c for c in await self.centres.list()}

    # --- creating assets -----------------------------------------------------------------------------------

    def check_new_assets(self, new: Sequence[NewAsset]) -> None:
        errors: list[FieldError] = []
        for item in new:
            derive_expiry(item.values)
            errors += kind_rule_errors(AssetKind(item.values["kind"]), item.values, item.path)
        if errors:
            raise Invalid.of(errors)

    def repeats(self, new: Sequence[NewAsset]) -> list[Clash]:
        """Unique values given twice in one batch, named at each repeat."""
        seen: dict[tuple[str, Any], NewAsset] = {}
        clashes = []
        for item in new:
            for name, key in _unique_values(item):
                if (name, key) in seen:
                    clashes.append(Clash(item, name, f"repeats {seen[(name, key)].path}.{name}"))
                seen[(name, key)] = item
        return clashes

    async def held_in_stock(self, new: Sequence[NewAsset]) -> list[Clash]:
        """Unique values of the batch that stock already holds: one clash per value, at its last item."""
        last: dict[tuple[str, Any], NewAsset] = {}
        for item in new:
            for name, key in _unique_values(item):
                last[(name, key)] = item
        if not last:
            return []
        held = await self.repository.holding_any(
            UniqueKeys(
                serials=[k for (n, k) in last if n == "serial_number"],
                iccids=[k for (n, k) in last if n == "iccid"],
                imeis=[k for (n, k) in last if n == "imei"],
            )
        )
        holders: dict[tuple[str, Any], str] = {}
        for asset in held:
            if asset.serial_number:
                holders["serial_number", (asset.make_key, asset.serial_key)] = asset.tag
            if asset.iccid:
                holders["iccid", asset.iccid] = asset.tag
            if asset.imei:
                holders["imei", asset.imei] = asset.tag
        return [
            Clash(item, name, f"already held as {holders[name, key]}", holders[name, key])
            for (name, key), item in last.items()
            if (name, key) in holders
        ]

    async def check_duplicates(self, new: Sequence[NewAsset]) -> None:
        """Serial (per make), ICCID and IMEI are unique: against stock (409 naming the tag), then each other."""
        clashes = await self.held_in_stock(new)
        if clashes:
            raise Conflict(
                "Already in stock: " + "; ".join(f"{c.path} {c.message}" for c in clashes),
                errors=[FieldError(c.path, c.message) for c in clashes],
                existing_tags=sorted({c.tag for c in clashes if c.tag}),
            )
        repeats = self.repeats(new)
        if repeats:
            raise Invalid.of([FieldError(c.path, c.message) for c in repeats])

    async def create_assets(
        self, new: Sequence[NewAsset], *, centre_id: int | None, donation_id: int | None
    ) -> list[Asset]:
        """Insert checked assets: tags from the sequence (or as given, for imports), history 'created'."""
        now = datetime.now(UTC)
        tags: dict[int, str] = {}
        # Given tags first, so that the tags handed out next in the same batch continue after them.
        await reserve_tags(self.session, [item.tag for item in new if item.tag is not None])
        by_prefix: dict[str, list[NewAsset]] = {}
        for item in new:
            if item.tag is None:
                by_prefix.setdefault(self.prefixes[item.values["kind"]], []).append(item)
            else:
                tags[id(item)] = str(item.tag)
        for prefix, items in by_prefix.items():
            for item, tag in zip(items, await allocate_tags(self.session, prefix, len(items)), strict=True):
                tags[id(item)] = tag
        assets = []
        for item in new:
            values = {k: v for k, v in item.values.items() if k in AssetFields.model_fields and k != "kind"}
            values["charger_included"] = bool(values.get("charger_included"))
            values["notes"] = values.get("notes") or ""
            intake_at = min(now, start_of(item.intake_on)) if item.intake_on else now
            asset = Asset(
                tag=tags[id(item)],
                kind=AssetKind(item.values["kind"]),
                status=Status.received,
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
        asset = await self.repository.by_tag(normal)
        if asset is None:
            raise NotFound(f"No asset tagged {normal}.")
        return asset

    async def list_assets(self, params: ListParams, filters: AssetFilters) -> tuple[list[Asset], int]:
        return await self.repository.page(params, filters)

    async def all_assets(self, filters: AssetFilters, *, sort: str | None = None) -> list[Asset]:
        return await self.repository.matching(filters, sort=sort)

    async def in_donation(self, donation_id: int) -> list[Asset]:
        return await self.repository.of_donation(donation_id)

    async def tags_in_use(self, tags: Iterable[str]) -> set[str]:
        return await self.repository.tags_in_use(list(tags))

    async def wiped_since_intake(self, asset: Asset) -> bool:
        return await self.wipes.any_since_intake(asset)

    async def history(self, tag: str) -> list[AssetEvent]:
        asset = await self.get_asset(tag)
        return await self.events.history_of(asset.id)

    # --- changing assets -----------------------------------------------------------------------------------

    def _event(
        self,
        asset: Asset,
        kind: AssetEventKind,
        *,
        from_status: Status | None = None,
        to_status: Status | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AssetEvent:
        actor_id, label = actor_of(self.session)
        event = AssetEvent(
            asset_id=asset.id,
            occurred_at=datetime.now(UTC),
            kind=kind,
            actor_id=actor_id,
            actor_label=label,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=json_safe(details) if details else None,
            # A move to ready keeps when the asset came in, so that the pipeline report reads how long refurbishment
            # took from the move itself; an asset that arrives already ready has no such time.
            intake_at=asset.intake_at if to_status is Status.ready and from_status is not None else None,
        )
        self.session.add(event)
        return event

    def record_event(
        self, asset: Asset, kind: AssetEventKind, *, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> AssetEvent:
        """A step in the asset's history recorded elsewhere (a wipe, a SIM barred after a loss)."""
        return self._event(asset, kind, reason=reason, details=details)

    async def update_asset(self, tag: str, changes: dict[str, Any]) -> Asset:
        asset = await self.get_asset(tag)
        kind = AssetKind(asset.kind)
        current = {name: getattr(asset, name) for name in AssetFields.model_fields}
        merged = {**current, **changes}
        if ("activated_on" in changes or "plan_months" in changes) and "expires_on" not in changes:
            merged["expires_on"] = None
        derive_expiry(merged)
        errors = kind_rule_errors(kind, merged)
        if errors:
            raise Invalid.of(errors)
        clashes = [c for c in await self.held_in_stock([NewAsset({**merged, "kind": kind}, "")]) if c.tag != asset.tag]
        if clashes:
            raise Conflict(
                "Already in stock: " + "; ".join(f"{c.field} {c.message}" for c in clashes),
                errors=[FieldError(c.field, c.message) for c in clashes],
            )
        diff: dict[str, dict[str, Any]] = {}
        for name, value in merged.items():
            if name not in AssetFields.model_fields:
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
            from_status=change.before,
            to_status=change.after,
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

    async def change_many(self, tags: Sequence[str], to: Status, *, reason: str | None = None) -> list[Asset]:
        """Move a batch of assets to `to` together, or none of them: every asset is checked by the state machine
        first, and one that may not move (not found, a forbidden move, no wipe) is named with all the others."""
        if not tags:
            raise Invalid.field("tags", "choose at least one asset")
        normal: list[str] = []
        errors: list[FieldError] = []
        for i, tag in enumerate(tags):
            try:
                normal.append(str(parse_tag(tag)))
            except BadTag as exc:
                errors.append(FieldError(f"tags[{i}]", f"{tag}: {exc}"))
                normal.append("")
        found = await self.repository.by_tags([t for t in dict.fromkeys(normal) if t])
        wiped: dict[int, bool] = {}
        if to is Status.ready:
            by_id = {a.id: a for a in found.values() if lifecycle.needs_wipe(a)}
            wiped = {
                w.asset_id: True
                for w in await self.wipes.of_assets(list(by_id))
                if counts_since_intake(w, by_id[w.asset_id])
            }
        assets: list[Asset] = []
        for i, tag in enumerate(normal):
            if not tag:
                continue
            asset = found.get(tag)
            if asset is None:
                errors.append(FieldError(f"tags[{i}]", f"no asset tagged {tag}"))
                continue
            try:
                lifecycle.check(asset, to, wiped_since_intake=wiped.get(asset.id, False))
            except (Conflict, Invalid) as exc:
                errors.append(FieldError(f"tags[{i}]", exc.detail))
                continue
            if asset not in assets:
                assets.append(asset)
        if errors:
            raise Conflict(
                f"Nothing was moved: {len(errors)} of {len(tags)} cannot go to {to.value}. "
                + " ".join(e.message for e in errors),
                errors=errors,
            )
        for asset in assets:
            change = lifecycle.transition(asset, to, reason=reason, wiped_since_intake=wiped.get(asset.id, False))
            self._event(
                asset,
                AssetEventKind.transition,
                from_status=change.before,
                to_status=change.after,
                reason=reason,
            )
        await self.session.flush()
        return assets

    async def move(self, tag: str, centre_id: int, reason: str | None) -> Asset:
        asset = await self.get_asset(tag)
        await self.active_centre(centre_id, "centre_id")
        if asset.status in NOT_HERE | {Status.retired}:
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


class WipeService:
    """Wipe certificates: the evidence that lets a device that holds data be ready again."""

    def __init__(self, session: AsyncSession, assets: AssetService) -> None:
        self.session = session
        self.assets = assets
        self.repository = WipeRepository(session=session)

    async def wipes_of(self, asset: Asset) -> list[WipeCertificate]:
        return await self.repository.of_asset(asset.id)

    async def current_wipes(self, assets: Sequence[Asset]) -> dict[int, WipeCertificate]:
        """The latest wipe recorded since each asset last came in (none: not wiped since)."""
        by_id = {a.id: a for a in assets}
        found: dict[int, WipeCertificate] = {}
        for wipe in await self.repository.of_assets(list(by_id)):
            if counts_since_intake(wipe, by_id[wipe.asset_id]):
                found[wipe.asset_id] = wipe
        return found

    async def certificate_holders(self, references: Iterable[str]) -> dict[str, tuple[WipeCertificate, str]]:
        """Wipes already recorded under these certificate references (case ignored), with their asset's tag."""
        keys = sorted({r.lower() for r in references if r})
        return {wipe.certificate_key or "": (wipe, tag) for wipe, tag in await self.repository.with_references(keys)}

    async def record_wipe(self, tag: str, data: WipeIn) -> WipeCertificate:
        """Record a wipe done since the asset last came in. The same certificate sent again for the same device
        answers the wipe already recorded; a certificate recorded for another device is a 409."""
        asset = await self.assets.get_asset(tag)
        if asset.status in NOT_HERE:
            raise Conflict(f"{asset.tag} is {asset.status}: it is not here to be wiped.")
        errors = wipe_rule_errors(data, AssetKind(asset.kind), came_in=intake_day(asset))
        if errors:
            raise Invalid.of(errors)
        reference = data.certificate_reference
        if reference:
            held = (await self.certificate_holders([reference])).get(reference.lower())
            if held is not None:
                existing, holder = held
                if (
                    existing.asset_id == asset.id
                    and counts_since_intake(existing, asset)
                    and (existing.method, existing.performed_on, existing.performed_by)
                    == (data.method, data.performed_on, data.performed_by)
                ):
                    return existing
                raise _certificate_taken(reference, holder)
        try:
            (wipe,) = await self._insert([(asset, data)])
        except IntegrityError:
            # Another request recorded the same reference between the check above and this insert.
            raise _certificate_taken(reference or "", None) from None
        return wipe

    async def record_imported(self, wiped: Sequence[tuple[Asset, WipeIn]]) -> list[WipeCertificate]:
        """Wipes of assets just created by an import, checked with their rows (rules and references in bulk)."""
        if not wiped:
            return []
        try:
            return await self._insert(wiped)
        except IntegrityError:
            raise Conflict(
                "A wipe certificate in the file was recorded for another device while it was imported: "
                "one certificate covers one wipe of one device.",
                errors=[FieldError("wipe_certificate_reference", "already recorded")],
            ) from None

    async def _insert(self, wiped: Sequence[tuple[Asset, WipeIn]]) -> list[WipeCertificate]:
        actor_id, _ = actor_of(self.session)
        now = datetime.now(UTC)
        wipes = [
            WipeCertificate(
                asset_id=asset.id,
                method=data.method,
                performed_on=data.performed_on,
                performed_by=data.performed_by,
                certificate_reference=data.certificate_reference,
                notes=data.notes,
                recorded_at=now,
                recorded_by_id=actor_id,
            )
            for asset, data in wiped
        ]
        self.session.add_all(wipes)
        await self.session.flush()
        for (asset, _), wipe in zip(wiped, wipes, strict=True):
            self.assets.record_event(
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
        return wipes


class DonationService:
    def __init__(self, session: AsyncSession, donors: DonorService, assets: AssetService) -> None:
        self.session = session
        self.donors = donors
        self.assets = assets
        self.repository = DonationRepository(session=session)

    async def create_donation(self, data: DonationCreate) -> tuple[Donation, list[Asset]]:
        """The donation and all its assets in the caller's transaction: one bad item and nothing is kept."""
        await self.donors.get_donor_for(data.donor_id, "donor_id")
        await self.assets.active_centre(data.centre_id, "centre_id")
        if data.received_on > date.today():
            raise Invalid.field("received_on", "cannot be in the future")
        new = [
            NewAsset(item.model_dump(exclude_unset=False), f"items[{i}]", intake_on=data.received_on)
            for i, item in enumerate(data.items)
        ]
        self.assets.check_new_assets(new)
        await self.assets.check_duplicates(new)
        donation = await self.add_donation(data.donor_id, data.centre_id, data.received_on, data.notes)
        assets = await self.assets.create_assets(new, centre_id=data.centre_id, donation_id=donation.id)
        return donation, assets

    async def add_donation(self, donor_id: int, centre_id: int, received_on: date, notes: str) -> Donation:
        """The donation record alone: its assets are added by the caller (a donation request or an import)."""
        return await self.repository.add(
            Donation(donor_id=donor_id, centre_id=centre_id, received_on=received_on, notes=notes)
        )

    async def get_donation(self, donation_id: int) -> tuple[Donation, list[Asset]]:
        donation = await self.repository.find(donation_id)
        if donation is None:
            raise NotFound(f"No donation with id {donation_id}.")
        return donation, await self.assets.in_donation(donation_id)

    async def list_donations(
        self, params: ListParams, *, donor_id: int | None = None, centre_id: int | None = None
    ) -> tuple[list[Donation], int]:
        return await self.repository.page(params, donor_id=donor_id, centre_id=centre_id)


class Inventory:
    """The inventory's services on one session, for the routes and for work that spans them (the CSV import)."""

    def __init__(self, session: AsyncSession, tag_prefixes: dict[str, str]) -> None:
        self.session = session
        self.donors = DonorService(session)
        self.assets = AssetService(session, tag_prefixes)
        self.wipes = WipeService(session, self.assets)
        self.donations = DonationService(session, self.donors, self.assets)
