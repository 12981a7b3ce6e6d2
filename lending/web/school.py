"""The school portal: nominate a family, follow and withdraw the school's own nominations. Nothing else."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from lending.access import allow
from lending.web.render import page


class SchoolPages(Controller):
    path = "/school"
    guards = [allow("school.use")]
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self) -> Template:
        return page("school/home.html")
