from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get
from litestar.di import Provide

from lending.access import Actor, allow
from lending.core.pagination import ListParams, page
from lending.messages.deps import provide_message_filters, provide_messages
from lending.messages.schemas import MessageOut
from lending.messages.service import MessageFilters, MessageService
from lending.messages.shapes import present_message


class MessageController(Controller):
    path = "/api/v1/messages"
    tags = ["messages"]
    dependencies = {"messages": Provide(provide_messages), "filters": Provide(provide_message_filters)}

    @get(
        "/",
        guards=[allow("messages.read")],
        summary="The outbox: reminders, extension notices and digests with their status, newest first",
    )
    async def list_messages(
        self, actor: Actor, messages: MessageService, list_params: ListParams, filters: MessageFilters
    ) -> OffsetPagination[MessageOut]:
        items, total = await messages.list_messages(actor, list_params, filters)
        return page([present_message(m, actor) for m in items], total, list_params)
