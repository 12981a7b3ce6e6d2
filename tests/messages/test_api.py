"""GET /api/v1/messages: staff read the outbox with its status, filtered and paged; opt-outs through the families API;
erasure scrubs a family's messages and cancels what was not yet sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from lending.audit.models import AuditEntry
from lending.audit.recorder import set_actor
from lending.messages.models import Message
from tests.families.conftest import family_data
from tests.support import assert_problem

EMAIL = "rukhsana.outbox@example.org"
PHONE = "+447911200300"


async def family_with_messages(client, staff, sessions) -> int:
    answer = await client.post(
        "/api/v1/families", json=family_data("Rukhsana Outbox", "07911 200300", email=EMAIL), headers=staff.headers
    )
    assert answer.status_code == 201, answer.text
    family = answer.json()
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        for n, (channel, to, status) in enumerate([("email", EMAIL, "sent"), ("sms", PHONE, "queued")]):
            session.add(
                Message(
                    family_id=family["id"],
                    audience="family",
                    channel=channel,
                    kind="reminder",
                    steps=[{"loan_id": 1, "tag": "LAP-000001-X", "step": "due-7", "day": date.today().isoformat()}],
                    as_of=date.today(),
                    to_address=to,
                    language="en",
                    subject="Test Lending Network: items on loan to your family" if channel == "email" else "",
                    body=f"Laptop LAP-000001-X is due back. Message {n}.",
                    idempotency_key=f"reminder:{date.today().isoformat()}:family-{family['id']}:{channel}",
                    status=status,
                    attempts=1 if status == "sent" else 0,
                    sent_at=now if status == "sent" else None,
                    provider_id="TESTQUEUE" if status == "sent" else None,
                    next_attempt_at=None if status == "sent" else now,
                )
            )
    return int(family["id"])


async def test_staff_list_the_outbox_with_status_and_filters(client, staff, volunteer, sessions):
    family_id = await family_with_messages(client, staff, sessions)
    answer = await client.get("/api/v1/messages", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 2 and body["limit"] == 50 and body["offset"] == 0
    assert {(m["channel"], m["status"], m["to"]) for m in body["items"]} == {
        ("email", "sent", EMAIL),
        ("sms", "queued", PHONE),
    }
    only_sms = (await client.get(f"/api/v1/messages?family_id={family_id}&channel=sms", headers=staff.headers)).json()
    assert [m["status"] for m in only_sms["items"]] == ["queued"]
    sent = (await client.get("/api/v1/messages?status=sent,failed", headers=staff.headers)).json()
    assert [m["provider_id"] for m in sent["items"]] == ["TESTQUEUE"]
    paged = (await client.get("/api/v1/messages?limit=1&offset=1&sort=created_at", headers=staff.headers)).json()
    assert paged["total"] == 2 and len(paged["items"]) == 1
    assert_problem(await client.get("/api/v1/messages?status=lost", headers=staff.headers), 422, "status")
    assert_problem(await client.get("/api/v1/messages?sort=to_address", headers=staff.headers), 422, "sort")
    assert_problem(await client.get("/api/v1/messages", headers=volunteer.headers), 403)


async def test_a_family_opts_out_through_the_families_api_audited(client, staff, sessions):
    family = (await client.post("/api/v1/families", json=family_data(), headers=staff.headers)).json()
    assert family["sms_opt_out"] is False and family["email_opt_out"] is False
    changed = await client.patch(f"/api/v1/families/{family['id']}", json={"sms_opt_out": True}, headers=staff.headers)
    assert changed.status_code == 200 and changed.json()["sms_opt_out"] is True
    async with sessions() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "family", AuditEntry.action == "update")
            )
        ).all()
    assert [e.after for e in entries] == [{"sms_opt_out": True}]
    assert_problem(
        await client.patch(f"/api/v1/families/{family['id']}", json={"sms_opt_out": "yes"}, headers=staff.headers),
        422,
        "sms_opt_out",
    )


async def test_erasure_scrubs_the_familys_messages(client, admin, staff, sessions):
    family_id = await family_with_messages(client, staff, sessions)
    export = (await client.get(f"/api/v1/families/{family_id}/export", headers=admin.headers)).json()
    assert {m["to_address"] for m in export["messages"]} == {EMAIL, PHONE}
    erased = await client.post(f"/api/v1/families/{family_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    async with sessions() as session:
        messages = list((await session.scalars(select(Message).order_by(Message.id))).all())
        audit = list((await session.scalars(select(AuditEntry))).all())
    assert [(m.status, m.to_address, m.body) for m in messages] == [("sent", "", ""), ("cancelled", "", "")]
    for entry in audit:
        assert EMAIL not in str(entry.before) + str(entry.after)
        assert "7911200300" not in str(entry.before) + str(entry.after)
    after = (await client.get(f"/api/v1/families/{family_id}/export", headers=admin.headers)).json()
    assert {m["to_address"] for m in after["messages"]} == {""}
    listed = (await client.get(f"/api/v1/messages?family_id={family_id}", headers=staff.headers)).json()
    assert {(m["status"], m["to"], m["body"]) for m in listed["items"]} == {("sent", "", ""), ("cancelled", "", "")}
