"""Bearer tokens: who is signed in (what they may do is lending.access)."""

from __future__ import annotations

from datetime import timedelta

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from lending.access import PUBLIC_PATH_PREFIX
from lending.accounts.models import User
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core.request_id import request_id_of

VERSION_CLAIM = "ver"


def issue_token(jwt_auth: JWTAuth[User, Token], user: User, ttl: timedelta) -> str:
    return jwt_auth.create_token(
        identifier=str(user.id), token_expiration=ttl, token_extras={VERSION_CLAIM: user.token_version}
    )


def build_jwt_auth(
    settings: Settings, alchemy: SQLAlchemyAsyncConfig, pages: str | None = None
) -> JWTAuth[User, Token]:
    """`pages`: a pattern of the paths signed in by the pages' session cookie instead (lending.web), never by a
    bearer token."""

    async def retrieve_user(token: Token, connection: ASGIConnection) -> User | None:
        session = alchemy.provide_session(connection.app.state, connection.scope)
        try:
            user = await session.get(User, int(token.sub))
        except ValueError:
            return None
        if user is None or not user.is_active:
            return None
        # Not the issue time (whole seconds: a token from the same second as a reset would survive it) but the
        # version the token was issued under. Tokens without one are version 0.
        if token.extras.get(VERSION_CLAIM, 0) != user.token_version:
            return None
        set_actor(session, user_id=user.id, label=user.email, request_id=request_id_of(connection.scope))
        return user

    return JWTAuth[User, Token](
        token_secret=settings.token_secret(),
        retrieve_user_handler=retrieve_user,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        # The OpenAPI document is public; the API's other public routes (lending.access.PUBLIC_PATHS) say so with
        # `exclude_from_auth=True`.
        exclude=[rf"^{PUBLIC_PATH_PREFIX}", *([pages] if pages else [])],
        openapi_security_scheme_name="BearerToken",
        description="Bearer token from POST /api/v1/auth/token.",
    )
