from __future__ import annotations

from datetime import datetime
from typing import Any

from lending.core.schemas import OutSchema


class AuditEntryOut(OutSchema):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
