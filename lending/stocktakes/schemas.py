from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lending.core.schemas import Id, OutSchema, Schema
from lending.inventory.models import AssetKind, Status
from lending.stocktakes.models import Outcome, StocktakeStatus


class StocktakeStart(Schema):
    centre_id: Id


class ScanIn(Schema):
    tag: str = Field(min_length=1, max_length=40, description="The asset tag as scanned or typed (`LAP-000123-K`).")


class CountedItem(OutSchema):
    """One asset as the count saw it: for a finished count, its status and centre when the count was kept."""

    tag: str
    kind: AssetKind
    make: str | None
    model: str | None
    status: Status
    centre_id: int = Field(description="The centre the asset is recorded at.")
    centre_name: str
    scanned_at: datetime | None


class StocktakeOut(OutSchema):
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
    scanned: int = Field(description="Assets scanned so far (each once).")


class StocktakeResults(OutSchema):
    found: list[CountedItem]
    missing: list[CountedItem]
    unexpected: list[CountedItem]
    wrong_status: list[CountedItem]


class StocktakeDetail(StocktakeOut):
    counts: dict[Outcome, int]
    results: StocktakeResults


class ScanOut(OutSchema):
    stocktake_id: int
    outcome: Outcome
    already_counted: bool = Field(description="The asset was scanned in this count before; nothing was added.")
    item: CountedItem
