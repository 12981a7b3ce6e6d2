from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.auth import requires
from lending.accounts.models import STAFF_OR_ADMIN
from lending.centres.schemas import CentreCreate, CentreOut, CentreUpdate
from lending.centres.service import CentreService
from lending.core.pagination import ListParams, page


async def provide_centre_service(db_session: AsyncSession) -> CentreService:
    return CentreService(db_session)


class CentreController(Controller):
    path = "/api/v1/centres"
    tags = ["centres"]
    dependencies = {"centres": Provide(provide_centre_service)}

    @get("/", summary="List centres")
    async def list_centres(
        self,
        centres: CentreService,
        list_params: ListParams,
        active: bool | None = None,
        q: str | None = Parameter(default=None, max_length=200),
    ) -> OffsetPagination[CentreOut]:
        items, total = await centres.list(list_params, active=active, q=q)
        return page([CentreOut.model_validate(c) for c in items], total, list_params)

    @get("/{centre_id:int}", summary="Get a centre")
    async def get_centre(self, centre_id: int, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.get(centre_id))

    @post("/", guards=[requires(*STAFF_OR_ADMIN)], summary="Create a centre")
    async def create_centre(self, data: CentreCreate, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.create(data))

    @patch("/{centre_id:int}", guards=[requires(*STAFF_OR_ADMIN)], summary="Update a centre")
    async def update_centre(self, centre_id: int, data: CentreUpdate, centres: CentreService) -> CentreOut:
        return CentreOut.model_validate(await centres.update(centre_id, data))
