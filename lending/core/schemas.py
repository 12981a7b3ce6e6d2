"""Base for request and response schemas, and the field types every domain shares.

The rules for bad input live here once: no NUL characters in any string, ids that fit the database's BIGINT,
datetimes without a zone read as UTC, and dates within sane bounds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from lending.core.validators import normalise_postcode

# The largest value of a PostgreSQL BIGINT (and of a SQLite INTEGER): anything above can be no row's id, and the
# drivers fail on it instead of answering "not found".
MAX_ID = 2**63 - 1
# No record in Lending is dated before this (consent, donations, wipes, safety tests, SIM plans).
EARLIEST_DATE = date(2000, 1, 1)
# A loan is due back, or extended to, at most this many years ahead.
MAX_LOAN_YEARS = 5


def refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot store U+0000 in text and SQLite would keep it silently: refuse it in every string."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            refuse_nul(item)
    return value


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")

    # Runs before each field's own validation, so the NUL is named whatever else the field checks. Nested objects
    # are schemas too and name their own fields (`items[0].notes`).
    _no_nul = field_validator("*", mode="before")(refuse_nul)

    # A JSON body has the JSON types the OpenAPI document promises: `true`, not 1 or "yes", for a boolean; 3, not
    # "3", for a number. (A CSV row validated with the same schema is text, and pydantic converts it as usual.)
    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        if info.context and info.context.get(JSON_BODY) and info.field_name is not None:
            return json_type(cls.model_fields[info.field_name].annotation, value)
        return value


JSON_BODY = "json_body"  # validation context key: the data is a decoded JSON request body

# What JSON must carry for a field of each of these types, and what to say when it does not.
_WIRE: dict[type, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "must be true or false"),
    int: (
        lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
        "must be a whole number",
    ),
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "must be a number"),
    datetime: (lambda v: isinstance(v, str), "must be a date and time as text (ISO 8601)"),
    date: (lambda v: isinstance(v, str), "must be a date as text, e.g. 2026-11-21"),
}


def json_type(annotation: Any, value: Any) -> Any:
    """Refuse a value of the wrong JSON type for a plain field, before pydantic's lax mode would convert it."""
    if value is None:
        return value
    kinds = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    kinds = tuple(k for k in kinds if k is not NoneType)
    if not kinds or any(k not in _WIRE for k in kinds):
        return value  # strings, enums, lists and models: pydantic's own checks are already strict enough
    if any(_WIRE[k][0](value) for k in kinds):
        return value
    raise PydanticCustomError("json_type", _WIRE[kinds[0]][1])


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Postcode = Annotated[str, AfterValidator(normalise_postcode)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)]

# Every id a client sends in a body: a positive BIGINT.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def date_bounds_error(value: date, *, earliest: date = EARLIEST_DATE, latest: date) -> str | None:
    """Why `value` is outside [earliest, latest], or None."""
    if value < earliest:
        return f"cannot be before {earliest.isoformat()}"
    if value > latest:
        return "cannot be in the future" if latest == date.today() else f"cannot be after {latest.isoformat()}"
    return None


def years_ahead(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def _bounded(latest: Any) -> AfterValidator:
    def check(value: date) -> date:
        problem = date_bounds_error(value, latest=latest())
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


# Something that has happened: consent given, a donation received, a wipe done, a charger tested.
PastDate = Annotated[date, _bounded(date.today)]
# A loan's due date (at issue or extension): within a few years.
DueDate = Annotated[date, _bounded(lambda: years_ahead(MAX_LOAN_YEARS))]
# A SIM's activation (it may be booked a little ahead) and its expiry (a plan is at most 10 years).
ActivationDate = Annotated[date, _bounded(lambda: years_ahead(1))]
ExpiryDate = Annotated[date, _bounded(lambda: years_ahead(11))]

_EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """A datetime that comes in without a zone is read as UTC; one far outside any loan's life is refused.

    The bounds also keep later arithmetic (UTC conversion, `± timedelta`) clear of Python's year 1 and 9999.
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=UTC)
    if not _EARLIEST_INSTANT <= value <= _LATEST_INSTANT:
        raise ValueError(f"must be between {_EARLIEST_INSTANT.year} and {_LATEST_INSTANT.year}")
    return value.astimezone(UTC)


# Every datetime a client sends (body or query): ISO 8601, with or without a zone (none means UTC).
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
