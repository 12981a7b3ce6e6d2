"""The one audit mechanism.

Every flush of a Lending session writes an audit entry for each created, updated or deleted entity, in the
same transaction as the change, so no service can forget to audit and no audit row outlives a rollback.
Changes made without the ORM (bulk statements) go through `record()`, which writes the same kind of row.

A history row (`__audit_history__`: an asset's or a nomination's timeline entry) already says who did what and
when, so its creation is not audited again: one status change writes its history row and one audit row (the
status's before and after), not a second audit row repeating the history row.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from lending.audit.models import AuditEntry
from lending.core.db import Base

REDACTED = "[redacted]"
_NOT_DIFFED = frozenset({"created_at", "updated_at"})


def set_actor(
    session: AsyncSession | Session, *, user_id: int | None, label: str, request_id: str | None = None
) -> None:
    """Name who is acting for the rest of this session's life."""
    info = session.info
    info["audit_actor_id"] = user_id
    info["audit_actor_label"] = label
    info["audit_request_id"] = request_id


def actor_of(session: AsyncSession | Session) -> tuple[int | None, str]:
    """Who is acting in this session (as named by `set_actor`)."""
    info = session.info
    return info.get("audit_actor_id"), info.get("audit_actor_label") or "system"


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def _shown(obj: Base, key: str, value: Any) -> Any:
    return REDACTED if key in type(obj).__audit_redact__ and value is not None else json_safe(value)


def _columns(obj: Base) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in _NOT_DIFFED]


def _snapshot(obj: Base) -> dict[str, Any]:
    state = inspect(obj)
    return {
        key: _shown(obj, key, state.attrs[key].loaded_value)
        for key in _columns(obj)
        if state.attrs[key].loaded_value is not NO_VALUE
    }


def _diff(obj: Base) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[key] = _shown(obj, key, old)
        after[key] = _shown(obj, key, new)
    return before, after


def _entity_id(obj: Base) -> str:
    # The identity key is only set after the flush completes; the mapper reads the new id already.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key)


def _row(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    info = session.info
    now = datetime.now(UTC)
    return {
        "occurred_at": now,
        "created_at": now,
        "updated_at": now,
        "actor_id": info.get("audit_actor_id"),
        "actor_label": info.get("audit_actor_label") or "system",
        "request_id": info.get("audit_request_id"),
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _audited(obj: object) -> bool:
    return isinstance(obj, Base) and type(obj).__audit__


def _creation_audited(obj: object) -> bool:
    return isinstance(obj, Base) and type(obj).__audit__ and not type(obj).__audit_history__


# Every ORM session, whoever made it: an audited model cannot be changed through the ORM unaudited.
@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _flush_context: Any) -> None:
    rows = []
    for obj in session.new:
        if _creation_audited(obj):
            rows.append(_row(session, "create", obj.__tablename__, _entity_id(obj), None, _snapshot(obj)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _diff(obj)
            if after or before:
                rows.append(_row(session, "update", obj.__tablename__, _entity_id(obj), before, after))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(_row(session, "delete", obj.__tablename__, _entity_id(obj), _snapshot(obj), None))
    if rows:
        # One statement per flush, whatever its size; a single row skips the driver's executemany path.
        session.connection().execute(insert(AuditEntry), rows if len(rows) > 1 else rows[0])


async def record(
    session: AsyncSession,
    *,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit a change the ORM does not see (a bulk UPDATE, an erasure): same table, same transaction."""
    row = _row(session.sync_session, action, entity_type, str(entity_id), json_safe(before), json_safe(after))
    await session.execute(insert(AuditEntry), [row])


def _redacted_fields(entity_type: str) -> frozenset[str]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == entity_type:
            return mapper.class_.__audit_redact__
    return frozenset()


def _scrubbed(value: Any, needles: list[str], redact: frozenset[str]) -> Any:
    """`value` with every redacted field, and every string holding one of `needles`, replaced by REDACTED."""
    if isinstance(value, dict):
        return {
            k: REDACTED if k in redact and v is not None and v != REDACTED else _scrubbed(v, needles, redact)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed(v, needles, redact) for v in value]
    if isinstance(value, str) and value != REDACTED and any(n in value.casefold() for n in needles):
        return REDACTED
    return value


async def scrub_audit(session: AsyncSession, about: dict[str, list[int]], values: set[str]) -> int:
    """Remove personal values from the audit rows about some entities (erasure): fields the entity redacts today
    (older rows may predate a redaction) and any text containing one of `values`. Returns the rows changed.

    The audit rows stay, so the trail of who did what and when survives; only what it said about the person goes.
    """
    needles = sorted({v.strip().casefold() for v in values if v and len(v.strip()) >= 3}, key=len, reverse=True)
    changed = 0
    for entity_type, ids in about.items():
        redact = _redacted_fields(entity_type)
        for start in range(0, len(ids), 500):
            chunk = [str(i) for i in ids[start : start + 500]]
            rows = (
                await session.execute(
                    select(AuditEntry.id, AuditEntry.before, AuditEntry.after).where(
                        AuditEntry.entity_type == entity_type, AuditEntry.entity_id.in_(chunk)
                    )
                )
            ).all()
            for row_id, before, after in rows:
                new_before, new_after = _scrubbed(before, needles, redact), _scrubbed(after, needles, redact)
                if (new_before, new_after) != (before, after):
                    await session.execute(
                        update(AuditEntry).where(AuditEntry.id == row_id).values(before=new_before, after=new_after)
                    )
                    changed += 1
    return changed
