"""The stocktakes' queries, one named method each: the service decides, these only read and write rows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from lending.accounts.models import User
from lending.centres.models import Centre
from lending.core.pagination import ListParams, list_page
from lending.inventory.models import Asset, Status
from lending.stocktakes.models import Stocktake, StocktakeLine, StocktakeScan, StocktakeStatus

SORTABLE = {"started_at": Stocktake.started_at, "finished_at": Stocktake.finished_at}

# An asset as a count shows it: (asset, status, recorded centre id, its name, scanned at).
CountedRow = tuple[Asset, Status, int, str, datetime | None]


class StocktakeRepository(SQLAlchemyAsyncRepository[Stocktake]):
    model_type = Stocktake

    async def find(self, stocktake_id: int, *, for_update: bool = False) -> Stocktake | None:
        stmt = select(Stocktake).where(Stocktake.id == stocktake_id)
        if for_update:
            # Scans and the finish of one count take turns: none lands in a count already kept.
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def open_at(self, centre_id: int) -> Stocktake | None:
        stmt = select(Stocktake).where(Stocktake.centre_id == centre_id, Stocktake.status == StocktakeStatus.open)
        return (await self.session.scalars(stmt)).one_or_none()

    async def page(
        self, params: ListParams, *, centre_id: int | None, statuses: Sequence[StocktakeStatus]
    ) -> tuple[list[Stocktake], int]:
        where: list[Any] = []
        if centre_id is not None:
            where.append(Stocktake.centre_id == centre_id)
        if statuses:
            where.append(Stocktake.status.in_(list(statuses)))
        return await list_page(self, params, *where, sortable=SORTABLE, default_sort="-started_at")

    async def scan_counts(self, stocktake_ids: Collection[int]) -> dict[int, int]:
        if not stocktake_ids:
            return {}
        rows = await self.session.execute(
            select(StocktakeScan.stocktake_id, func.count())
            .where(StocktakeScan.stocktake_id.in_(list(stocktake_ids)))
            .group_by(StocktakeScan.stocktake_id)
        )
        return {stocktake_id: count for stocktake_id, count in rows.tuples()}

    async def centre_names(self, centre_ids: Collection[int]) -> dict[int, str]:
        if not centre_ids:
            return {}
        rows = await self.session.execute(select(Centre.id, Centre.name).where(Centre.id.in_(list(centre_ids))))
        return dict(rows.tuples().all())

    async def user_names(self, user_ids: Collection[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        rows = await self.session.execute(select(User.id, User.name).where(User.id.in_(list(user_ids))))
        return dict(rows.tuples().all())


class ScanRepository(SQLAlchemyAsyncRepository[StocktakeScan]):
    model_type = StocktakeScan

    async def of_asset(self, stocktake_id: int, asset_id: int) -> StocktakeScan | None:
        stmt = select(StocktakeScan).where(
            StocktakeScan.stocktake_id == stocktake_id, StocktakeScan.asset_id == asset_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def scanned(self, stocktake_id: int) -> list[CountedRow]:
        """Every asset scanned in the count, as it is recorded now."""
        rows = await self.session.execute(
            select(Asset, Centre.name, StocktakeScan.scanned_at)
            .join(StocktakeScan, StocktakeScan.asset_id == Asset.id)
            .join(Centre, Centre.id == Asset.centre_id)
            .where(StocktakeScan.stocktake_id == stocktake_id)
            .order_by(Asset.tag)
        )
        return [(asset, asset.status, asset.centre_id, name, at) for asset, name, at in rows.tuples()]

    async def unscanned_on_shelf(
        self, stocktake_id: int, centre_id: int, shelf: Collection[Status]
    ) -> list[CountedRow]:
        """Assets recorded at the centre with a status that belongs on its shelf, not scanned in the count."""
        scanned = select(StocktakeScan.asset_id).where(StocktakeScan.stocktake_id == stocktake_id)
        rows = await self.session.execute(
            select(Asset, Centre.name)
            .join(Centre, Centre.id == Asset.centre_id)
            .where(Asset.centre_id == centre_id, Asset.status.in_(list(shelf)), Asset.id.not_in(scanned))
            .order_by(Asset.tag)
        )
        return [(asset, asset.status, asset.centre_id, name, None) for asset, name in rows.tuples()]


class LineRepository(SQLAlchemyAsyncRepository[StocktakeLine]):
    model_type = StocktakeLine

    async def kept(self, stocktake_id: int) -> list[tuple[StocktakeLine, CountedRow]]:
        """A finished count's lines, each with its asset and the status and centre kept with it."""
        recorded = aliased(Centre)
        rows = await self.session.execute(
            select(StocktakeLine, Asset, recorded.name)
            .join(Asset, Asset.id == StocktakeLine.asset_id)
            .join(recorded, recorded.id == StocktakeLine.centre_id)
            .where(StocktakeLine.stocktake_id == stocktake_id)
            .order_by(Asset.tag)
        )
        return [
            (line, (asset, line.status, line.centre_id, centre_name, line.scanned_at))
            for line, asset, centre_name in rows.tuples()
        ]
