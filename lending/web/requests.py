from __future__ import annotations

from typing import Any

from litestar.plugins.htmx import HTMXRequest

from lending.core.inputs import LendingRequest


class WebRequest(LendingRequest, HTMXRequest):
    """A page request: the API's request, which also knows whether htmx sent it (`request.htmx`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
