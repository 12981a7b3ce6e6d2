from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from lending.core.schemas import OutSchema
from lending.messages.models import Audience, Channel, Kind, MessageStatus


class MessageOut(OutSchema):
    """A message in the outbox, as staff see it."""

    id: int
    family_id: int | None = Field(description="None for a staff digest.")
    audience: Audience
    channel: Channel
    kind: Kind
    as_of: date = Field(description="The day the message is about: its run's date, or the day of the event.")
    steps: list[dict[str, Any]] = Field(
        description="What it covers: one entry per item line (loan_id, tag, step, day), or the digest's figures."
    )
    to: str = Field(description="The address or number; masked (a***@example.org) for whom may not see it.")
    language: str
    subject: str
    body: str
    status: MessageStatus = Field(
        description="queued (next_attempt_at: a back-off or the end of quiet hours), sending, sent, logged (no "
        "channel configured: written to the log only), failed, cancelled (the family was erased first)."
    )
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None = Field(description="The provider's last refusal, addresses masked.")
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None
