"""A real SMTP server for tests (aiosmtpd in its own thread): plain, STARTTLS or implicit TLS, with AUTH if asked,
keeping every message that arrived, and refusing the recipients a test names with the reply it names."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support import free_port


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool  # the conversation was encrypted when the message was sent
    login: str | None  # who authenticated, if anyone


@dataclass
class _Handler:
    users: dict[str, str]
    arrived: list[Arrived] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> the reply to RCPT TO
    refuse_data: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), message, tls, login))
        return "250 2.0.0 Ok: queued as TESTQUEUE"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and self.users.get(data.login.decode()) == data.password.decode():
            return AuthResult(success=True, auth_data=data.login)
        return AuthResult(success=False, handled=False)


class MailServer:
    """`with MailServer(tls="starttls", context=...) as server:` then send to `server.url` and read `server.arrived`."""

    def __init__(
        self,
        *,
        tls: Literal["none", "starttls", "implicit"] = "none",
        context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.tls = tls
        self.host = host
        self.port = free_port()
        self.users = users or {}
        self.handler = _Handler(self.users)
        kwargs: dict[str, Any] = {"hostname": host, "port": self.port, "server_hostname": "mail.test"}
        if tls == "starttls":
            kwargs["tls_context"] = context
        elif tls == "implicit":
            kwargs["ssl_context"] = context
        if self.users:
            kwargs["authenticator"] = self.handler.authenticate
            # aiosmtpd only knows of TLS it started itself (STARTTLS); smtps:// is TLS before it says a word.
            kwargs["auth_require_tls"] = tls == "starttls"
            kwargs["auth_required"] = True
        self.controller = Controller(self.handler, **kwargs)

    @property
    def arrived(self) -> list[Arrived]:
        return self.handler.arrived

    def url(self, user: str | None = None, password: str | None = None, *, host: str | None = None) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        login = f"{user}:{password}@" if user else ""
        return f"{scheme}://{login}{host or self.host}:{self.port}"

    def refuse(self, address: str, reply: str) -> None:
        self.handler.refuse[address.lower()] = reply

    def refuse_data(self, reply: str | None) -> None:
        self.handler.refuse_data = reply

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
