"""Base for request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from lending.core.validators import normalise_postcode


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Postcode = Annotated[str, AfterValidator(normalise_postcode)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)]
