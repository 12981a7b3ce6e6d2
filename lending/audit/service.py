from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.models import AuditEntry
from lending.core.pagination import ListParams, list_page


class AuditRepository(SQLAlchemyAsyncRepository[AuditEntry]):
    model_type = AuditEntry


SORTABLE = {"occurred_at": AuditEntry.occurred_at}


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = AuditRepository(session=session)

    async def list(
        self,
        params: ListParams,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        user_id: int | None = None,
        since: datetime | None = None,
    ) -> tuple[list[AuditEntry], int]:
        where: list[Any] = []
        if entity:
            where.append(AuditEntry.entity_type == entity)
        if entity_id:
            where.append(AuditEntry.entity_id == entity_id)
        if user_id is not None:
            where.append(AuditEntry.actor_id == user_id)
        if since is not None:
            where.append(AuditEntry.occurred_at >= since)
        return await list_page(self.repo, params, *where, sortable=SORTABLE, default_sort="occurred_at")
