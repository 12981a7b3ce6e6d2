"""`/a/{tag}`, the address in a label's QR code: whoever finds a device learns whose it is and how to return it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect

from lending.access import may
from lending.accounts.models import User
from lending.config import Settings
from lending.web.render import page


@get("/a/{tag:str}", include_in_schema=False)
async def finder(request: Request[Any, Any, Any], tag: str, settings: Settings) -> Response[Any]:
    user = request.scope.get("user")
    if isinstance(user, User) and may(user.role, "assets.read"):
        return Redirect(f"/desk/assets/{tag.upper()}", status_code=303)
    # The same page for every tag, held or not, real or not: nothing about the device or who has it.
    return page("finder.html", tag=tag.upper()[:20], org_phone=settings.org_phone, org_email=settings.org_email)
