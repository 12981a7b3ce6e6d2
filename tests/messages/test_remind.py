"""`lending remind` on a known world: exactly the expected messages reach a real SMTP server and the fake Notify, one
per family and channel naming every item due, and a second run the same day sends nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from lending import i18n
from lending.messages.models import Message
from tests.clock import child_environment
from tests.messages.outbox_data import DIGEST_TO, MAIL_FROM, make_world


def remind(database_url: str, mail_server, fake_notify, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        **child_environment(),
        "LENDING_DATABASE_URL": database_url,
        "LENDING_SMTP_URL": mail_server.url(),
        "LENDING_MAIL_FROM": MAIL_FROM,
        **fake_notify.environment(),
        "LENDING_DIGEST_TO": DIGEST_TO,
        "LENDING_ORG_NAME": "Test Lending Network",
        "LENDING_ORG_PHONE": "0121 000 0000",
        # No quiet hours: this test is about who gets what, whatever the hour it runs at.
        "LENDING_QUIET_HOURS_START": "00:00",
        "LENDING_QUIET_HOURS_END": "00:00",
    }
    return subprocess.run(
        [sys.executable, "-m", "lending", "remind", *args], capture_output=True, text=True, env=env, timeout=120
    )


def text_of(arrived) -> str:
    message = arrived.message
    part = message.get_body(("plain",)) if message.is_multipart() else message
    return str(part.get_content())


async def test_one_message_per_family_and_channel_naming_every_item_then_nothing_the_same_day(
    database_url,
    client,
    staff,
    volunteer,
    sessions,
    mail_server,
    fake_notify,
):
    world = await make_world(client, staff, volunteer, sessions)
    day = world.day
    first = remind(database_url, mail_server, fake_notify, "--date", day.isoformat())
    assert first.returncode == 0, first.stderr
    assert f"Reminders for {day.isoformat()}: 4 families, 5 message(s) queued (3 emails, 2 texts)" in first.stdout
    assert "1 staff digest(s)" in first.stdout
    assert "Sent 6," in first.stdout

    by_recipient = {a.rcpt_tos[0]: a for a in mail_server.arrived}
    assert sorted(by_recipient) == sorted([world.email("Amina"), world.email("Bilal"), world.email("Chen"), DIGEST_TO])
    assert [a.rcpt_tos for a in mail_server.arrived].count([world.email("Amina")]) == 1
    texts = {sms.phone_number: sms for sms in fake_notify.sent}
    assert sorted(texts) == sorted([world.phone("Amina"), world.phone("Dina")])  # Chen opted out of texts

    # Amina's one email names all four lines: laptop and SIM due in 7 days, the SIM's plan ending, the tablet late.
    amina = text_of(by_recipient[world.email("Amina")])
    laptop, sim = world.tags["Amina"]
    (tablet,) = world.tags["Amina-late"]
    due = i18n.format_date(day + timedelta(days=7), "en")
    assert f"Laptop {laptop} is due back on {due}." in amina
    assert f"SIM {sim} is due back on {due}." in amina
    assert f"The data SIM {sim} stops working on {i18n.format_date(day + timedelta(days=14), 'en')}." in amina
    late = i18n.format_date(day - timedelta(days=14), "en")
    assert f"Tablet {tablet} was due back on {late}. Please return it or call us to agree a new date." in amina
    assert "Sparkbrook Hub" in amina and "Amina" not in amina  # no family name in what is stored and sent
    assert by_recipient[world.email("Amina")].message["Subject"] == "Test Lending Network: items on loan to your family"
    sms = texts[world.phone("Amina")].body
    assert laptop in sms and sim in sms and tablet in sms and sms.startswith("Test Lending Network:")
    # Bilal reads Polish: whatever the Polish templates' state, his email names his laptop.
    assert world.tags["Bilal"][0] in text_of(by_recipient[world.email("Bilal")])
    assert world.tags["Chen"][0] in text_of(by_recipient[world.email("Chen")])
    assert world.tags["Dina"][0] in texts[world.phone("Dina")].body
    # Ewa (due in 3 days: no step) and Femi (brought back) get nothing.
    every_text = " ".join([*(text_of(a) for a in mail_server.arrived), *(s.body for s in fake_notify.sent)])
    assert world.tags["Ewa"][0] not in every_text and world.tags["Femi"][0] not in every_text

    digest = text_of(by_recipient[DIGEST_TO])
    assert "Overdue loans: 2" in digest
    assert world.loans["Chen"]["reference"] in digest and world.loans["Amina-late"]["reference"] in digest
    for name in ("Amina", "Bilal", "Chen", "Dina"):
        assert name not in digest  # references, never a family

    async with sessions() as session:
        stored = list((await session.scalars(select(Message))).all())
    assert len(stored) == 6 and {m.status for m in stored} == {"sent"}
    assert all(m.provider_id for m in stored if m.channel == "sms")
    # The reference each provider was given is the message's idempotency key.
    assert {s.reference for s in fake_notify.sent} == {m.idempotency_key for m in stored if m.channel == "sms"}

    again = remind(database_url, mail_server, fake_notify, "--date", day.isoformat())
    assert again.returncode == 0, again.stderr
    assert f"Reminders for {day.isoformat()} already ran (by cli:remind" in again.stdout
    assert len(mail_server.arrived) == 4 and len(fake_notify.sent) == 2
    # Nothing of the families' contact in what the command printed.
    for output in (first.stdout + first.stderr, again.stdout + again.stderr):
        assert "example.org" not in output and "7911" not in output


async def test_a_day_to_come_is_refused(database_url, mail_server, fake_notify, client):
    from datetime import date

    ahead = remind(database_url, mail_server, fake_notify, "--date", (date.today() + timedelta(days=2)).isoformat())
    assert ahead.returncode == 2 and "--date" in ahead.stderr
