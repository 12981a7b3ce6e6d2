from __future__ import annotations

from datetime import timedelta
from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor, allow
from lending.accounts.auth import issue_token
from lending.accounts.deps import provide_account_service
from lending.accounts.models import Role, User
from lending.accounts.schemas import (
    PasswordChange,
    PasswordReset,
    PasswordResetDone,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from lending.accounts.service import AccountService, NewUser
from lending.accounts.signin import SignedIn, SignIn, client_address
from lending.config import Settings
from lending.core.openapi import USES_DATABASE
from lending.core.pagination import ListParams, page


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_account_service)}

    @post(
        "/token",
        status_code=200,
        exclude_from_auth=True,
        summary="Exchange email and password for a token",
        description="Limited per client address and account, per address across accounts, and per account "
        "with a growing wait (429 with Retry-After). Send back the `device_token` of your last "
        "sign-in: a device that signed in before is not slowed down by others' failed attempts.",
        raises=[NotAuthorizedException, TooManyRequestsException],
        opt={USES_DATABASE: True},
    )
    async def token(self, request: Request, data: TokenRequest, settings: Settings) -> TokenResponse:
        sign_in: SignIn = request.app.state.sign_in
        done = await sign_in.sign_in(
            client_address(request), data.email, data.password.get_secret_value(), data.device_token
        )
        if done is None:
            # Same answer for an unknown email and a wrong password: no account discovery.
            raise NotAuthorizedException("Wrong email or password.")
        return token_response(request, settings, done)


def token_response(request: Request, settings: Settings, done: SignedIn) -> TokenResponse:
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(request.app.state.jwt_auth, done.user, ttl)
    return TokenResponse(access_token=token, expires_in=int(ttl.total_seconds()), device_token=done.device_token)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    guards = [allow("me.read")]

    @get("/", summary="Who am I")
    async def me(self, request: Request[User, Any, Any]) -> UserOut:
        return UserOut.model_validate(request.user)

    @post(
        "/password",
        status_code=200,
        guards=[allow("me.change_password")],
        summary="Change your own password (signs out your other sessions)",
        description="Needs the current password, counted by the sign-in limit like a sign-in. Every token "
        "issued before, this one included, stops working: the answer carries a fresh token.",
        raises=[TooManyRequestsException],
    )
    async def change_password(
        self, request: Request[User, Any, Any], data: PasswordChange, db_session: AsyncSession, settings: Settings
    ) -> TokenResponse:
        sign_in: SignIn = request.app.state.sign_in
        done = await sign_in.change_password(
            db_session,
            request.user,
            client_address(request),
            data.current_password.get_secret_value(),
            data.new_password.get_secret_value(),
        )
        return token_response(request, settings, done)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]
    guards = [allow("users.manage")]
    dependencies = {"accounts": Provide(provide_account_service)}

    @get("/", summary="List users")
    async def list_users(
        self,
        accounts: AccountService,
        list_params: ListParams,
        role: Role | None = None,
        active: bool | None = None,
        q: str | None = Parameter(default=None, max_length=200),
    ) -> OffsetPagination[UserOut]:
        users, total = await accounts.list(list_params, role=role, active=active, q=q)
        return page([UserOut.model_validate(u) for u in users], total, list_params)

    @post("/", summary="Create a user")
    async def create_user(self, data: UserCreate, accounts: AccountService) -> UserCreated:
        password = data.password.get_secret_value() if data.password else None
        user, generated = await accounts.create(
            NewUser(
                email=data.email,
                name=data.name,
                role=data.role,
                password=password,
                home_centre_id=data.home_centre_id,
                school_id=data.school_id,
            )
        )
        return UserCreated.model_validate(
            {**UserOut.model_validate(user).model_dump(), "generated_password": generated}
        )

    @get("/{user_id:int}", summary="Get a user")
    async def get_user(self, user_id: int, accounts: AccountService) -> UserOut:
        return UserOut.model_validate(await accounts.get(user_id))

    @patch("/{user_id:int}", summary="Change a user's name, role, home centre or active flag")
    async def update_user(self, actor: Actor, user_id: int, data: UserUpdate, accounts: AccountService) -> UserOut:
        user = await accounts.update(user_id, actor=actor, changes=data.model_dump(exclude_unset=True))
        return UserOut.model_validate(user)

    @post("/{user_id:int}/password", status_code=200, summary="Reset a user's password (signs them out)")
    async def reset_password(self, user_id: int, data: PasswordReset, accounts: AccountService) -> PasswordResetDone:
        _, generated = await accounts.reset_password(
            user_id, data.password.get_secret_value() if data.password else None
        )
        return PasswordResetDone(generated_password=generated)
