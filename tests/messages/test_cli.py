"""`lending messages test`: a charity checks its settings by sending one message, in a real `lending` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.clock import child_environment
from tests.messages.conftest import EMAIL, PHONE

ROOT = Path(__file__).resolve().parents[2]


def lending(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    return subprocess.run(
        [sys.executable, "-m", "lending", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **child_environment(), "LENDING_ORG_NAME": "Test Lending Network", **env},
        timeout=120,
    )


def test_a_test_email_arrives_through_the_configured_server(mail_server):
    done = lending(
        "messages", "test", "--to", EMAIL, LENDING_SMTP_URL=mail_server.url(), LENDING_MAIL_FROM="loans@lending.example"
    )
    assert done.returncode == 0, done.stderr
    assert "Sent the test email to n***@example.org" in done.stdout
    [arrived] = mail_server.arrived
    assert arrived.rcpt_tos == [EMAIL]
    assert arrived.message["Subject"] == "Test Lending Network: a test message from Lending"
    assert "السلام علیکم · স্বাগতম" in arrived.message.get_content()
    assert EMAIL not in done.stdout + done.stderr


def test_a_test_text_reaches_notify_in_e164(fake_notify):
    done = lending("messages", "test", "--to", "07911 123456", **fake_notify.environment())
    assert done.returncode == 0, done.stderr
    [sent] = fake_notify.sent
    assert sent.phone_number == PHONE
    assert sent.body.startswith("Test Lending Network: a test text from Lending.")
    assert sent.reference and sent.reference.startswith("test-")
    assert f"Sent the test sms to 07*** ***456, reference {sent.reference}; the provider's id: {sent.id}" in done.stdout
    assert "7911123456" not in done.stdout + done.stderr


def test_without_settings_the_message_is_only_logged():
    done = lending("messages", "test", "--to", "07911 123456")
    assert done.returncode == 0, done.stderr
    assert "Nothing was sent: LENDING_SMS_PROVIDER is log" in done.stdout
    assert "would send sms to 07*** ***456" in done.stderr
    assert "7911123456" not in done.stdout + done.stderr


def test_a_refusal_is_reported_and_exits_1(mail_server):
    mail_server.refuse(EMAIL, "550 5.1.1 User unknown")
    done = lending(
        "messages",
        "test",
        "--channel",
        "email",
        "--to",
        EMAIL,
        LENDING_SMTP_URL=mail_server.url(),
        LENDING_MAIL_FROM="loans@lending.example",
    )
    assert done.returncode == 1
    assert "Not sent, refused for good: the mail server refused the recipient: 550" in done.stderr
    assert mail_server.arrived == []


def test_an_address_that_is_not_one_is_refused_before_anything_is_sent(fake_notify):
    done = lending("messages", "test", "--channel", "sms", "--to", "call me", **fake_notify.environment())
    assert done.returncode == 2
    assert "--to" in done.stderr and "not a phone number" in done.stderr
    assert fake_notify.sent == [] and fake_notify.refused == []
