from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.core.pagination import ListParams, page
from lending.schools.deps import provide_school_service
from lending.schools.schemas import SchoolCreate, SchoolOut, SchoolUpdate
from lending.schools.service import SchoolService


class SchoolController(Controller):
    path = "/api/v1/schools"
    tags = ["families"]
    dependencies = {"schools": Provide(provide_school_service)}

    @get("/", guards=[allow("schools.read")], summary="List schools (a school user sees only its own)")
    async def list_schools(
        self,
        actor: Actor,
        schools: SchoolService,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=200),
        active: bool | None = None,
    ) -> OffsetPagination[SchoolOut]:
        items, total = await schools.list(list_params, actor, q=q, active=active)
        return page([SchoolOut.model_validate(s) for s in items], total, list_params)

    @get("/{school_id:int}", guards=[allow("schools.read")], summary="Get a school")
    async def get_school(self, actor: Actor, school_id: int, schools: SchoolService) -> SchoolOut:
        return SchoolOut.model_validate(await schools.get(school_id, actor))

    @post("/", guards=[allow("schools.manage")], summary="Create a school")
    async def create_school(self, data: SchoolCreate, schools: SchoolService) -> SchoolOut:
        return SchoolOut.model_validate(await schools.create(data))

    @patch("/{school_id:int}", guards=[allow("schools.manage")], summary="Update a school")
    async def update_school(
        self, actor: Actor, school_id: int, data: SchoolUpdate, schools: SchoolService
    ) -> SchoolOut:
        return SchoolOut.model_validate(await schools.update(school_id, actor, data.model_dump(exclude_unset=True)))
