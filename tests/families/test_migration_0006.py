"""Upgrading a database written before the privacy fixes: older audit rows lose the values now redacted, and stored
Idempotency-Key answers are linked to their family so that erasure can find them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import advanced_alchemy.types as aa
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lending.core import migrations
from tests.core.test_migrations import scratch_url  # noqa: F401  (a database of its own)

AUDIT = sa.table(
    "audit_entry",
    sa.column("id", sa.BigInteger),
    sa.column("occurred_at", aa.DateTimeUTC),
    sa.column("created_at", aa.DateTimeUTC),
    sa.column("updated_at", aa.DateTimeUTC),
    sa.column("actor_label", sa.String),
    sa.column("action", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", aa.JsonB),
    sa.column("after", aa.JsonB),
)
KEYS = sa.table(
    "idempotency_key",
    sa.column("id", sa.BigInteger),
    sa.column("user_id", sa.BigInteger),
    sa.column("scope", sa.String),
    sa.column("key", sa.String),
    sa.column("request_hash", sa.String),
    sa.column("status_code", sa.Integer),
    sa.column("response", aa.JsonB),
    sa.column("created_at", aa.DateTimeUTC),
    sa.column("updated_at", aa.DateTimeUTC),
)


def run(url: str, work):
    async def go():
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.begin() as conn:
            result = await work(conn)
        await engine.dispose()
        return result

    return asyncio.run(go())


def test_upgrading_redacts_older_audit_rows_and_links_stored_answers(scratch_url):
    migrations.upgrade(scratch_url, "0005")
    now = datetime.now(UTC)
    stamp = {"occurred_at": now, "created_at": now, "updated_at": now, "actor_label": "v0.1"}

    async def write(conn):
        await conn.execute(
            sa.insert(AUDIT),
            [
                {
                    **stamp,
                    "action": "create",
                    "entity_type": "family",
                    "entity_id": "7",
                    "before": None,
                    "after": {"lead_name": "[redacted]", "name_key": "amina khan", "children": 3},
                },
                {
                    **stamp,
                    "action": "update",
                    "entity_type": "loan",
                    "entity_id": "5",
                    "before": {"notes": "", "gift_reason": None},
                    "after": {"notes": "Amina collects", "gift_reason": None},
                },
                {
                    **stamp,
                    "action": "update",
                    "entity_type": "loan_item",
                    "entity_id": "9",
                    "before": None,
                    "after": {"return_notes": "Amina's son dropped it", "outcome": "returned"},
                },
                {
                    **stamp,
                    "action": "create",
                    "entity_type": "centre",
                    "entity_id": "1",
                    "before": None,
                    "after": {"name": "Sparkbrook Hub", "notes": "kept as it was"},
                },
            ],
        )
        await conn.execute(
            sa.insert(KEYS),
            [
                {
                    "user_id": 1,
                    "scope": "loans.issue",
                    "key": "k1",
                    "request_hash": "h",
                    "status_code": 201,
                    "response": {"id": 5, "family_id": 7, "notes": "Amina collects"},
                    "created_at": now,
                    "updated_at": now,
                },
            ],
        )

    run(scratch_url, write)
    migrations.upgrade(scratch_url)

    async def read(conn):
        audit = {
            r.entity_type: (r.before, r.after)
            for r in (await conn.execute(sa.select(AUDIT.c.entity_type, AUDIT.c.before, AUDIT.c.after))).all()
        }
        keys = (await conn.execute(sa.text("SELECT family_id FROM idempotency_key"))).scalars().all()
        return audit, keys

    audit, keys = run(scratch_url, read)
    assert audit["family"][1] == {"lead_name": "[redacted]", "name_key": "[redacted]", "children": 3}
    assert audit["loan"] == ({"notes": "[redacted]", "gift_reason": None}, {"notes": "[redacted]", "gift_reason": None})
    assert audit["loan_item"][1] == {"return_notes": "[redacted]", "outcome": "returned"}
    assert audit["centre"][1] == {"name": "Sparkbrook Hub", "notes": "kept as it was"}
    assert keys == [7]
