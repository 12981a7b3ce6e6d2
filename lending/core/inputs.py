"""Rules for what a request may carry that Litestar's own parsing does not enforce.

- Path and query parameters: no NUL characters (PostgreSQL cannot store or compare them) and integer path
  parameters within the ids a BIGINT can hold, for every route, present and future. Query integers carry their
  bounds in their declarations (`lending.core.pagination`, `IdQuery`).
- JSON bodies: nesting too deep for the decoder is the client's mistake, a 400 naming `body`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import ASGIApp, Receive, Scope, Send

from lending.core.errors import FieldError, Invalid
from lending.core.schemas import MAX_ID, as_utc, date_bounds_error


def _shown(name: str) -> str:
    return name.replace("\x00", "\\0") or "query"


def parameter_problems(scope: Scope) -> list[FieldError]:
    problems: list[FieldError] = []
    for name, value in (scope.get("path_params") or {}).items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            problems.append(FieldError(name, f"must be between 1 and {MAX_ID}"))
        elif isinstance(value, str) and "\x00" in value:
            problems.append(FieldError(name, "must not contain NUL characters"))
    query = scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        # Parsed as Litestar parses it, so the name reported is the one the route sees.
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                problems.append(FieldError(_shown(key), "must not contain NUL characters"))
    return problems


class InputGuard:
    """ASGI middleware (after routing, so path parameters are known) refusing bad parameters with a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problems = parameter_problems(scope)
            if problems:
                raise Invalid.of(problems)
        await self.app(scope, receive, send)


class LendingRequest(Request):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            # msgspec gives up on JSON nested deeper than the interpreter's recursion limit (about 1,000).
            raise ValidationException("The request body is nested too deeply.") from None


def utc_param(value: datetime | None, name: str) -> datetime | None:
    """A datetime query parameter, by the same rule as bodies' `UtcDatetime`: no zone means UTC."""
    if value is None:
        return None
    try:
        return as_utc(value)
    except ValueError as exc:
        raise Invalid.field(name, str(exc)) from None


def past_date_param(value: date | None, name: str) -> date | None:
    """A date query parameter for something that has happened, by the same rule as bodies' `PastDate`."""
    if value is not None and (problem := date_bounds_error(value, latest=date.today())):
        raise Invalid.field(name, problem)
    return value
