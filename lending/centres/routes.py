from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import allow
from lending.centres.deps import provide_centre_service
from lending.centres.schemas import CentreCreate, CentreOut, CentreUpdate
from lending.centres.service import CentreService
from lending.core.pagination import ListParams, page


class CentreController(Controller):
    path = "/api/v1/centres"
    tags = ["centres"]
    dependencies = {"centres": Provide(provide_centre_service)}

    @get("/", guards=[allow("centres.read")], summary="List centres")
    async def list_centres(
        self,
        centres: CentreService,
        list_params: ListParams,
        active: bool | None = None,
        q: str | None = Parameter(default=None, max_length=200),
    ) -> OffsetPagination[CentreOut]:
        items, total = await centres.list(list_params, active=active, q=q)
        return page([CentreOut.model_validate(c) for c in items], total, list_params)

    @get("/{centre_id:int}", guards=[allow("centres.read")], summary="Get a centre")
    async def get_centre(self, centre_id: int, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.get(centre_id))

    @post("/", guards=[allow("centres.manage")], summary="Create a centre")
    async def create_centre(self, data: CentreCreate, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.create(data))

    @patch("/{centre_id:int}", guards=[allow("centres.manage")], summary="Update a centre")
    async def update_centre(self, centre_id: int, data: CentreUpdate, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.update(centre_id, data))
