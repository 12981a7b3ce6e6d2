from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field, SecretStr, field_validator

from lending.accounts.models import Role
from lending.accounts.passwords import MAX_LENGTH, POLICY, password_problem
from lending.core.schemas import Id, Name, OutSchema, Schema


class TokenRequest(Schema):
    email: str = Field(min_length=1, max_length=320)
    password: SecretStr = Field(min_length=1, max_length=MAX_LENGTH)
    device_token: str | None = Field(
        None,
        max_length=200,
        description="The `device_token` from this device's last sign-in to this account, if any.",
    )


class TokenResponse(OutSchema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    device_token: str = Field(
        description="Keep it on this device and send it with the next sign-in: a device known to the account is "
        "not slowed down by failed attempts of others. It ends with a password change or reset."
    )


def _check_password(value: SecretStr | None) -> SecretStr | None:
    # The rules that need no account, here so that they are reported with the body's other faults; the service
    # applies the whole policy (with the email) again.
    problem = password_problem(value.get_secret_value()) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


class UserCreate(Schema):
    email: EmailStr
    name: Name
    role: Role
    home_centre_id: Id | None = None
    school_id: Id | None = Field(None, description="Required for (and only for) the school role.")
    password: SecretStr | None = Field(None, description=f"{POLICY}; omit to generate one (returned once).")

    _password = field_validator("password")(_check_password)


class UserUpdate(Schema):
    name: Name | None = None
    role: Role | None = None
    home_centre_id: Id | None = None
    school_id: Id | None = None
    is_active: bool | None = None


class PasswordReset(Schema):
    password: SecretStr | None = Field(None, description=f"{POLICY}; omit to generate one (returned once).")

    _password = field_validator("password")(_check_password)


class PasswordChange(Schema):
    current_password: SecretStr = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: SecretStr = Field(min_length=1, max_length=MAX_LENGTH, description=POLICY)

    _new_password = field_validator("new_password")(_check_password)


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
