"""Sending the outbox, after commit: claim, send, record.

1. Claim (one short transaction): queued messages whose time has come, and `sending` ones whose sender's lease ran
   out (it crashed), become `sending` with a lease, one attempt more. On PostgreSQL the rows are read `FOR UPDATE
   SKIP LOCKED`, so two senders never claim the same row; SQLite has one writer at a time, and the claim is a write.
   During the quiet hours texts are not claimed: they wait, queued, for the morning. Email is never held.
2. Send, outside any transaction, through the channel (lending.messages.channels), with the message's idempotency
   key as its reference.
3. Record (a second transaction, through the ORM, so the audit listener writes who sent what when): `sent` with the
   provider's id; `logged` when no real channel is configured; a temporary failure goes back to `queued` with an
   exponential back-off until `message_max_attempts`, then `failed`; a permanent failure is `failed` at once.

What a crash costs: after the queuing commit and before the claim, nothing (the row is queued and the next drain
sends it). Between the claim and the send, a delay: the lease runs out and the message is claimed again. Between the
provider accepting a message and step 3's commit (milliseconds, or a send that timed out after the provider took
it), the message is sent again when its lease runs out: that window is at-least-once. The reference (SMTP
Message-ID, Notify's reference) is the same both times, so the copies can be told apart as one message.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.messages import channels as channel_module
from lending.messages.models import Channel, Message, MessageStatus
from lending.messages.quiet import in_quiet_hours, quiet_hours_end

log = logging.getLogger("lending.messages")

# A retry waits 1, 2, 4, 8 … minutes, never more than six hours.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# Messages claimed (and sent side by side) at a time; a small batch keeps each lease short.
BATCH = 4

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{8,}\d")


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt failed for now."""
    return min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_CAP)


def lease(settings: Settings) -> timedelta:
    """Long enough for a send that takes the whole SMTP timeout, with room: a lease that ran out sends again."""
    return timedelta(seconds=2 * settings.smtp_timeout_seconds) + timedelta(minutes=5)


