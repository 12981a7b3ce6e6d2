from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field, SecretStr, field_validator

from lending.accounts.models import Role
from lending.accounts.passwords import MIN_LENGTH
from lending.core.schemas import Id, Name, OutSchema, Schema


class TokenRequest(Schema):
    email: str = Field(min_length=1, max_length=320)
    password: SecretStr = Field(min_length=1, max_length=1024)


class TokenResponse(OutSchema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")



def _check_password(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < MIN_LENGTH:
        raise ValueError(f"must be at least {MIN_LENGTH} characters")
    return value


class UserCreate(Schema):
    email: EmailStr
    name: Name
    role: Role
    home_centre_id: Id | None = None
    school_id: Id | None = Field(None, description="Required for (and only for) the school role.")
    password: SecretStr | None = Field(
        None, description=f"At least {MIN_LENGTH} characters; omit to generate one (returned once)."
    )

    _password = field_validator("password")(_check_password)


class UserUpdate(Schema):
    name: Name | None = None
    role: Role | None = None
    home_centre_id: Id | None = None
    school_id: Id | None = None
    is_active: bool | None = None


class PasswordReset(Schema):
    password: SecretStr | None = Field(None, description="Omit to generate one (returned once).")

    _password = field_validator("password")(_check_password)


class UserOut(OutSchema):
    id: int
    email: str
    name: str
    role: Role
    home_centre_id: int | None
    school_id: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserCreated(UserOut):
    generated_password: str | None = Field(None, description="Shown once when the password was generated.")


class PasswordResetDone(OutSchema):
    generated_password: str | None = None
