"""Stocktakes: start a count at a centre, scan its shelf, finish to keep the outcome per asset.

While a count is open its results are worked out from the assets as they are recorded now (an unexpected asset
moved here during the count turns found); finishing writes one line per asset with its outcome, status and centre
at that moment, and the kept count is read from those lines ever after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.centres.models import Centre
from lending.core.errors import Conflict, Invalid, NotFound
from lending.core.pagination import ListParams
from lending.inventory.models import Asset, Status
from lending.inventory.repositories import AssetRepository
from lending.inventory.tags import BadTag, normalise_tag
from lending.stocktakes import rules
from lending.stocktakes.models import Outcome, Stocktake, StocktakeLine, StocktakeScan, StocktakeStatus
from lending.stocktakes.repositories import CountedRow, LineRepository, ScanRepository, StocktakeRepository


@dataclass(frozen=True)
class Counted:
    """One asset as a count saw it."""

    tag: str
    kind: str
    make: str | None
    model: str | None
    status: Status
    centre_id: int
    centre_name: str
    scanned_at: datetime | None

    @classmethod
    def of(cls, row: CountedRow) -> Counted:
        asset, status, centre_id, centre_name, scanned_at = row
        return cls(asset.tag, asset.kind, asset.make, asset.model, status, centre_id, centre_name, scanned_at)


@dataclass
class Results:
    found: list[Counted] = field(default_factory=list)
    missing: list[Counted] = field(default_factory=list)
    unexpected: list[Counted] = field(default_factory=list)
    wrong_status: list[Counted] = field(default_factory=list)

    def add(self, outcome: Outcome, item: Counted) -> None:
        getattr(self, outcome.value).append(item)


@dataclass
class Summary:
    """A count with the names a desk shows for it."""

    id: int
    centre_id: int
    centre_name: str
    status: StocktakeStatus
    started_at: datetime
    started_by_id: int
    started_by_name: str
    finished_at: datetime | None
    finished_by_id: int | None
    finished_by_name: str | None
    scanned: int


@dataclass
class Count(Summary):
    results: Results = field(default_factory=Results)

    @property
    def counts(self) -> dict[Outcome, int]:
        return {o: len(getattr(self.results, o.value)) for o in Outcome}


@dataclass(frozen=True)
class ScanResult:
    stocktake_id: int
    outcome: Outcome
    already_counted: bool
    item: Counted


class StocktakeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.stocktakes = StocktakeRepository(session=session)
        self.scans = ScanRepository(session=session)
        self.lines = LineRepository(session=session)
        self.assets = AssetRepository(session=session)

    # --- reading ---------------------------------------------------------------------------------------------

    async def get(self, stocktake_id: int, *, for_update: bool = False) -> Stocktake:
        stocktake = await self.stocktakes.find(stocktake_id, for_update=for_update)
        if stocktake is None:
            raise NotFound(f"No stocktake with id {stocktake_id}.")
        return stocktake

    async def summaries(self, stocktakes: Sequence[Stocktake]) -> list[Summary]:
        centres = await self.stocktakes.centre_names({s.centre_id for s in stocktakes})
        users = await self.stocktakes.user_names(
            {s.started_by_id for s in stocktakes} | {s.finished_by_id for s in stocktakes if s.finished_by_id}
        )
        scanned = await self.stocktakes.scan_counts([s.id for s in stocktakes])
        return [
            Summary(
                id=s.id,
                centre_id=s.centre_id,
                centre_name=centres.get(s.centre_id, ""),
                status=s.status,
                started_at=s.started_at,
                started_by_id=s.started_by_id,
                started_by_name=users.get(s.started_by_id, ""),
                finished_at=s.finished_at,
                finished_by_id=s.finished_by_id,
                finished_by_name=users.get(s.finished_by_id) if s.finished_by_id else None,
                scanned=scanned.get(s.id, 0),
            )
            for s in stocktakes
        ]

    async def list_stocktakes(
        self, params: ListParams, *, centre_id: int | None, statuses: Sequence[StocktakeStatus]
    ) -> tuple[list[Summary], int]:
        rows, total = await self.stocktakes.page(params, centre_id=centre_id, statuses=statuses)
        return await self.summaries(rows), total

    async def count(self, stocktake_id: int) -> Count:
        """The count with its results: worked out now while open, as kept once finished."""
        return await self._count(await self.get(stocktake_id))

    async def _count(self, stocktake: Stocktake) -> Count:
        (summary,) = await self.summaries([stocktake])
        count = Count(**vars(summary))
        if stocktake.status is StocktakeStatus.finished:
            for line, row in await self.lines.kept(stocktake.id):
                count.results.add(line.outcome, Counted.of(row))
        else:
            for row, outcome in await self._outcomes(stocktake):
                count.results.add(outcome, Counted.of(row))
        return count

    async def _outcomes(self, stocktake: Stocktake) -> list[tuple[CountedRow, Outcome]]:
        scanned = [(row, True) for row in await self.scans.scanned(stocktake.id)]
        unscanned = [
            (row, False)
            for row in await self.scans.unscanned_on_shelf(stocktake.id, stocktake.centre_id, rules.ON_SHELF)
        ]
        found: list[tuple[CountedRow, Outcome]] = []
        for row, was_scanned in scanned + unscanned:
            _asset, status, centre_id, _name, _at = row
            decided = rules.outcome(
                scanned=was_scanned, status=status, recorded_centre_id=centre_id, counted_centre_id=stocktake.centre_id
            )
            if decided is not None:
                found.append((row, decided))
        return found

    # --- counting --------------------------------------------------------------------------------------------

    async def start(self, centre_id: int, actor: Actor) -> Count:
        centre = await self.session.get(Centre, centre_id)
        if centre is None:
            raise Invalid.field("centre_id", f"no centre with id {centre_id}")
        if not centre.is_active:
            raise Invalid.field("centre_id", f"centre {centre.name} is not active")
        running = await self.stocktakes.open_at(centre_id)
        if running is not None:
            raise Conflict(
                f"A count of {centre.name} is already open (stocktake {running.id}): carry on with it or finish it.",
                existing_id=running.id,
            )
        stocktake = await self.stocktakes.add(
            Stocktake(
                centre_id=centre_id,
                status=StocktakeStatus.open,
                started_at=datetime.now(UTC),
                started_by_id=actor.id,
            )
        )
        return await self._count(stocktake)

    async def _open(self, stocktake_id: int) -> Stocktake:
        stocktake = await self.get(stocktake_id, for_update=True)
        if stocktake.status is not StocktakeStatus.open:
            raise Conflict(
                f"Stocktake {stocktake.id} was finished on {stocktake.finished_at:%Y-%m-%d %H:%M}; start a new count."
            )
        return stocktake

    async def _asset(self, tag: str) -> Asset:
        try:
            normal = normalise_tag(tag)
        except BadTag as exc:
            raise Invalid.field("tag", str(exc)) from None
        asset = await self.assets.by_tag(normal)
        if asset is None:
            raise Invalid.field("tag", f"no asset tagged {normal}")
        return asset

    async def scan(self, stocktake_id: int, tag: str, actor: Actor) -> ScanResult:
        stocktake = await self._open(stocktake_id)
        asset = await self._asset(tag)
        scan = await self.scans.of_asset(stocktake.id, asset.id)
        already = scan is not None
        if scan is None:
            scan = await self.scans.add(
                StocktakeScan(
                    stocktake_id=stocktake.id, asset_id=asset.id, scanned_at=datetime.now(UTC), scanned_by_id=actor.id
                )
            )
        decided = rules.outcome(
            scanned=True, status=asset.status, recorded_centre_id=asset.centre_id, counted_centre_id=stocktake.centre_id
        )
        assert decided is not None  # a scanned asset always has an outcome
        centre_name = (await self.stocktakes.centre_names([asset.centre_id])).get(asset.centre_id, "")
        item = Counted.of((asset, asset.status, asset.centre_id, centre_name, scan.scanned_at))
        return ScanResult(stocktake.id, decided, already, item)

    async def finish(self, stocktake_id: int, actor: Actor) -> Count:
        stocktake = await self._open(stocktake_id)
        outcomes = await self._outcomes(stocktake)
        self.session.add_all(
            StocktakeLine(
                stocktake_id=stocktake.id,
                asset_id=asset.id,
                outcome=outcome,
                status=status,
                centre_id=centre_id,
                scanned_at=scanned_at,
            )
            for (asset, status, centre_id, _name, scanned_at), outcome in outcomes
        )
        stocktake.status = StocktakeStatus.finished
        stocktake.finished_at = datetime.now(UTC)
        stocktake.finished_by_id = actor.id
        await self.session.flush()
        return await self._count(stocktake)
