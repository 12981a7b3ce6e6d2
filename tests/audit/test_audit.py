from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from lending.audit.models import AuditEntry
from lending.audit.recorder import set_actor
from lending.centres.schemas import CentreCreate
from lending.centres.service import CentreService
from lending.inventory.models import Asset
from tests.loans.conftest import centre, family, issue, stock  # noqa: F401  (shared fixtures)
from tests.support import assert_problem, count_rows

# Every table a loan issue writes to, history and audit included.
ISSUE_WRITES = ("loan", "loan_item", "asset", "asset_event", "audit_entry")


async def audit_of(client, admin, **params):
    response = await client.get("/api/v1/audit", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_change_records_who_when_what_and_before_after(client, admin, staff):
    started = datetime.now(UTC) - timedelta(seconds=1)
    centre = (
        await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "B1 1AA"}, headers=staff.headers)
    ).json()
    await client.patch(f"/api/v1/centres/{centre['id']}", json={"phone": "0121 222 2222"}, headers=staff.headers)
    trail = await audit_of(client, admin, entity="centre", entity_id=str(centre["id"]))
    assert trail["total"] == 2
    created, updated = trail["items"]
    assert created["action"] == "create" and updated["action"] == "update"
    for entry in (created, updated):
        assert entry["actor_id"] == staff.id and entry["actor_label"] == staff.email
        assert datetime.fromisoformat(entry["occurred_at"]) >= started
        assert entry["request_id"]
    assert created["after"]["name"] == "Hub" and created["before"] is None
    assert updated["before"] == {"phone": ""} and updated["after"] == {"phone": "0121 222 2222"}


async def test_filters_by_user_and_time(client, admin, staff):
    await client.post("/api/v1/centres", json={"name": "A", "postcode": "B1 1AA"}, headers=staff.headers)
    await client.post("/api/v1/centres", json={"name": "B", "postcode": "B1 1AA"}, headers=admin.headers)
    by_staff = await audit_of(client, admin, user_id=staff.id)
    assert by_staff["total"] == 1 and by_staff["items"][0]["after"]["name"] == "A"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await audit_of(client, admin, since=future))["total"] == 0
    newest_first = await audit_of(client, admin, entity="centre", sort="-occurred_at")
    assert [e["after"]["name"] for e in newest_first["items"]] == ["B", "A"]


async def test_secrets_never_reach_the_audit_log(client, admin):
    created = (
        await client.post(
            "/api/v1/users",
            json={"email": "x@example.org", "name": "X", "role": "staff", "password": "a-secret-password"},
            headers=admin.headers,
        )
    ).json()
    await client.post(
        f"/api/v1/users/{created['id']}/password", json={"password": "another-secret"}, headers=admin.headers
    )
    trail = await audit_of(client, admin, entity="user_account", entity_id=str(created["id"]))
    assert trail["total"] == 2
    assert trail["items"][0]["after"]["password_hash"] == "[redacted]"
    assert trail["items"][1]["after"]["password_hash"] == "[redacted]"
    assert "argon2" not in str(trail)


async def test_a_refused_request_leaves_no_audit_entry(client, admin, staff, sessions):
    before = await count_rows(sessions, "audit_entry")
    assert_problem(
        await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "nope"}, headers=staff.headers),
        422,
        "postcode",
    )
    assert await count_rows(sessions, "audit_entry") == before


async def test_a_request_that_fails_after_writing_keeps_nothing_audit_rows_included(client, issue, stock, sessions):
    """The loan row, its audit row and the asset's move to on_loan are flushed before the database refuses the loan
    item (one active loan per asset, a partial unique index): the 409 must roll every one of them back."""
    (tag,) = await stock("laptop")
    first = await issue(tag)
    assert first.status_code == 201, first.text
    # Changed by hand behind the service's back: the asset looks ready although its loan is still active.
    async with sessions() as session, session.begin():
        await session.execute(update(Asset).where(Asset.tag == tag).values(status="ready"))
    before = {table: await count_rows(sessions, table) for table in ISSUE_WRITES}
    async with sessions() as session:
        audit_before = (await session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()))).first()

    refused = await issue(tag)

    body = assert_problem(refused, 409)
    # Only the database's unique index answers this, so the loan had been written when it did.
    assert "already on an active loan" in body["detail"], body
    assert {table: await count_rows(sessions, table) for table in ISSUE_WRITES} == before
    async with sessions() as session:
        assert (await session.scalars(select(AuditEntry).where(AuditEntry.id > audit_before))).all() == []
        assert (await session.scalars(select(Asset.status).where(Asset.tag == tag))).one() == "ready"


async def test_audit_rows_share_the_transaction_of_the_change(sessions):
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            set_actor(session, user_id=None, label="test")
            await CentreService(session).create(CentreCreate(name="Doomed", postcode="B1 1AA"))
            raise RuntimeError("something later in the same request failed")
    assert await count_rows(sessions, "centre") == 0
    assert await count_rows(sessions, "audit_entry") == 0

    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test")
        await CentreService(session).create(CentreCreate(name="Kept", postcode="B1 1AA"))
    async with sessions() as session:
        entries = (await session.scalars(select(AuditEntry))).all()
    assert [(e.action, e.entity_type, e.actor_label) for e in entries] == [("create", "centre", "test")]
