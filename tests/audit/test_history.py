"""History tables are the record of a status change: the audit log does not repeat them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from lending.accounts.models import Role
from lending.audit.models import AuditEntry
from lending.core.db import Base
from tests.families.conftest import family_data


async def row_counts(sessions) -> dict[str, int]:
    async with sessions() as session:
        return {
            table.name: int((await session.execute(text(f'SELECT count(*) FROM "{table.name}"'))).scalar_one())
            for table in Base.metadata.sorted_tables
        }


async def written_by(sessions, request) -> tuple[dict[str, int], list[AuditEntry]]:
    """Rows each table gained while `request` ran, and the audit entries among them."""
    before = await row_counts(sessions)
    async with sessions() as session:
        last_audit = (await session.execute(text("SELECT coalesce(max(id), 0) FROM audit_entry"))).scalar_one()
    response = await request()
    assert response.status_code in (200, 201), response.text
    after = await row_counts(sessions)
    async with sessions() as session:
        entries = list(
            (await session.scalars(select(AuditEntry).where(AuditEntry.id > last_audit).order_by(AuditEntry.id))).all()
        )
    return {t: after[t] - before[t] for t in after if after[t] != before[t]}, entries


async def test_an_asset_status_change_writes_one_history_row_and_one_audit_row(client, staff, sessions):
    centre = (
        await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "B1 1AA"}, headers=staff.headers)
    ).json()
    donor = (
        await client.post("/api/v1/donors", json={"name": "Acme", "kind": "business"}, headers=staff.headers)
    ).json()
    donation = await client.post(
        "/api/v1/donations",
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": datetime.now(UTC).date().isoformat(),
            "items": [{"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "SN-1"}],
        },
        headers=staff.headers,
    )
    assert donation.status_code == 201, donation.text
    asset = donation.json()["assets"][0]

    gained, entries = await written_by(
        sessions,
        lambda: client.post(
            f"/api/v1/assets/{asset['tag']}/transitions",
            json={"to": "in_refurbishment", "reason": "on the bench"},
            headers=staff.headers,
        ),
    )

    assert gained == {"asset_event": 1, "audit_entry": 1}
    [entry] = entries
    assert (entry.action, entry.entity_type, entry.entity_id) == ("update", "asset", str(asset["id"]))
    assert entry.before["status"] == "received" and entry.after["status"] == "in_refurbishment"
    assert entry.actor_id == staff.id and entry.actor_label == staff.email and entry.request_id
    history = (await client.get(f"/api/v1/assets/{asset['tag']}/history", headers=staff.headers)).json()
    last = history[-1] if isinstance(history, list) else history["items"][-1]
    assert (last["kind"], last["from_status"], last["to_status"], last["reason"]) == (
        "transition",
        "received",
        "in_refurbishment",
        "on the bench",
    )


async def test_a_nomination_decision_writes_one_history_row_and_one_audit_row(client, staff, make_user, sessions):
    school = (
        await client.post("/api/v1/schools", json={"name": "Anderton Park", "urn": "103245"}, headers=staff.headers)
    ).json()
    teacher = await make_user(Role.school, school_id=school["id"])
    nominated = await client.post(
        "/api/v1/nominations",
        json={
            "laptops": 1,
            "family": family_data(consent_given_on=datetime.now(UTC).date().isoformat()),
        },
        headers=teacher.headers,
    )
    assert nominated.status_code == 201, nominated.text
    nomination = nominated.json()

    gained, entries = await written_by(
        sessions,
        lambda: client.post(
            f"/api/v1/nominations/{nomination['id']}/decision",
            json={"decision": "approve", "note": "called the school"},
            headers=staff.headers,
        ),
    )

    assert gained == {"nomination_event": 1, "audit_entry": 1}
    [entry] = entries
    assert (entry.action, entry.entity_type, entry.entity_id) == ("update", "nomination", str(nomination["id"]))
    assert entry.before["status"] == "submitted" and entry.after["status"] == "approved"
    assert entry.actor_id == staff.id and entry.actor_label == staff.email and entry.request_id
    async with sessions() as session:
        history = (
            await session.execute(
                text("SELECT action, from_status, to_status, actor_id FROM nomination_event ORDER BY id")
            )
        ).all()
    assert [tuple(row) for row in history][-1] == ("approve", "submitted", "approved", staff.id)


async def test_a_change_to_a_history_row_is_still_audited(client, staff, sessions):
    """Erasure blanks a timeline note: that is a change to data, so it leaves an audit row."""
    from lending.audit.recorder import set_actor
    from lending.families.models import Family, Nomination, NominationEvent
    from lending.schools.models import School

    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test")
        school = School(name="S", urn="100001")
        family = Family(lead_name="A", children=1, school_age_children=1)
        session.add_all([school, family])
        await session.flush()
        nomination = Nomination(
            family_id=family.id, school_id=school.id, laptops=1, status="submitted", submitted_at=now
        )
        session.add(nomination)
        await session.flush()
        event = NominationEvent(
            nomination_id=nomination.id,
            occurred_at=now,
            actor_label="test",
            action="submitted",
            to_status="submitted",
            note="a note",
        )
        session.add(event)
        await session.flush()
        event_id = event.id
    async with sessions() as session:
        created = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "nomination_event"))).all()
    assert created == []

    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="eraser")
        event = await session.get(NominationEvent, event_id)
        assert event is not None
        event.note = ""
    async with sessions() as session:
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "nomination_event"))).all()
    assert (entry.action, entry.entity_id, entry.actor_label) == ("update", str(event_id), "eraser")
    assert entry.after == {"note": "[redacted]"}
