from __future__ import annotations

from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from lending.centres.models import Centre
from lending.centres.schemas import CentreCreate, CentreUpdate
from lending.core.errors import Conflict, NotFound
from lending.core.pagination import ListParams, list_page


class CentreRepository(SQLAlchemyAsyncRepository[Centre]):
    model_type = Centre


SORTABLE = {"name": Centre.name, "postcode": Centre.postcode, "created_at": Centre.created_at}


class CentreService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = CentreRepository(session=session)

    async def get(self, centre_id: int) -> Centre:
        centre = await self.repo.get_one_or_none(id=centre_id)
        if centre is None:
            raise NotFound(f"No centre with id {centre_id}.")
        return centre

    async def list(
        self, params: ListParams, *, active: bool | None = None, q: str | None = None
    ) -> tuple[list[Centre], int]:
        where: list[Any] = []
        if active is not None:
            where.append(Centre.is_active.is_(active))
        if q:
            like = f"%{q.lower()}%"
            where.append(or_(func.lower(Centre.name).like(like), func.lower(Centre.postcode).like(like)))
        return await list_page(self.repo, params, *where, sortable=SORTABLE, default_sort="name")

    async def _ensure_name_free(self, name: str, *, except_id: int | None = None) -> None:
        existing = await self.repo.get_one_or_none(func.lower(Centre.name) == name.lower())
        if existing is not None and existing.id != except_id:
            raise Conflict(
                f"A centre named '{existing.name}' already exists (id {existing.id}).", existing_id=existing.id
            )

    async def create(self, data: CentreCreate) -> Centre:
        await self._ensure_name_free(data.name)
        return await self.repo.add(Centre(**data.model_dump()))

    async def update(self, centre_id: int, data: CentreUpdate) -> Centre:
        centre = await self.get(centre_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("name") is not None:
            await self._ensure_name_free(changes["name"], except_id=centre.id)
        for key, value in changes.items():
            if value is not None:
                setattr(centre, key, value)
        await self.session.flush()
        return centre
