"""The volunteer's desk: scan a tag, issue, return, count a shelf, print labels."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from lending.access import allow
from lending.web.render import page


class DeskPages(Controller):
    path = "/desk"
    guards = [allow("desk.use")]
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self) -> Template:
        return page("desk/home.html")
