"""The outbox in process: quiet hours, a crash between commit and send, a sender that died mid-send, retries with
back-off then failure, two runs of the same day racing, the scheduler of several workers, an extension's notice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lending.config import Settings
from lending.core.db import make_engine, session_maker
from lending.i18n import LONDON
from lending.messages.models import Message
from lending.messages.outbox import Sender, backoff, lease
from lending.messages.scheduler import Scheduler, run_day
from tests.messages.outbox_data import channel_settings, make_world


@pytest.fixture
def outbox_settings(database_url, mail_server, fake_notify):
    def make(**extra) -> Settings:
        values = {
            "database_url": database_url,
            "org_name": "Test Lending Network",
            "org_phone": "0121 000 0000",
            **channel_settings(mail_server, fake_notify),
            **extra,
        }
        return Settings(**values)

    return make


async def stored(sessions) -> list[Message]:
    async with sessions() as session:
        return list((await session.scalars(select(Message).order_by(Message.id))).all())


async def test_quiet_hours_hold_texts_and_let_emails_go(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    # Quiet hours from an hour ago to an hour from now, on London's clock, whatever the time the test runs at.
    now = datetime.now(UTC)
    start = (now - timedelta(hours=1)).astimezone(LONDON).strftime("%H:%M")
    end_local = (now + timedelta(hours=1)).astimezone(LONDON).replace(second=0, microsecond=0)
    settings = outbox_settings(quiet_hours_start=start, quiet_hours_end=end_local.strftime("%H:%M"))
    outcome, drained = await run_day(sessions, settings, world.day, claimed_by="test")
    assert outcome.claimed and drained is not None
    assert len(mail_server.arrived) == 4  # three families and the digest
    assert fake_notify.sent == []
    texts = [m for m in await stored(sessions) if m.channel == "sms"]
    assert {m.status for m in texts} == {"queued"} and {m.attempts for m in texts} == {0}
    assert {m.next_attempt_at for m in texts} == {end_local.astimezone(UTC)}  # held until the quiet hours end
    # Still quiet: nothing more goes.
    assert (await Sender(sessions, settings).drain(now + timedelta(minutes=30)))["sent"] == 0
    assert fake_notify.sent == []
    # The quiet hours over, the texts go, and the emails are not sent again.
    after = await Sender(sessions, settings).drain(end_local.astimezone(UTC) + timedelta(minutes=1))
    assert after["sent"] == 2
    assert sorted(s.phone_number for s in fake_notify.sent) == sorted([world.phone("Amina"), world.phone("Dina")])
    assert len(mail_server.arrived) == 4


async def test_a_crash_between_commit_and_send_loses_nothing_and_sends_nothing_twice(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings()
    # The run commits its queue, then the process dies before sending anything.
    outcome, drained = await run_day(sessions, settings, world.day, claimed_by="test", send=False)
    assert outcome.claimed and drained is None
    assert mail_server.arrived == [] and fake_notify.sent == []
    assert {m.status for m in await stored(sessions)} == {"queued"}
    # The next sender (the scheduler's next tick, or `lending messages send`) sends each once.
    first = await Sender(sessions, settings).drain()
    assert first["sent"] == 6 and first.waiting == 0
    again = await Sender(sessions, settings).drain()
    assert sum(again.outcomes.values()) == 0
    assert len(mail_server.arrived) == 4 and len(fake_notify.sent) == 2


async def test_a_sender_that_died_mid_send_is_relieved_when_its_lease_runs_out(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings()
    await run_day(sessions, settings, world.day, claimed_by="test", send=False)
    now = datetime.now(UTC)
    # A sender claims every message, then dies before sending any.
    claimed = await Sender(sessions, settings).claim(now, limit=100)
    assert len(claimed) == 6
    assert {m.status for m in await stored(sessions)} == {"sending"}
    # Another sender leaves them alone while the lease holds…
    held = await Sender(sessions, settings).drain(now + timedelta(minutes=1))
    assert sum(held.outcomes.values()) == 0 and mail_server.arrived == []
    # …and sends each once when it has run out.
    late = await Sender(sessions, settings).drain(now + lease(settings) + timedelta(seconds=1))
    assert late["sent"] == 6
    assert len(mail_server.arrived) == 4 and len(fake_notify.sent) == 2
    assert {m.attempts for m in await stored(sessions)} == {2}


async def test_temporary_failures_back_off_then_fail_and_a_refusal_fails_at_once(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings(message_max_attempts=3)
    await run_day(sessions, settings, world.day, claimed_by="test", send=False)
    fake_notify.fail_next(500, times=6)
    texts = lambda rows: [m for m in rows if m.channel == "sms"]  # noqa: E731
    moment = datetime.now(UTC)
    for attempt in (1, 2):
        before = datetime.now(UTC)
        drained = await Sender(sessions, settings).drain(moment)
        after = datetime.now(UTC)
        assert drained["retrying"] == 2
        for message in texts(await stored(sessions)):
            assert message.status == "queued" and message.attempts == attempt
            assert before + backoff(attempt) <= message.next_attempt_at <= after + backoff(attempt)
            assert message.last_error and "7911" not in message.last_error
        # Not before its back-off is over…
        assert sum((await Sender(sessions, settings).drain(moment)).outcomes.values()) == 0
        moment = max(m.next_attempt_at for m in texts(await stored(sessions))) + timedelta(seconds=1)
    last = await Sender(sessions, settings).drain(moment)
    assert last["failed"] == 2
    assert {(m.status, m.attempts) for m in texts(await stored(sessions))} == {("failed", 3)}
    assert fake_notify.sent == []
    # The emails went the first time.
    assert len(mail_server.arrived) == 4


async def test_a_number_the_provider_refuses_fails_at_once(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings()
    await run_day(sessions, settings, world.day, claimed_by="test", send=False)
    fake_notify.fail_next(400, times=2)
    drained = await Sender(sessions, settings).drain()
    assert drained["failed"] == 2 and drained["sent"] == 4
    for message in await stored(sessions):
        if message.channel == "sms":
            assert (message.status, message.attempts, message.next_attempt_at) == ("failed", 1, None)


async def test_two_runs_of_the_same_day_racing_queue_once(
    database_url, client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings()
    # Two workers, each with its own engine, as two processes would be.
    engines = [make_engine(settings), make_engine(settings)]
    try:
        results = await asyncio.gather(
            *(
                run_day(session_maker(engine), settings, world.day, claimed_by=f"worker {n}", send=False)
                for n, engine in enumerate(engines)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    outcomes = [outcome for outcome, _ in results]
    assert sorted(o.claimed for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if not o.claimed)
    winner = next(o for o in outcomes if o.claimed)
    assert loser.claimed_by == winner.claimed_by
    assert len(await stored(sessions)) == 6
    await Sender(sessions, settings).drain()
    assert len(mail_server.arrived) == 4 and len(fake_notify.sent) == 2


async def test_the_scheduler_of_several_workers_runs_the_day_once(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    settings = outbox_settings(reminders_at="09:00")
    workers = [Scheduler(sessions, settings), Scheduler(sessions, settings)]
    noon = datetime.combine(world.day, datetime.min.time().replace(hour=12), tzinfo=LONDON)
    early = noon.replace(hour=8)
    assert [await w.tick(early) for w in workers] == [None, None]  # not yet 09:00: only the outbox is drained
    assert await stored(sessions) == []
    outcomes = [await w.tick(noon) for w in workers]
    assert [o.claimed for o in outcomes if o is not None] == [True, False]
    assert len(mail_server.arrived) == 4 and len(fake_notify.sent) == 2  # the tick sent what it queued
    # A worker that saw the day run does not ask again that day.
    assert [await w.tick(noon + timedelta(hours=1)) for w in workers] == [None, None]


async def test_an_extension_queues_the_familys_notice_with_it(
    client, staff, volunteer, sessions, mail_server, fake_notify, outbox_settings
):
    world = await make_world(client, staff, volunteer, sessions)
    loan = world.loans["Amina"]
    new_due = date.today() + timedelta(days=60)
    answer = await client.post(
        f"/api/v1/loans/{loan['id']}/extension",
        json={"due_on": new_due.isoformat(), "reason": "exams"},
        headers=volunteer.headers,
    )
    assert answer.status_code == 200, answer.text
    queued = await stored(sessions)
    assert {(m.kind, m.channel, m.status) for m in queued} == {
        ("extension", "email", "queued"),
        ("extension", "sms", "queued"),
    }
    # A refused extension queues nothing.
    refused = await client.post(
        f"/api/v1/loans/{loan['id']}/extension",
        json={"due_on": date.today().isoformat(), "reason": "x"},
        headers=volunteer.headers,
    )
    assert refused.status_code == 422
    assert len(await stored(sessions)) == 2
    await Sender(sessions, outbox_settings()).drain()
    (email,) = mail_server.arrived
    body = email.message.get_content()
    laptop, sim = world.tags["Amina"]
    from lending import i18n

    assert f"Laptop {laptop} is now due back on {i18n.format_date(new_due, 'en')}." in body
    assert f"SIM {sim} is now due back on" in body
    assert "exams" not in body  # the reason is the charity's note, not the family's message
    (sms,) = fake_notify.sent
    assert laptop in sms.body and sms.phone_number == world.phone("Amina")
