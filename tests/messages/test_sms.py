"""Texts through the real notifications-python-client against a local fake of GOV.UK Notify's API, and log-only."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from lending.config import Settings
from lending.messages.channels import (
    LogChannel,
    NotifySmsChannel,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    UnusableChannel,
    channels_from,
)
from tests.messages.conftest import PHONE

URDU = "لینڈنگ: لیپ ٹاپ LAP-0042 کی واپسی کی تاریخ ۱۴ مارچ ہے۔ سوالات: 0121 000 0000"


def text(to: str = PHONE, reference: str = "reminder-7-2-0", body: str = URDU) -> Outgoing:
    return Outgoing(channel="sms", to=to, subject="", body=body, reference=reference)


def notify_channel(fake, **changes: object):
    return channels_from(Settings(sms_provider="notify", **{**fake.settings(), **changes}))["sms"]


def shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


async def test_a_text_reaches_notify_with_the_body_the_reference_and_the_sender(fake_notify):
    sms = notify_channel(fake_notify)
    assert isinstance(sms, NotifySmsChannel)
    provider_id = await sms.send(text())
    [sent] = fake_notify.sent
    assert sent.phone_number == PHONE
    assert sent.template_id == fake_notify.template_id
    assert sent.personalisation == {"body": URDU}
    assert sent.reference == "reminder-7-2-0"
    assert sent.sms_sender_id == fake_notify.sender_id
    assert provider_id == sent.id


async def test_the_sender_id_is_optional(fake_notify):
    await notify_channel(fake_notify, notify_sms_sender_id=None).send(text())
    [sent] = fake_notify.sent
    assert sent.sms_sender_id is None


async def test_a_refused_number_is_permanent_and_not_repeated(fake_notify):
    landline = "+441214960000"
    with pytest.raises(PermanentFailure) as caught:
        await notify_channel(fake_notify).send(text(to=landline))
    assert "phone_number Not a UK mobile number" in str(caught.value)
    assert landline not in shown(caught.value)
    assert fake_notify.sent == []


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (400, "refused the phone number"),
        (403, "LENDING_NOTIFY_API_KEY"),
        (429, "rate limit"),
        (500, "answered 500"),
    ],
)
async def test_notify_errors_map_to_permanent_or_temporary(fake_notify, status, said):
    fake_notify.fail_next(status)
    expected = PermanentFailure if status == 400 else TemporaryFailure
    with pytest.raises(expected, match=said) as caught:
        await notify_channel(fake_notify).send(text())
    assert PHONE not in shown(caught.value)
    assert fake_notify.sent == []
    assert [answered for answered, _ in fake_notify.refused] == [status]
    # The error was the provider's and passes: the next try goes through.
    await notify_channel(fake_notify).send(text())
    assert len(fake_notify.sent) == 1


async def test_a_key_for_another_service_is_refused_by_notify_and_temporary(fake_notify):
    other = "lending_test-3d3b0d67-1a3e-4a43-9c2b-5d0c5f0f6a11-8c2f8f4e-7f86-4a4f-a1b0-5a8b9b1c0d2e"
    with pytest.raises(TemporaryFailure, match="service not found"):
        await notify_channel(fake_notify, notify_api_key=other).send(text())
    assert fake_notify.refused == [(403, "Invalid token: service not found")]


async def test_a_wrong_secret_fails_notify_s_signature_check(fake_notify):
    forged = f"lending_test-{fake_notify.service_id}-8c2f8f4e-7f86-4a4f-a1b0-5a8b9b1c0d2e"
    with pytest.raises(TemporaryFailure, match="LENDING_NOTIFY_API_KEY"):
        await notify_channel(fake_notify, notify_api_key=forged).send(text())
    [(status, said)] = fake_notify.refused
    assert status == 403 and "signature" in said


async def test_a_template_notify_does_not_know_is_temporary_while_the_charity_fixes_it(fake_notify):
    with pytest.raises(TemporaryFailure, match="Template not found"):
        await notify_channel(fake_notify, notify_sms_template_id="0b6b3b44-4e4a-4f3a-9d8e-2a8f7e1c9d00").send(text())


async def test_notify_out_of_reach_is_temporary():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        sms = NotifySmsChannel(
            "lending_test-3d3b0d67-1a3e-4a43-9c2b-5d0c5f0f6a11-8c2f8f4e-7f86-4a4f-a1b0-5a8b9b1c0d2e",
            "0b6b3b44-4e4a-4f3a-9d8e-2a8f7e1c9d00",
            base_url=f"http://127.0.0.1:{port}",
        )
        with pytest.raises(TemporaryFailure, match="could not be reached"):
            await sms.send(text())


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"notify_api_key": None}, "LENDING_NOTIFY_API_KEY is not set"),
        ({"notify_api_key": "not-a-key"}, "LENDING_NOTIFY_API_KEY is not a GOV.UK Notify API key"),
        ({"notify_sms_template_id": None}, "LENDING_NOTIFY_SMS_TEMPLATE_ID is not set"),
    ],
)
async def test_incomplete_notify_settings_keep_every_text_waiting(fake_notify, changes, problem):
    sms = notify_channel(fake_notify, **changes)
    assert isinstance(sms, UnusableChannel)
    with pytest.raises(TemporaryFailure, match=problem):
        await sms.send(text())
    assert fake_notify.sent == [] and fake_notify.refused == []


async def test_log_only_is_the_default_and_sends_nothing(caplog):
    sms = channels_from(Settings())["sms"]
    assert isinstance(sms, LogChannel) and sms.delivers is False
    with caplog.at_level(logging.DEBUG):
        assert await sms.send(text(reference="reminder-7-2-0")) is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "would send sms to 07*** ***456, reference reminder-7-2-0" in logged
    assert "LENDING_SMS_PROVIDER is log" in logged
    for value in (PHONE, "07911 123456", "7911123456", URDU):
        assert value not in logged


async def test_logs_never_carry_the_number(fake_notify, caplog):
    sms = notify_channel(fake_notify)
    with caplog.at_level(logging.DEBUG):
        await sms.send(text())
        fake_notify.fail_next(400)
        with pytest.raises(PermanentFailure) as caught:
            await sms.send(text())
        logging.getLogger("lending.messages").error("sending failed", exc_info=caught.value)
    logged = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "sent sms to 07*** ***456, reference reminder-7-2-0" in logged
    assert "refused the phone number" in logged
    for value in (PHONE, "07911 123456", "7911123456", fake_notify.secret):
        assert value not in logged
