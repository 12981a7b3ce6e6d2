"""What an actor sees of a message: the address in full only for whom the access table lets see it."""

from __future__ import annotations

from lending.access import Actor
from lending.messages.channels import redact
from lending.messages.models import Message
from lending.messages.schemas import MessageOut


def present_message(message: Message, actor: Actor) -> MessageOut:
    shown = message.to_address if actor.may("messages.see_addresses") else redact(message.to_address)
    return MessageOut.model_validate(
        {
            **{name: getattr(message, name) for name in MessageOut.model_fields if name != "to"},
            "to": shown if message.to_address else "",
        }
    )
