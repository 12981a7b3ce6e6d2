"""A request id on every response (`X-Request-ID`), echoed from the client when it sent a sane one."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STATE_KEY = "request_id"


def request_id_of(scope: Scope | dict[str, Any]) -> str:
    state = scope.setdefault("state", {})
    rid = state.get(_STATE_KEY)
    if rid is None:
        incoming = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k.decode("latin-1").lower() == HEADER),
            "",
        )
        rid = incoming if _SANE.match(incoming) else uuid.uuid4().hex
        state[_STATE_KEY] = rid
    return rid


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """App-level before-send hook: it sees every response, error responses included."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[HEADER] = request_id_of(scope)
