"""A family's page for staff: who it is, how it is reached, and every message the charity sent it with its status.

The messages are MessageService's list filtered by the family, shaped by present_message: the page shows what
`GET /api/v1/messages?family_id=` shows the same user, no more.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import Provide
from litestar.response import Template

from lending.access import Actor, allow
from lending.core.pagination import ListParams
from lending.families.deps import provide_families
from lending.families.service import FamilyService
from lending.families.shapes import present_family
from lending.messages.deps import provide_messages
from lending.messages.service import MessageFilters, MessageService
from lending.messages.shapes import present_message
from lending.web.render import page

# The newest messages shown; the API pages through the rest.
SHOWN = 100


class StaffFamilyPages(Controller):
    path = "/staff/families"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {"families": Provide(provide_families), "messages": Provide(provide_messages)}

    @get("/{family_id:int}", guards=[allow("families.read"), allow("messages.read")])
    async def family(self, actor: Actor, family_id: int, families: FamilyService, messages: MessageService) -> Template:
        family = present_family(await families.get_family(family_id, actor), actor)
        found, total = await messages.list_messages(
            actor, ListParams(limit=SHOWN, sort="-created_at"), MessageFilters(family_id=family_id)
        )
        return page(
            "staff/family.html",
            family=family,
            messages=[present_message(m, actor) for m in found],
            total=total,
        )
