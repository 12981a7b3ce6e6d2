"""The inventory's queries, one named method each: the services decide, these only read and write rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import exists, func, or_, select, tuple_

from lending.core.pagination import ListParams, list_page, order_by
from lending.inventory.models import Asset, AssetEvent, AssetKind, Donation, Donor, Status, WipeCertificate
from lending.inventory.rules import intake_day, search_clauses

# Keeps each IN (...) list well under SQLite's and asyncpg's parameter limits.
CHUNK = 500

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


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class DonorRepository(SQLAlchemyAsyncRepository[Donor]):
    model_type = Donor

    async def find(self, donor_id: int) -> Donor | None:
        return await self.session.get(Donor, donor_id)

    async def page(self, params: ListParams, *, name_contains: str | None) -> tuple[list[Donor], int]:
        where = [func.lower(Donor.name).like(f"%{name_contains.lower()}%")] if name_contains else []
        return await list_page(self, params, *where, sortable=DONOR_SORTABLE, default_sort="name")


class DonationRepository(SQLAlchemyAsyncRepository[Donation]):
    model_type = Donation

    async def find(self, donation_id: int) -> Donation | None:
        return await self.session.get(Donation, donation_id)

    async def page(
        self, params: ListParams, *, donor_id: int | None, centre_id: int | None
    ) -> tuple[list[Donation], int]:
        where: list[Any] = []
        if donor_id is not None:
            where.append(Donation.donor_id == donor_id)
        if centre_id is not None:
            where.append(Donation.centre_id == centre_id)
        return await list_page(self, params, *where, sortable=DONATION_SORTABLE, default_sort="-received_on")


@dataclass
class AssetFilters:
    kinds: Sequence[AssetKind] = ()
    statuses: Sequence[Status] = ()
    centre_id: int | None = None
    donation_id: int | None = None
    q: str | None = None
    sim_expiring_within_days: int | None = None
    tags: Sequence[str] = field(default_factory=tuple)

    def clauses(self) -> list[Any]:
        where: list[Any] = []
        if self.kinds:
            where.append(Asset.kind.in_(list(self.kinds)))
        if self.statuses:
            where.append(Asset.status.in_(list(self.statuses)))
        if self.centre_id is not None:
            where.append(Asset.centre_id == self.centre_id)
        if self.donation_id is not None:
            where.append(Asset.donation_id == self.donation_id)
        if self.tags:
            where.append(Asset.tag.in_(list(self.tags)))
        if self.q:
            where.append(or_(*search_clauses(self.q)))
        if self.sim_expiring_within_days is not None:
            today = date.today()
            where += [
                Asset.kind == AssetKind.sim,
                Asset.expires_on.is_not(None),
                Asset.expires_on >= today,
                Asset.expires_on <= today + timedelta(days=self.sim_expiring_within_days),
            ]
        return where


@dataclass(frozen=True)
class UniqueKeys:
    """Values that identify one device in stock: serial per make (both lower-cased), ICCID, IMEI."""

    serials: Sequence[tuple[str, str]] = ()
    iccids: Sequence[str] = ()
    imeis: Sequence[str] = ()


class AssetRepository(SQLAlchemyAsyncRepository[Asset]):
    model_type = Asset

    async def by_tag(self, tag: str) -> Asset | None:
        return await self.get_one_or_none(tag=tag)

    async def page(self, params: ListParams, filters: AssetFilters) -> tuple[list[Asset], int]:
        return await list_page(self, params, *filters.clauses(), sortable=ASSET_SORTABLE, default_sort="tag")

    async def matching(self, filters: AssetFilters, *, sort: str | None = None) -> list[Asset]:
        stmt = select(Asset).where(*filters.clauses())
        stmt = stmt.order_by(*order_by(sort, ASSET_SORTABLE, "tag"), Asset.id)
        return list((await self.session.scalars(stmt)).all())

    async def of_donation(self, donation_id: int) -> list[Asset]:
        stmt = select(Asset).where(Asset.donation_id == donation_id).order_by(Asset.id)
        return list((await self.session.scalars(stmt)).all())

    async def holding_any(self, keys: UniqueKeys) -> list[Asset]:
        """Assets in stock that already hold any of these serials (per make), ICCIDs or IMEIs."""
        found: dict[int, Asset] = {}
        for column, values in (
            (tuple_(Asset.make_key, Asset.serial_key), list(keys.serials)),
            (Asset.iccid, list(keys.iccids)),
            (Asset.imei, list(keys.imeis)),
        ):
            for part in _chunks(values):
                for asset in await self.session.scalars(select(Asset).where(column.in_(part))):
                    found[asset.id] = asset
        return list(found.values())

    async def by_tags(self, tags: Sequence[str]) -> dict[str, Asset]:
        """The assets with these tags, by tag (a tag not held is simply absent)."""
        found: dict[str, Asset] = {}
        for part in _chunks(tags):
            found.update((a.tag, a) for a in await self.session.scalars(select(Asset).where(Asset.tag.in_(part))))
        return found

    async def tags_in_use(self, tags: Sequence[str]) -> set[str]:
        used: set[str] = set()
        for part in _chunks(tags):
            used.update((await self.session.scalars(select(Asset.tag).where(Asset.tag.in_(part)))).all())
        return used


class WipeRepository(SQLAlchemyAsyncRepository[WipeCertificate]):
    model_type = WipeCertificate

    async def of_asset(self, asset_id: int) -> list[WipeCertificate]:
        stmt = select(WipeCertificate).where(WipeCertificate.asset_id == asset_id).order_by(WipeCertificate.id)
        return list((await self.session.scalars(stmt)).all())

    async def of_assets(self, asset_ids: Sequence[int]) -> list[WipeCertificate]:
        """Every wipe of these assets, oldest first per asset."""
        wipes: list[WipeCertificate] = []
        for part in _chunks(asset_ids):
            stmt = select(WipeCertificate).where(WipeCertificate.asset_id.in_(part)).order_by(WipeCertificate.id)
            wipes += (await self.session.scalars(stmt)).all()
        return wipes

    async def any_since_intake(self, asset: Asset) -> bool:
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

    async def with_references(self, keys: Sequence[str]) -> list[tuple[WipeCertificate, str]]:
        """Wipes recorded under these certificate keys (lower-cased references), with their asset's tag."""
        held: list[tuple[WipeCertificate, str]] = []
        for part in _chunks(keys):
            rows = await self.session.execute(
                select(WipeCertificate, Asset.tag)
                .join(Asset, Asset.id == WipeCertificate.asset_id)
                .where(WipeCertificate.certificate_key.in_(part))
            )
            held += [(wipe, tag) for wipe, tag in rows.tuples()]
        return held


class AssetEventRepository(SQLAlchemyAsyncRepository[AssetEvent]):
    model_type = AssetEvent

    async def history_of(self, asset_id: int) -> list[AssetEvent]:
        stmt = select(AssetEvent).where(AssetEvent.asset_id == asset_id).order_by(AssetEvent.occurred_at, AssetEvent.id)
        return list((await self.session.scalars(stmt)).all())
