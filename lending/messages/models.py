"""The outbox: every message to a family or to staff, written with the event that caused it and sent after commit;
and the claim on each day's reminder run, so that several workers run it once."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type


class Audience(enum.StrEnum):
    family = "family"
    staff = "staff"


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class Kind(enum.StrEnum):
    reminder = "reminder"  # the day's ladder: every item due, one message per family and channel
    extension = "extension"  # a loan's new due date
    digest = "digest"  # the staff's daily list


class MessageStatus(enum.StrEnum):
    queued = "queued"  # waiting for its turn (next_attempt_at: a retry's back-off, or the end of quiet hours)
    sending = "sending"  # a sender holds it until lease_expires_at
    sent = "sent"  # the provider accepted it
    logged = "logged"  # no channel is configured: written to the log (address masked), not sent
    failed = "failed"  # refused for good, or out of attempts
    cancelled = "cancelled"  # never to be sent: its family was erased before it went


STATUSES = tuple(s.value for s in MessageStatus)


class Message(Base):
    """One message in the outbox. Its idempotency key (kind, family or recipient, channel, date or event) is unique,
    so a message can be queued once only, whoever queues it and however often."""

    __tablename__ = "message"
    # The address and the text are the family's business: never copied into the audit log, blanked by erasure.
    __audit_redact__ = frozenset({"to_address", "body", "last_error"})
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'logged', 'failed', 'cancelled')", name="status_known"
        ),
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        CheckConstraint("audience IN ('family', 'staff')", name="audience_known"),
        CheckConstraint("kind IN ('reminder', 'extension', 'digest')", name="kind_known"),
        # The sender's question: what is queued and due now, the oldest first.
        Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
        # A family's messages, newest first (its page and the API's filter).
        Index("ix_message_family_id", "family_id", "created_at"),
        Index("ix_message_created_at", "created_at"),
    )

    family_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("family.id"))
    audience: Mapped[Audience] = mapped_column(enum_type(Audience, 10))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10))
    kind: Mapped[Kind] = mapped_column(enum_type(Kind, 20))
    # What the message covers: one entry per item line ({"loan_id", "tag", "step"}), or the digest's counts.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # The day the message is about: the run's as-of date, or the day of the event.
    as_of: Mapped[date] = mapped_column(Date)
    to_address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[MessageStatus] = mapped_column(enum_type(MessageStatus, 10), default=MessageStatus.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # The provider's words, with any address in them masked.
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class ReminderRun(Base):
    """The claim on one day's reminders: the first to insert the day's row runs it, everyone else stands aside.

    The claim is inserted in the same transaction that queues the day's messages, so a run that dies before it
    commits leaves no claim behind, and the next attempt runs the day again."""

    __tablename__ = "reminder_run"
    __audit__ = False  # bookkeeping of runs; the messages it queues are audited one by one

    run_on: Mapped[date] = mapped_column(Date, unique=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # Who ran it: `cli:remind` or `serve:<host>:<pid>`.
    claimed_by: Mapped[str] = mapped_column(String(200))
    families: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
