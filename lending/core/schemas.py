"""Base for request and response schemas."""

from __future__ import annotations

from datetime import date, datetime
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from lending.core.validators import normalise_postcode


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")

    # A JSON body has the JSON types the OpenAPI document promises: `true`, not 1 or "yes", for a boolean; 3, not
    # "3", for a number. (A CSV row validated with the same schema is text, and pydantic converts it as usual.)
    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        if info.context and info.context.get(JSON_BODY):
            return json_type(cls.model_fields[info.field_name].annotation, value)
        return value


JSON_BODY = "json_body"  # validation context key: the data is a decoded JSON request body

# What JSON must carry for a field of each of these types, and what to say when it does not.
_WIRE: dict[type, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "must be true or false"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool)
          or isinstance(v, float) and v.is_integer(), "must be a whole number"),
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
