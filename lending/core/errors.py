"""Domain errors raised by services, and their RFC 9457 problem+json rendering.

Services raise the plain exceptions below and never know about HTTP; the app maps them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from advanced_alchemy import exceptions as aa_exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from sqlalchemy import exc as sa_exc

from lending.core.db import RETRY_AFTER_SECONDS, unavailable_reason
from lending.core.request_id import request_id_of

log = logging.getLogger("lending.errors")

PROBLEM_JSON = "application/problem+json"


@dataclass
class FieldError:
    field: str
    message: str
    row: int | None = None  # for file imports: the spreadsheet row


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Gone(DomainError):
    """It existed and was deliberately removed (e.g. by erasure)."""

    status = 410


class Invalid(DomainError):
    """Input that parses but breaks a rule; `errors` name each field."""

    status = 422

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls.of([FieldError(name, message)])

    @classmethod
    def of(cls, errors: list[FieldError]) -> Invalid:
        """One 422 naming every field at fault."""
        return cls("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


@dataclass
class Problem:
    status: int
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def response(self, request: Request) -> Response:
        body: dict[str, Any] = {
            "type": "about:blank",
            "status": self.status,
            "title": HTTPStatus(self.status).phrase,
            "detail": self.detail,
            "instance": request.url.path,
            "request_id": request_id_of(request.scope),
        }
        if self.errors:
            body["errors"] = [
                {"field": e.field, "message": e.message, **({"row": e.row} if e.row is not None else {})}
                for e in self.errors
            ]
        body.update(self.extra)
        return Response(body, status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers)


_PYDANTIC_PREFIX = re.compile(r"^(Value|Assertion) error, ")
_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


def dotted_path(key: str | int | tuple | list | None) -> str:
    """`items.3.iccid` (Litestar/pydantic) -> `items[3].iccid`."""
    if key is None:
        return ""
    if isinstance(key, (tuple, list)):
        key = ".".join(str(k) for k in key)
    return _INDEX.sub(lambda m: f"[{m.group(1)}]", str(key))


def _no_body(error: dict) -> bool:
    return error.get("key") == "data" and error.get("source") == "body" and str(error.get("message")) == "'data'"


def _validation_problem(exc: ValidationException) -> Problem:
    extra = exc.extra
    if isinstance(extra, list) and extra and all(isinstance(e, dict) for e in extra):
        if any(_no_body(e) for e in extra):
            # Litestar reports an absent body as its KeyError on the handler's `data` argument.
            return Problem(400, "A JSON body is required.", [FieldError("body", "required")])
        errors = [
            FieldError(
                dotted_path(e.get("key")) or str(e.get("source") or "body"),
                _PYDANTIC_PREFIX.sub("", str(e.get("message"))),
            )
            for e in extra
        ]
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return Problem(422, f"Validation failed: {summary}", errors)
    # Malformed JSON or an unreadable body: nothing to point at but the body itself.
    return Problem(400, exc.detail or "Bad request", [FieldError("body", exc.detail or "unreadable")])


def to_problem(exc: Exception) -> Problem:
    if isinstance(exc, ValidationException):
        return _validation_problem(exc)
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, SerializationException):
        return Problem(400, f"The request body is not valid JSON: {exc.detail}", [FieldError("body", "malformed JSON")])
    if isinstance(exc, HTTPException):
        headers = dict(exc.headers or {})
        detail = exc.detail if exc.detail else HTTPStatus(exc.status_code).phrase
        return Problem(exc.status_code, detail, headers=headers)
    if isinstance(exc, DomainError):
        return Problem(exc.status, exc.detail, exc.errors, exc.extra)
    reason = unavailable_reason(exc)
    if reason is not None:
        # The database's state, not the request (before the integrity checks: Advanced Alchemy files a full disk
        # as an integrity error): say so, and when to come back.
        return Problem(
            503,
            f"The database is {reason}; nothing was changed. Try again in a moment.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra={"database": reason},
        )
    if isinstance(exc, aa_exc.NotFoundError):
        return Problem(404, "Not found")
    if isinstance(exc, (aa_exc.IntegrityError, sa_exc.IntegrityError)) and unique_violation(exc):
        return Problem(409, "This conflicts with data already held.")
    return Problem(500, "An unexpected error occurred. Quote the request id when reporting it.")


def unique_violation(exc: BaseException) -> bool:
    """Whether the database refused a row because it repeats a unique key: the only database error that is the
    client's (a clash with data already held, e.g. two desks racing). Any other constraint failing (foreign key,
    check, not null) means input got past validation, and Advanced Alchemy also reports driver errors such as a
    naive datetime as its IntegrityError: those are bugs, answered 500 and logged."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.IntegrityError):
            orig = current.orig
            state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
            if state is not None:
                return str(state) == "23505"  # PostgreSQL unique_violation
            message = str(orig)
            return "UNIQUE constraint failed" in message or "PRIMARY KEY must be unique" in message
        current = current.__cause__ or current.__context__
    return False


def describe_failure(exc: BaseException) -> str:
    """The driver's own words (`database or disk is full`), without the SQL and its parameters."""
    orig = getattr(exc, "orig", None)
    shown = orig if orig is not None else exc
    return f"{type(shown).__name__}: {shown}".splitlines()[0]


def problem_handler(request: Request, exc: Exception) -> Response:
    problem = to_problem(exc)
    log_problem(request, exc, problem)
    return problem.response(request)


def log_problem(request: Request, exc: Exception, problem: Problem) -> None:
    """A 5xx is logged with the request id (the database's state at ERROR, anything else with its traceback); the
    client's own mistakes are not."""
    if problem.status == 503 and "database" in problem.extra:
        log.error(
            "database %s [request_id=%s] %s %s: %s",
            problem.extra["database"],
            request_id_of(request.scope),
            request.method,
            request.url.path,
            describe_failure(exc),
        )
    elif problem.status >= 500:
        log.exception(
            "unhandled error [request_id=%s] %s %s",
            request_id_of(request.scope),
            request.method,
            request.url.path,
            exc_info=exc,
        )
