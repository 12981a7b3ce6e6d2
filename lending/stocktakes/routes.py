from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.core.pagination import IdQuery, ListParams, comma_list, page
from lending.stocktakes.deps import provide_stocktakes
from lending.stocktakes.models import StocktakeStatus
from lending.stocktakes.schemas import ScanIn, ScanOut, StocktakeDetail, StocktakeOut, StocktakeStart
from lending.stocktakes.service import StocktakeService


class StocktakeController(Controller):
    path = "/api/v1/stocktakes"
    tags = ["stocktakes"]
    dependencies = {"stocktakes": Provide(provide_stocktakes)}

    @post(
        "/",
        guards=[allow("stocktakes.count")],
        summary="Start a count of a centre's shelf",
        description="One count per centre may be open at a time: another is a 409 with `existing_id`.",
    )
    async def start(self, actor: Actor, data: StocktakeStart, stocktakes: StocktakeService) -> StocktakeDetail:
        return StocktakeDetail.model_validate(await stocktakes.start(data.centre_id, actor))

    @get("/", guards=[allow("stocktakes.read")], summary="List counts, newest first")
    async def list_stocktakes(
        self,
        stocktakes: StocktakeService,
        list_params: ListParams,
        centre_id: IdQuery = None,
        status: str | None = Parameter(default=None, description="Comma-separated: open, finished."),
    ) -> OffsetPagination[StocktakeOut]:
        items, total = await stocktakes.list_stocktakes(
            list_params, centre_id=centre_id, statuses=comma_list(status, StocktakeStatus, "status")
        )
        return page([StocktakeOut.model_validate(s) for s in items], total, list_params)

    @get(
        "/{stocktake_id:int}",
        guards=[allow("stocktakes.read")],
        summary="A count with its results by outcome",
        description="While open, worked out from the assets as recorded now; once finished, as kept then.",
    )
    async def get_stocktake(self, stocktake_id: int, stocktakes: StocktakeService) -> StocktakeDetail:
        return StocktakeDetail.model_validate(await stocktakes.count(stocktake_id))

    @post(
        "/{stocktake_id:int}/scans",
        status_code=200,
        guards=[allow("stocktakes.count")],
        summary="Scan an asset into an open count: its outcome",
        description="Scanning an asset twice is answered `already_counted` and changes nothing. An unscannable or "
        "unknown tag is a 422 naming `tag`; a finished count is a 409. An `unexpected` asset (recorded at another "
        "centre) can be moved here with `POST /api/v1/assets/{tag}/move`.",
    )
    async def scan(self, actor: Actor, stocktake_id: int, data: ScanIn, stocktakes: StocktakeService) -> ScanOut:
        return ScanOut.model_validate(await stocktakes.scan(stocktake_id, data.tag, actor))

    @post(
        "/{stocktake_id:int}/finish",
        status_code=200,
        guards=[allow("stocktakes.count")],
        summary="Finish a count and keep its results",
        description="Keeps each asset's outcome, status and centre as they are now: the kept count does not change "
        "when assets move later.",
    )
    async def finish(self, actor: Actor, stocktake_id: int, stocktakes: StocktakeService) -> StocktakeDetail:
        return StocktakeDetail.model_validate(await stocktakes.finish(stocktake_id, actor))
