"""Email through a real SMTP server (aiosmtpd): what arrives, over which kind of connection, and how refusals map."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from lending.config import Settings
from lending.messages.channels import (
    LogChannel,
    Outgoing,
    PermanentFailure,
    SmtpChannel,
    TemporaryFailure,
    UnusableChannel,
    channels_from,
)
from tests.messages.conftest import EMAIL

URDU_SUBJECT = "لینڈنگ: آپ کے خاندان کو دی گئی چیزیں"
URDU_BODY = "السلام علیکم،\n\nلیپ ٹاپ LAP-0042 کی واپسی کی تاریخ ۱۴ مارچ ہے۔\n\nবাংলা: ট্যাবলেট ফেরত দিন।\n"


def email(to: str = EMAIL, *, reference: str = "reminder-7-2-0", body: str = URDU_BODY) -> Outgoing:
    return Outgoing(channel="email", to=to, subject=URDU_SUBJECT, body=body, reference=reference)


def settings(url: str, **extra: object) -> Settings:
    return Settings(smtp_url=url, mail_from="Test Lending <loans@lending.example>", **extra)


def channel(url: str, client_tls=None, **extra: object):
    return channels_from(settings(url, **extra), tls_context=client_tls)["email"]


def text_of(message) -> str:
    """The body as written (the wire's CRLF line ends back to LF)."""
    return message.get_content().replace("\r\n", "\n")


def refuses_to_leak(exc: BaseException, *values: str) -> None:
    """Neither the exception's text nor its whole traceback (what a log would show) carries an address."""
    shown = "".join(traceback.format_exception(exc))
    for value in values:
        assert value not in shown, shown


async def test_a_message_arrives_whole_in_utf8_with_its_headers(mail_server):
    provider_id = await channel(mail_server.url()).send(email())
    [arrived] = mail_server.arrived
    assert arrived.mail_from == "loans@lending.example"
    assert arrived.rcpt_tos == [EMAIL]
    message = arrived.message
    assert message["From"] == "Test Lending <loans@lending.example>"
    assert message["To"] == EMAIL
    assert message["Subject"] == URDU_SUBJECT
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@lending.example>")
    assert message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert text_of(message) == URDU_BODY
    assert provider_id and "queued as TESTQUEUE" in provider_id
    # A local relay on this machine may be spoken to in the clear: it does its own TLS onwards.
    assert arrived.tls is False


async def test_a_resend_of_the_same_outbox_message_has_the_same_message_id(mail_server):
    smtp = channel(mail_server.url())
    await smtp.send(email(reference="reminder-7-2-0"))
    await smtp.send(email(reference="reminder-7-2-0"))
    await smtp.send(email(reference="reminder-7-3-0"))
    first, again, other = (a.message["Message-ID"] for a in mail_server.arrived)
    assert first == again
    assert other != first


async def test_plain_ascii_text_stays_readable(mail_server):
    body = "Hello,\n\nThe laptop LAP-0042 is due back on 14 March.\n"
    await channel(mail_server.url()).send(email(body=body))
    [arrived] = mail_server.arrived
    assert text_of(arrived.message) == body
    assert arrived.message["Content-Transfer-Encoding"] == "quoted-printable"


async def test_starttls_with_a_login(make_mail_server, client_tls):
    server = make_mail_server(tls="starttls", users={"lending": "s3cret/pa@ss"})
    # The password is percent-encoded in the URL, as a URL needs it.
    await channel(server.url("lending", "s3cret%2Fpa%40ss"), client_tls).send(email())
    [arrived] = server.arrived
    assert arrived.tls is True
    assert arrived.login == "lending"
    assert text_of(arrived.message) == URDU_BODY


async def test_smtps_is_tls_from_the_first_byte(make_mail_server, client_tls):
    server = make_mail_server(tls="implicit", users={"lending": "pw"})
    url = server.url("lending", "pw")
    assert url.startswith("smtps://")
    await channel(url, client_tls).send(email())
    [arrived] = server.arrived
    assert arrived.tls is True and arrived.login == "lending"


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
async def test_a_certificate_the_sender_does_not_trust_is_refused(make_mail_server, tls):
    server = make_mail_server(tls=tls)
    with pytest.raises(TemporaryFailure) as caught:
        await channel(server.url()).send(email())  # the system's CAs: the test CA is not among them
    assert "certificate" in str(caught.value).lower()
    assert server.arrived == []


async def test_a_wrong_password_is_temporary_so_nothing_is_dropped(make_mail_server, client_tls):
    server = make_mail_server(tls="starttls", users={"lending": "pw"})
    with pytest.raises(TemporaryFailure) as caught:
        await channel(server.url("lending", "wrong"), client_tls).send(email())
    assert "535" in str(caught.value) and "LENDING_SMTP_URL" in str(caught.value)
    assert "wrong" not in str(caught.value)
    assert server.arrived == []


async def test_a_refused_recipient_is_permanent_and_its_address_is_not_repeated(mail_server):
    mail_server.refuse(EMAIL, f"550 5.1.1 <{EMAIL}>: Recipient address rejected: User unknown")
    with pytest.raises(PermanentFailure) as caught:
        await channel(mail_server.url()).send(email())
    assert "550" in str(caught.value) and "n***@example.org" in str(caught.value)
    refuses_to_leak(caught.value, EMAIL)
    assert mail_server.arrived == []


async def test_a_deferred_recipient_is_temporary(mail_server):
    mail_server.refuse(EMAIL, "450 4.2.1 Mailbox busy, try again later")
    with pytest.raises(TemporaryFailure) as caught:
        await channel(mail_server.url()).send(email())
    assert "450" in str(caught.value)
    refuses_to_leak(caught.value, EMAIL)


async def test_a_refused_message_is_permanent(mail_server):
    mail_server.refuse_data("554 5.6.0 Message refused")
    with pytest.raises(PermanentFailure, match="554"):
        await channel(mail_server.url()).send(email())


async def test_a_server_that_is_not_there_is_temporary():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: the connection is refused
        with pytest.raises(TemporaryFailure) as caught:
            await channel(f"smtp://127.0.0.1:{port}").send(email())
    refuses_to_leak(caught.value, EMAIL)


async def test_a_server_that_never_answers_is_temporary():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()  # the kernel accepts the connection; no greeting ever comes
        with pytest.raises(TemporaryFailure, match="took longer than"):
            await channel(f"smtp://127.0.0.1:{s.getsockname()[1]}", smtp_timeout_seconds=0.5).send(email())


def _address_off_loopback() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only asks which interface would be used
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_plain_smtp_to_another_machine_needs_starttls_or_the_url_saying_otherwise(make_mail_server):
    address = _address_off_loopback()
    if address is None:
        pytest.skip("this machine has no address off the loopback interface")
    server = make_mail_server(host=address)
    with pytest.raises(TemporaryFailure, match="does not offer STARTTLS"):
        await channel(server.url()).send(email())
    assert server.arrived == []
    await channel(server.url() + "?starttls=optional").send(email())
    assert len(server.arrived) == 1


async def test_a_bad_recipient_address_is_permanent_without_a_connection():
    smtp = channel("smtp://127.0.0.1:9")
    with pytest.raises(PermanentFailure, match="not an email address"):
        await smtp.send(email(to="not an address\nBcc: someone@example.org"))


@pytest.mark.parametrize(
    ("url", "mail_from", "problem"),
    [
        ("http://mail.example.org", "loans@lending.example", "LENDING_SMTP_URL: the scheme is smtp:// or smtps://"),
        ("smtp://mail.example.org?tls=off", "loans@lending.example", "LENDING_SMTP_URL: unknown option(s): tls"),
        ("smtp://mail.example.org:587", "", "LENDING_MAIL_FROM is not set"),
    ],
)
async def test_unusable_settings_keep_every_message_waiting(url, mail_from, problem):
    smtp = channels_from(Settings(smtp_url=url, mail_from=mail_from))["email"]
    assert isinstance(smtp, UnusableChannel)
    with pytest.raises(TemporaryFailure, match=problem.replace("(", r"\(").replace(")", r"\)")):
        await smtp.send(email())


def test_the_url_gives_the_connection():
    smtp = channels_from(settings("smtps://u%40x:p%3Aw@mail.example.org"))["email"]
    assert isinstance(smtp, SmtpChannel)
    assert (smtp.server.host, smtp.server.port, smtp.server.implicit_tls) == ("mail.example.org", 465, True)
    assert (smtp.server.username, smtp.server.password) == ("u@x", "p:w")
    plain = channels_from(settings("smtp://mail.example.org"))["email"]
    assert isinstance(plain, SmtpChannel)
    assert (plain.server.port, plain.server.implicit_tls, plain.server.username) == (587, False, None)


async def test_without_a_mail_server_emails_are_only_logged(caplog):
    smtp = channels_from(Settings(smtp_url=None))["email"]
    assert isinstance(smtp, LogChannel) and smtp.delivers is False
    with caplog.at_level(logging.DEBUG):
        assert await smtp.send(email(reference="reminder-7-2-0")) is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "would send email to n***@example.org, reference reminder-7-2-0" in logged
    assert EMAIL not in logged


async def test_logs_never_carry_the_address(make_mail_server, client_tls, caplog):
    server = make_mail_server(tls="starttls", users={"lending": "pw"})
    refused = "refused@example.org"
    server.refuse(refused, f"550 5.1.1 <{refused}>: User unknown")
    smtp = channel(server.url("lending", "pw"), client_tls)
    with caplog.at_level(logging.DEBUG):
        await smtp.send(email())
        with pytest.raises(PermanentFailure) as caught:
            await smtp.send(email(to=refused))
        logging.getLogger("lending.messages").exception("sending failed", exc_info=caught.value)
    logged = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "sent email to n***@example.org" in logged and "r***@example.org" in logged
    for value in (EMAIL, refused, "nasreen"):
        assert value not in logged
