"""Delivery channels: how one message leaves, by email (SMTP) or text (GOV.UK Notify), or is only logged.

A channel sends one `Outgoing` and says how it went: it returns the provider's id, or raises `TemporaryFailure`
(the outbox tries again later) or `PermanentFailure` (it never will). A problem the charity can fix in its settings
(a wrong password, a missing template) is temporary, so that no message is dropped while it is being fixed.

Addresses and phone numbers are personal data: logs and exception messages carry `redact(address)` only, and what a
provider says back is scrubbed of anything that looks like one before it is repeated.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import ssl
from contextlib import suppress
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import anyio
import anyio.to_thread
import phonenumbers

from lending.config import Settings

log = logging.getLogger("lending.messages")

# Notify's client waits this long for an answer; a text is one small HTTP request.
NOTIFY_TIMEOUT_SECONDS = 30
# After a message was accepted, saying goodbye to the mail server must not hold the sender up (nor fail the send).
_QUIT_SECONDS = 5


@dataclass(frozen=True)
class Outgoing:
    channel: Literal["email", "sms"]
    to: str  # an email address or an E.164 phone number
    subject: str  # "" for SMS
    body: str
    reference: str  # the outbox message's idempotency key; given to the provider where it takes one


class TemporaryFailure(Exception):
    """Try again later: the network, a busy or refusing provider, or settings the charity has yet to fix."""


class PermanentFailure(Exception):
    """Never retry: the provider refused this address or this message for good."""


class Channel(Protocol):
    name: str  # "email" | "sms"

    async def send(self, message: Outgoing) -> str | None: ...  # the provider's id, if any


# --- what logs may show of an address -------------------------------------------------------------------------------


def redact(address: str) -> str:
    """What logs may show of an email address or phone number: enough to tell two apart, not enough to use."""
    address = address.strip()
    if "@" in address:
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else f"***@{domain}"
    try:
        number = phonenumbers.parse(address, "GB")
    except phonenumbers.NumberParseException:
        return "***"
    if number.country_code == 44:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)  # 07911 123456
        keep_first = 2
    else:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)  # +48 512 345 678
        keep_first = len(str(number.country_code))
    digits_at = [i for i, c in enumerate(shown) if c.isdigit()]
    if len(digits_at) < keep_first + 6:
        return "***"  # too short to hide enough of
    hidden = set(digits_at[keep_first:-3])
    return "".join("*" if i in hidden else c for i, c in enumerate(shown))


_EMAIL_LIKE = re.compile(r"[^\s<>@\"',;:()\[\]]+@[^\s<>@\"',;:()\[\]]+")
_PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{7,}\d")


def _scrub(text: object) -> str:
    """A provider's words, fit to repeat: every address or number in them redacted, and kept short."""
    said = str(text)
    said = _EMAIL_LIKE.sub(lambda m: redact(m.group(0)), said)
    said = _PHONE_LIKE.sub(lambda m: redact(m.group(0)), said)
    said = " ".join(said.split())
    return said if len(said) <= 300 else said[:299] + "…"


# --- log only ---------------------------------------------------------------------------------------------------------


class LogChannel:
    """The default until a charity configures a channel: says what it would send, and sends nothing."""

    delivers = False  # a message "sent" here reached no one

    def __init__(self, name: Literal["email", "sms"], why: str) -> None:
        self.name: str = name
        self.why = why

    async def send(self, message: Outgoing) -> str | None:
        log.info(
            "would send %s to %s, reference %s (%s: nothing leaves)",
            self.name,
            redact(message.to),
            message.reference,
            self.why,
        )
        return None


class UnusableChannel:
    """A channel whose settings are incomplete or wrong: every message waits (temporary) until they are fixed."""

    delivers = True

    def __init__(self, name: Literal["email", "sms"], problem: str) -> None:
        self.name: str = name
        self.problem = problem

    async def send(self, message: Outgoing) -> str | None:
        raise TemporaryFailure(f"{self.name} is not configured correctly: {self.problem}")


# --- email by SMTP ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    """LENDING_SMTP_URL, read: smtp://user:pass@host:port[?starttls=optional] or smtps://user:pass@host:port."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    starttls_optional: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError("not a URL of the form smtp://user:password@host:port") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"the scheme is smtp:// or smtps://, not {parts.scheme or 'missing'}")
        if not parts.hostname:
            raise ValueError("no mail server host in it")
        options = parse_qs(parts.query)
        unknown = set(options) - {"starttls"}
        if unknown:
            raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
        starttls = options.get("starttls", ["required"])[-1]
        if starttls not in ("required", "optional") or (starttls == "optional" and parts.scheme == "smtps"):
            raise ValueError("starttls=optional is the only option (smtp:// only)")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            starttls_optional=starttls == "optional",
        )


def message_id(reference: str, mail_from: str) -> str:
    """The same outbox message always gets the same Message-ID, so that a resend is recognisably the same mail."""
    readable = re.sub(r"[^A-Za-z0-9]+", "-", reference).strip("-")[:60] or "message"
    digest = hashlib.sha256(reference.encode()).hexdigest()[:16]
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "lending.invalid"
    return f"<{readable}.{digest}@{domain}>"


