from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lending.core.schemas import Name, OutSchema, Postcode, Schema, ShortText


class CentreCreate(Schema):
    name: Name
    address: ShortText = ""
    postcode: Postcode
    phone: str = Field("", max_length=40)
    opening_hours: ShortText = ""
    is_active: bool = True


class CentreUpdate(Schema):
    name: Name | None = None
    address: ShortText | None = None
    postcode: Postcode | None = None
    phone: str | None = Field(None, max_length=40)
    opening_hours: ShortText | None = None
    is_active: bool | None = None


class CentreOut(OutSchema):
    id: int
    name: str
    address: str
    postcode: str
    phone: str
    opening_hours: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
