"""Real delivery ends for message tests: SMTP servers (aiosmtpd) with a test CA's certificate, and a fake GOV.UK Notify.

Other folders use them by importing the fixtures they need, e.g.
`from tests.messages.conftest import fake_notify, mail_server  # noqa: F401`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import time
from typing import Any

import pytest
import trustme

from lending.config import Settings
from tests.messages.fake_notify import FakeNotify
from tests.messages.mail_server import MailServer

# The test family's contact details: a UK mobile (07911 123456) and an address; neither may reach a log.
PHONE = "+447911123456"
EMAIL = "nasreen.begum@example.org"


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_tls(test_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("mail.test", "localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app in a messages test keeps no quiet hours, so that what it queues may go whatever the hour the suite
    runs at (a text queued at 21:00 waited for 08:00, and a test run in the evening failed). The quiet hours have
    tests of their own, with their own settings."""
    return settings.model_copy(update={"quiet_hours_start": time(0), "quiet_hours_end": time(0)})


@pytest.fixture(scope="session")
def client_tls(test_ca: trustme.CA) -> ssl.SSLContext:
    """What the sender trusts: the test CA only (so a certificate from anywhere else is refused)."""
    context = ssl.create_default_context()
    test_ca.configure_trust(context)
    return context


@pytest.fixture
def make_mail_server(server_tls: ssl.SSLContext) -> Iterator[Callable[..., MailServer]]:
    """`make_mail_server(tls="starttls", users={"lending": "pw"})`: a started server, stopped after the test."""
    # The server's own log repeats every command it receives, addresses included: it stands for the far end, not
    # for Lending, so it is kept out of the logs the tests read.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    with ExitStack() as stack:
        stack.callback(server_log.setLevel, level)

        def make(**options: Any) -> MailServer:
            options.setdefault("context", server_tls)
            return stack.enter_context(MailServer(**options))

        yield make


@pytest.fixture
def mail_server(make_mail_server: Callable[..., MailServer]) -> MailServer:
    """A plain SMTP server on 127.0.0.1, as a local relay would be."""
    return make_mail_server()


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    with FakeNotify() as notify:
        yield notify