def scrub(text: str, address: str = "") -> str:
    """A provider's words without any address in them: the one it was sent to masked, any other removed."""
    if address:
        text = text.replace(address, channel_module.redact(address))
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[number]", text)[:500]


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of a claimed message, read in the claiming transaction."""

    id: int
    channel: Channel
    to: str
    subject: str
    body: str
    key: str
    attempts: int


@dataclass
class Drained:
    """What one drain did, by outcome; `waiting` is what stays queued for later (back-off, quiet hours)."""

    outcomes: Counter[str]
    waiting: int = 0

    def __getitem__(self, name: str) -> int:
        return self.outcomes[name]


class Sender:
    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        settings: Settings,
        *,
        label: str = "system:outbox",
        channels: dict[str, channel_module.Channel] | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.label = label
        self.channels = channels if channels is not None else channel_module.channels_from(settings)

    def _due(self, now: datetime) -> list[ColumnElement[bool]]:
        queued = and_(
            Message.status == MessageStatus.queued,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        abandoned = and_(Message.status == MessageStatus.sending, Message.lease_expires_at < now)
        where: list[ColumnElement[bool]] = [or_(queued, abandoned)]
        if in_quiet_hours(now, self.settings.quiet_hours_start, self.settings.quiet_hours_end):
            where.append(Message.channel == Channel.email)
        return where

    async def claim(self, now: datetime, limit: int = BATCH) -> list[Claimed]:
        async with self.sessions() as session, session.begin():
            set_actor(session, user_id=None, label=self.label)
            ids = list(
                (
                    await session.scalars(
                        select(Message.id)
                        .where(*self._due(now))
                        .order_by(Message.id)
                        .limit(limit)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
            if not ids:
                return []
            # The lease is bookkeeping of the sender, not a change anyone made: a bulk UPDATE the audit does not see.
            # The outcome is audited when it is recorded.
            await session.execute(
                update(Message)
                .where(Message.id.in_(ids))
                .values(
                    status=MessageStatus.sending,
                    lease_expires_at=now + lease(self.settings),
                    attempts=Message.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = await session.execute(
                select(
                    Message.id,
                    Message.channel,
                    Message.to_address,
                    Message.subject,
                    Message.body,
                    Message.idempotency_key,
                    Message.attempts,
                )
                .where(Message.id.in_(ids))
                .order_by(Message.id)
            )
            return [Claimed(*row) for row in rows.all()]

    async def _send(self, claimed: Claimed) -> tuple[MessageStatus, str | None, str | None]:
        """The outcome of one attempt: the new status, the provider's id, the error (scrubbed)."""
        channel = self.channels.get(claimed.channel.value)
        if channel is None:
            return MessageStatus.failed, None, f"no {claimed.channel.value} channel is configured"
        outgoing = channel_module.Outgoing(
            channel=claimed.channel.value,
            to=claimed.to,
            subject=claimed.subject,
            body=claimed.body,
            reference=claimed.key,
        )
        try:
            provider_id = await channel.send(outgoing)
        except channel_module.PermanentFailure as exc:
            return MessageStatus.failed, None, scrub(str(exc) or type(exc).__name__, claimed.to)
        except channel_module.TemporaryFailure as exc:
            return MessageStatus.queued, None, scrub(str(exc) or type(exc).__name__, claimed.to)
        except Exception as exc:  # a channel's own bug must not lose the message: tried again like a network fault
            log.warning("message %s: the %s channel failed (%s)", claimed.id, claimed.channel.value, type(exc).__name__)
            return MessageStatus.queued, None, scrub(f"{type(exc).__name__}: {exc}", claimed.to)
        if not getattr(channel, "delivers", True):  # a log-only channel: it reached no one
            return MessageStatus.logged, provider_id, None
        return MessageStatus.sent, provider_id, None

    async def _record(self, claimed: Claimed, status: MessageStatus, provider_id: str | None, error: str | None) -> str:
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            set_actor(session, user_id=None, label=self.label)
            message = (
                await session.scalars(select(Message).where(Message.id == claimed.id).with_for_update())
            ).one_or_none()
            if message is None:
                return "gone"
            if message.status in (MessageStatus.sent, MessageStatus.logged, MessageStatus.cancelled):
                # Recorded by a sender that took over a lease, or cancelled by an erasure meanwhile.
                return str(message.status)
            message.lease_expires_at = None
            if status in (MessageStatus.sent, MessageStatus.logged):
                message.status, message.provider_id, message.sent_at = status, provider_id, now
                message.last_error, message.next_attempt_at = None, None
                return status.value
            message.last_error = error
            if status is MessageStatus.queued and message.attempts < self.settings.message_max_attempts:
                retry_at = now + backoff(message.attempts)
                if message.channel is Channel.sms:
                    retry_at = quiet_hours_end(retry_at, self.settings.quiet_hours_start, self.settings.quiet_hours_end)
                message.status, message.next_attempt_at = MessageStatus.queued, retry_at
                return "retrying"
            message.status, message.next_attempt_at = MessageStatus.failed, None
            log.warning(
                "message %s (%s, %s) failed after %s attempt(s)",
                message.id,
                message.kind.value,
                message.channel.value,
                message.attempts,
            )
            return "failed"

    async def send_claimed(self, claimed: Claimed) -> str:
        status, provider_id, error = await self._send(claimed)
        return await self._record(claimed, status, provider_id, error)

    async def _count(self, claimed: Claimed, outcomes: Counter[str]) -> None:
        outcomes[await self.send_claimed(claimed)] += 1

    async def drain(self, now: datetime | None = None, *, limit: int | None = None) -> Drained:
        """Send everything that is due now (at most `limit` messages), BATCH at a time side by side."""
        outcomes: Counter[str] = Counter()
        done = 0
        while limit is None or done < limit:
            at = now or datetime.now(UTC)
            batch = await self.claim(at, BATCH if limit is None else min(BATCH, limit - done))
            if not batch:
                break
            async with anyio.create_task_group() as group:
                for claimed in batch:
                    group.start_soon(self._count, claimed, outcomes)
            done += len(batch)
        return Drained(outcomes, await self.waiting())

    async def waiting(self) -> int:
        async with self.sessions() as session:
            return int(
                await session.scalar(select(func.count(Message.id)).where(Message.status == MessageStatus.queued)) or 0
            )
