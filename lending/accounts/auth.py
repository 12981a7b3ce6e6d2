"""Bearer tokens, role guards and the login rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from lending.accounts.models import Role, User
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core.request_id import request_id_of


def build_jwt_auth(settings: Settings, alchemy: SQLAlchemyAsyncConfig) -> JWTAuth[User, Token]:
    async def retrieve_user(token: Token, connection: ASGIConnection) -> User | None:
        session = alchemy.provide_session(connection.app.state, connection.scope)
        try:
            user = await session.get(User, int(token.sub))
        except ValueError:
            return None
        if user is None or not user.is_active:
            return None
        # JWT times have whole seconds: a token from the same second as a reset still counts as older.
        if token.iat < user.password_changed_at.replace(microsecond=0):
            return None
        set_actor(session, user_id=user.id, label=user.email, request_id=request_id_of(connection.scope))
        return user

    return JWTAuth[User, Token](
        token_secret=settings.token_secret(),
        retrieve_user_handler=retrieve_user,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        # The OpenAPI document is public; other public routes say so with `exclude_from_auth=True`.
        exclude=[r"^/schema"],
        openapi_security_scheme_name="BearerToken",
        description="Bearer token from POST /api/v1/auth/token.",
    )


def requires(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """Guard: the signed-in user must hold one of `roles` (401 when nobody is signed in)."""
    allowed = {r.value for r in roles}

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, User):
            raise NotAuthorizedException("Sign in first.")
        if user.role not in allowed:
            raise PermissionDeniedException(
                f"Your role ({user.role}) may not do this; it needs one of: {', '.join(sorted(allowed))}."
            )

    guard.__name__ = f"requires_{'_'.join(sorted(allowed))}"
    return guard


class LoginLimiter:
    """Moving-window limit on login attempts per client address and email (in this process)."""

    def __init__(self, attempts: int, window_seconds: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._item = RateLimitItemPerSecond(attempts, window_seconds)

    def hit(self, client: str, email: str) -> None:
        key = (client, email.strip().lower())
        if not self._limiter.hit(self._item, *key):
            reset_at = self._limiter.get_window_stats(self._item, *key).reset_time
            retry_after = max(1, int(reset_at - time.time()) + 1)
            raise TooManyRequestsException(
                "Too many sign-in attempts; wait before trying again.",
                headers={"Retry-After": str(retry_after)},
            )
