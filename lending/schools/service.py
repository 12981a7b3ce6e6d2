from __future__ import annotations

from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from lending.core.errors import Conflict, NotFound
from lending.core.pagination import ListParams, list_page
from lending.schools.models import School
from lending.schools.schemas import SchoolCreate


class SchoolRepository(SQLAlchemyAsyncRepository[School]):
    model_type = School


SORTABLE = {"name": School.name, "urn": School.urn, "created_at": School.created_at}


class SchoolService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = SchoolRepository(session=session)

    async def get(self, school_id: int) -> School:
        school = await self.session.get(School, school_id)
        if school is None:
            raise NotFound(f"No school with id {school_id}.")
        return school

    async def by_urn(self, urn: str) -> School | None:
        return await self.repo.get_one_or_none(urn=urn.strip())

    async def list(
        self, params: ListParams, *, q: str | None = None, active: bool | None = None, only_id: int | None = None
    ) -> tuple[list[School], int]:
        where: list[Any] = []
        if only_id is not None:
            where.append(School.id == only_id)
        if active is not None:
            where.append(School.is_active.is_(active))
        if q:
            where.append(or_(func.lower(School.name).like(f"%{q.lower()}%"), School.urn == q.strip()))
        return await list_page(self.repo, params, *where, sortable=SORTABLE, default_sort="name")

    async def _urn_free(self, urn: str, except_id: int | None = None) -> None:
        existing = await self.by_urn(urn)
        if existing is not None and existing.id != except_id:
            raise Conflict(f"URN {urn} is already {existing.name} (id {existing.id}).", existing_id=existing.id)

    async def create(self, data: SchoolCreate) -> School:
        await self._urn_free(data.urn)
        return await self.repo.add(School(**data.model_dump()))

    async def update(self, school_id: int, changes: dict[str, Any]) -> School:
        school = await self.get(school_id)
        if changes.get("urn"):
            await self._urn_free(changes["urn"], except_id=school.id)
        for key, value in changes.items():
            if value is not None or key in {"postcode", "phone", "contact_name", "contact_email"}:
                setattr(school, key, value)
        await self.session.flush()
        return school
