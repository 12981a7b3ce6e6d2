from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, StringConstraints

from lending.core import validators
from lending.core.schemas import Name, OutSchema, Postcode, Schema, ShortText

Urn = Annotated[str, StringConstraints(pattern=r"^\d{6}$", strip_whitespace=True)]
Phone = Annotated[str, AfterValidator(validators.uk_phone)]


class SchoolCreate(Schema):
    name: Name
    urn: Urn
    address: ShortText = ""
    postcode: Postcode | None = None
    phone: Phone | None = None
    contact_name: Name | None = None
    contact_email: EmailStr | None = None
    is_active: bool = True


class SchoolUpdate(Schema):
    name: Name | None = None
    urn: Urn | None = None
    address: ShortText | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    contact_name: Name | None = None
    contact_email: EmailStr | None = None
    is_active: bool | None = None


class SchoolOut(OutSchema):
    id: int
    name: str
    urn: str
    address: str
    postcode: str | None
    phone: str | None
    contact_name: str | None
    contact_email: str | None
    is_active: bool
    # From the DfE's register (`lending import schools`); null for a school typed in by hand.
    phase: str | None = None
    percentage_fsm: float | None = None
    establishment_status: str | None = None
    created_at: datetime
