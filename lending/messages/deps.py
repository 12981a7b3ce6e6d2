"""Litestar providers for messages."""

from __future__ import annotations

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.core.pagination import IdQuery, comma_list
from lending.messages.models import Channel, Kind, MessageStatus
from lending.messages.service import MessageFilters, MessageService


async def provide_messages(db_session: AsyncSession, settings: Settings) -> MessageService:
    return MessageService(db_session, settings)


async def provide_message_filters(
    family_id: IdQuery = None,
    status: str | None = Parameter(
        default=None, max_length=100, description="Comma-separated: queued, sending, sent, logged, failed, cancelled."
    ),
    channel: str | None = Parameter(default=None, max_length=20, description="Comma-separated: email, sms."),
    kind: str | None = Parameter(
        default=None, max_length=40, description="Comma-separated: reminder, extension, digest."
    ),
) -> MessageFilters:
    return MessageFilters(
        family_id=family_id,
        statuses=comma_list(status, MessageStatus, "status"),
        channels=comma_list(channel, Channel, "channel"),
        kinds=comma_list(kind, Kind, "kind"),
    )
