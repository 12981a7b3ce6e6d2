"""The coordinator's pages: intake, refurbishment, the waiting list, duplicates, SIMs to bar, users and centres."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from lending.access import allow
from lending.web.render import page


class StaffPages(Controller):
    path = "/staff"
    guards = [allow("staff.use")]
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self) -> Template:
        return page("staff/home.html")
