"""What the outbox holds about a family, registered with families and loans so that they reach it without knowing it:
erasure scrubs its messages, subject access lists them, a merge moves them; an extension queues its notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.recorder import json_safe
from lending.config import Settings, get_settings
from lending.families.models import Family
from lending.families.records import Erased, register
from lending.loans import events
from lending.loans.models import Loan, LoanExtension
from lending.messages.models import Message, MessageStatus
from lending.messages.service import MessageService

# Never sent once its family is erased: the address and text it would carry are gone.
UNSENT = (MessageStatus.queued, MessageStatus.sending)


class MessageRecords:
    name = "messages"

    async def entities(self, session: AsyncSession, family_id: int) -> dict[str, list[int]]:
        ids = list((await session.scalars(select(Message.id).where(Message.family_id == family_id))).all())
        return {"message": ids} if ids else {}

    async def section(self, session: AsyncSession, family: Family) -> dict[str, Any]:
        messages = await session.scalars(select(Message).where(Message.family_id == family.id).order_by(Message.id))
        fields = ("kind", "channel", "to_address", "language", "subject", "body", "status", "created_at", "sent_at")
        return {"messages": [{name: json_safe(getattr(m, name)) for name in fields} for m in messages]}

    async def blocks_erasure(self, session: AsyncSession, family_id: int) -> str | None:
        return None

    async def erase(self, session: AsyncSession, family_id: int, now: datetime) -> Erased:
        """Every message to the family loses its address and text; those not yet sent are cancelled. The rows stay
        (kind, channel, status, dates) as the record that the charity wrote to the family, and when."""
        messages = list((await session.scalars(select(Message).where(Message.family_id == family_id))).all())
        values: set[str] = set()
        for message in messages:
            values.add(message.to_address)
            message.to_address, message.body, message.last_error = "", "", None
            if message.status in UNSENT:
                message.status, message.next_attempt_at, message.lease_expires_at = MessageStatus.cancelled, None, None
        return Erased(values, {"message": [m.id for m in messages]} if messages else {}, {"messages": len(messages)})

    async def move(self, session: AsyncSession, from_family_id: int, to_family_id: int) -> None:
        for message in await session.scalars(select(Message).where(Message.family_id == from_family_id)):
            message.family_id = to_family_id

    def recent_activity(self, cutoff: datetime) -> Any:
        # A reminder is the charity's doing, not the family's: it keeps no family from retention.
        return false()


class ExtensionNotice:
    name = "messages"

    async def extended(
        self, session: AsyncSession, loan: Loan, extension: LoanExtension, settings: Settings | None
    ) -> None:
        await MessageService(session, settings or get_settings()).queue_extension(loan, extension)


register(MessageRecords())
events.listen(ExtensionNotice())
