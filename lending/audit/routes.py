from __future__ import annotations

from datetime import datetime

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import allow
from lending.audit.schemas import AuditEntryOut
from lending.audit.service import AuditService
from lending.core.inputs import utc_param
from lending.core.pagination import ListParams, page
from lending.core.schemas import MAX_ID


async def provide_audit_service(db_session: AsyncSession) -> AuditService:
    return AuditService(db_session)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    guards = [allow("audit.read")]
    dependencies = {"audit": Provide(provide_audit_service)}

    @get("/", summary="The audit trail: who changed what, when (oldest first unless sort=-occurred_at)")
    async def list_audit(
        self,
        audit: AuditService,
        list_params: ListParams,
        entity: str | None = Parameter(default=None, description="Entity type, e.g. centre, user_account."),
        entity_id: str | None = None,
        user_id: int | None = Parameter(default=None, ge=1, le=MAX_ID, description="Who made the change."),
        since: datetime | None = Parameter(
            default=None, description="Changes at or after this time (ISO 8601; no zone: UTC)."
        ),
    ) -> OffsetPagination[AuditEntryOut]:
        rows, total = await audit.list(
            list_params, entity=entity, entity_id=entity_id, user_id=user_id, since=utc_param(since, "since")
        )
        return page([AuditEntryOut.model_validate(r) for r in rows], total, list_params)
