from __future__ import annotations

from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.auth import requires
from lending.accounts.models import STAFF_OR_ADMIN, Role, User
from lending.core.errors import NotFound
from lending.core.pagination import ListParams, page
from lending.schools.schemas import SchoolCreate, SchoolOut, SchoolUpdate
from lending.schools.service import SchoolService


async def provide_school_service(db_session: AsyncSession) -> SchoolService:
    return SchoolService(db_session)


class SchoolController(Controller):
    path = "/api/v1/schools"
    tags = ["families"]
    dependencies = {"schools": Provide(provide_school_service)}

    @get("/", summary="List schools (a school user sees only its own)")
    async def list_schools(
        self,
        request: Request[User, Any, Any],
        schools: SchoolService,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=200),
        active: bool | None = None,
    ) -> OffsetPagination[SchoolOut]:
        own = request.user.school_id if request.user.role == Role.school.value else None
        if request.user.role == Role.school.value and own is None:
            return page([], 0, list_params)
        items, total = await schools.list(list_params, q=q, active=active, only_id=own)
        return page([SchoolOut.model_validate(s) for s in items], total, list_params)

    @get("/{school_id:int}", summary="Get a school")
    async def get_school(self, request: Request[User, Any, Any], school_id: int, schools: SchoolService) -> SchoolOut:
        if request.user.role == Role.school.value and request.user.school_id != school_id:
            raise NotFound(f"No school with id {school_id}.")
        return SchoolOut.model_validate(await schools.get(school_id))

    @post("/", guards=[requires(*STAFF_OR_ADMIN)], summary="Create a school")
    async def create_school(self, data: SchoolCreate, schools: SchoolService) -> SchoolOut:
        return SchoolOut.model_validate(await schools.create(data))

    @patch("/{school_id:int}", guards=[requires(*STAFF_OR_ADMIN)], summary="Update a school")
    async def update_school(self, school_id: int, data: SchoolUpdate, schools: SchoolService) -> SchoolOut:
        return SchoolOut.model_validate(await schools.update(school_id, data.model_dump(exclude_unset=True)))