class SmtpChannel:
    """Email through a mail server with aiosmtplib: TLS from the first byte (smtps://) or by STARTTLS (smtp://).

    smtp:// insists on STARTTLS unless the server is on this machine (a local relay, which does its own TLS
    onwards) or the URL says `?starttls=optional`: otherwise a man in the middle who strips STARTTLS from the
    server's offer would read the password and every message. Certificates are checked against the system's CAs
    (or `tls_context`, which tests use to trust their own CA).
    """

    name = "email"
    delivers = True

    def __init__(
        self, server: SmtpServer, mail_from: str, timeout: float, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self.server = server
        self.mail_from = mail_from
        self.sender = parseaddr(mail_from)[1]
        self.timeout = timeout
        self.tls_context = tls_context

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.mail_from
        try:
            email["To"] = Address(addr_spec=message.to)
        except (ValueError, IndexError, TypeError):
            raise PermanentFailure(f"not an email address: {redact(message.to)}") from None
        email["Subject"] = " ".join(message.subject.split())  # a line break would end the header
        email["Date"] = formatdate()
        email["Message-ID"] = message_id(message.reference, self.mail_from)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies should not answer it
        # UTF-8 whatever the text; base64 keeps Urdu or Bengali shorter than quoted-printable and needs no 8BITMIME.
        email.set_content(message.body, cte="quoted-printable" if message.body.isascii() else "base64")
        return email

    async def send(self, message: Outgoing) -> str | None:
        email = self.compose(message)
        smtp = aiosmtplib.SMTP(
            hostname=self.server.host,
            port=self.server.port,
            use_tls=self.server.implicit_tls,
            start_tls=False,  # decided below, once the server has said what it offers
            tls_context=self.tls_context,
            timeout=self.timeout,
        )
        try:
            try:
                with anyio.fail_after(self.timeout):
                    await smtp.connect()
                    await self._secure(smtp)
                    if self.server.username:
                        await smtp.login(self.server.username, self.server.password or "")
                    _, reply = await smtp.send_message(email, sender=self.sender, recipients=[message.to])
            except TimeoutError:
                raise TemporaryFailure(
                    f"the mail server {self.server.host} took longer than {self.timeout:g} s"
                ) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise _smtp_failure(exc, self.server.host) from None
            # Accepted: from here nothing may fail the send, or the outbox would send it again.
            with anyio.move_on_after(_QUIT_SECONDS), suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()
        finally:
            smtp.close()
        log.info("sent email to %s, reference %s", redact(message.to), message.reference)
        return _scrub(reply)[:200] or None

    async def _secure(self, smtp: aiosmtplib.SMTP) -> None:
        if self.server.implicit_tls:
            return
        await smtp.ehlo()
        if smtp.supports_extension("starttls"):
            await smtp.starttls()
            return
        peer = smtp.get_transport_info("peername")
        local = False
        with suppress(ValueError, TypeError, IndexError):
            local = ipaddress.ip_address(peer[0]).is_loopback
        if not (local or self.server.starttls_optional):
            raise TemporaryFailure(
                f"the mail server {self.server.host} does not offer STARTTLS: use smtps://, or add ?starttls=optional "
                "to LENDING_SMTP_URL to send unencrypted on a network you trust"
            )


def _smtp_failure(exc: Exception, host: str) -> Exception:
    """aiosmtplib's errors, as the outbox needs them: permanent only when this recipient or message is refused."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        said = "; ".join(f"{r.code} {_scrub(r.message)}" for r in exc.recipients)
        if codes and all(500 <= code < 600 for code in codes):
            return PermanentFailure(f"the mail server refused the recipient: {said}")
        return TemporaryFailure(f"the mail server deferred the recipient: {said}")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        what = "recipient" if isinstance(exc, aiosmtplib.SMTPRecipientRefused) else "message"
        if 500 <= exc.code < 600:
            return PermanentFailure(f"the mail server refused the {what}: {exc.code} {_scrub(exc.message)}")
        return TemporaryFailure(f"the mail server deferred the {what}: {exc.code} {_scrub(exc.message)}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return TemporaryFailure(
            f"the mail server {host} refused the user name or password in LENDING_SMTP_URL: "
            f"{exc.code} {_scrub(exc.message)}"
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return TemporaryFailure(
            f"the mail server {host} refused LENDING_MAIL_FROM as sender: {exc.code} {_scrub(exc.message)}"
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TemporaryFailure(f"the mail server {host} answered {exc.code} {_scrub(exc.message)}")
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return TemporaryFailure(f"no secure connection to the mail server {host}: {_scrub(exc)}")
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected) or not isinstance(
        exc, aiosmtplib.SMTPException
    ):
        return TemporaryFailure(f"the mail server {host} could not be reached: {_scrub(exc)}")
    return TemporaryFailure(f"the mail server {host}: {_scrub(exc)}")


# --- texts by GOV.UK Notify -------------------------------------------------------------------------------------------

# A Notify API key: its name, then the service id and the secret, both UUIDs (the client slices them off the end).
_UUID = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
_NOTIFY_KEY = re.compile(rf".+-{_UUID}-{_UUID}", re.I)


class NotifySmsChannel:
    """Texts through GOV.UK Notify, one template whose only field ((body)) carries the whole message.

    notifications-python-client speaks HTTP with requests, which blocks: each send runs in a worker thread, with a
    client of its own (a client's requests session is not safe to share between threads).
    """

    name = "sms"
    delivers = True

    def __init__(
        self,
        api_key: str,
        template_id: str,
        *,
        base_url: str,
        sender_id: str | None = None,
        timeout: float = NOTIFY_TIMEOUT_SECONDS,
    ) -> None:
        self.api_key = api_key
        self.template_id = template_id
        self.base_url = base_url
        self.sender_id = sender_id
        self.timeout = timeout

    async def send(self, message: Outgoing) -> str | None:
        from notifications_python_client.errors import APIError, HTTPError

        try:
            answer = await anyio.to_thread.run_sync(self._post, message)
        except HTTPError as exc:
            raise _notify_failure(exc) from None
        except APIError as exc:
            # Notify said 2xx but not in JSON: the text has most likely gone, and sending it again would repeat it.
            log.warning(
                "GOV.UK Notify accepted the text to %s, reference %s, with an unreadable answer: %s",
                redact(message.to),
                message.reference,
                _scrub(exc),
            )
            return None
        log.info("sent sms to %s, reference %s", redact(message.to), message.reference)
        notification_id = answer.get("id") if isinstance(answer, dict) else None
        return str(notification_id) if notification_id else None

    def _post(self, message: Outgoing) -> Any:
        from notifications_python_client.notifications import NotificationsAPIClient

        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)
        try:
            return client.send_sms_notification(
                phone_number=message.to,
                template_id=self.template_id,
                personalisation={"body": message.body},
                reference=message.reference,
                sms_sender_id=self.sender_id,
            )
        finally:
            client.request_session.close()


def _notify_failure(exc: Any) -> Exception:
    """Notify's HTTP errors: only a refused phone number is permanent; its other 400s are our settings."""
    status = int(exc.status_code)
    said = exc.message
    errors = said if isinstance(said, list) else [{"message": said}]
    texts = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
    shown = _scrub("; ".join(texts))
    if status == 400 and any(text.startswith("phone_number") for text in texts):
        return PermanentFailure(f"GOV.UK Notify refused the phone number: {shown}")
    if status == 400:
        return TemporaryFailure(f"GOV.UK Notify refused the request (check the template and key settings): {shown}")
    if status == 403:
        return TemporaryFailure(f"GOV.UK Notify refused LENDING_NOTIFY_API_KEY: {shown}")
    if status == 429:
        return TemporaryFailure(f"GOV.UK Notify's rate limit: {shown}")
    if status == 503 and exc.response is None:
        return TemporaryFailure("GOV.UK Notify could not be reached")
    return TemporaryFailure(f"GOV.UK Notify answered {status}: {shown}")


# --- from the settings ---------------------------------------------------------------------------------------------


def channels_from(settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> dict[str, Channel]:
    """The channels the settings describe: "email" and "sms", each real, log-only, or waiting for its settings."""
    return {"email": _email_channel(settings, tls_context), "sms": _sms_channel(settings)}


def _email_channel(settings: Settings, tls_context: ssl.SSLContext | None) -> Channel:
    if settings.smtp_url is None:
        return LogChannel("email", "LENDING_SMTP_URL is not set")
    try:
        server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
    except ValueError as exc:
        return UnusableChannel("email", f"LENDING_SMTP_URL: {exc}")
    sender = parseaddr(settings.mail_from)[1]
    if "@" not in sender:
        return UnusableChannel("email", "LENDING_MAIL_FROM is not set to an address (e.g. Lending <loans@example.org>)")
    return SmtpChannel(server, settings.mail_from, settings.smtp_timeout_seconds, tls_context)


def _sms_channel(settings: Settings) -> Channel:
    if settings.sms_provider == "log":
        return LogChannel("sms", "LENDING_SMS_PROVIDER is log")
    key = settings.notify_api_key.get_secret_value() if settings.notify_api_key else ""
    if not key:
        return UnusableChannel("sms", "LENDING_NOTIFY_API_KEY is not set")
    if not _NOTIFY_KEY.fullmatch(key):
        return UnusableChannel("sms", "LENDING_NOTIFY_API_KEY is not a GOV.UK Notify API key (name-service id-secret)")
    if not settings.notify_sms_template_id:
        return UnusableChannel("sms", "LENDING_NOTIFY_SMS_TEMPLATE_ID is not set")
    return NotifySmsChannel(
        key,
        settings.notify_sms_template_id,
        base_url=settings.notify_base_url,
        sender_id=settings.notify_sms_sender_id or None,
    )
