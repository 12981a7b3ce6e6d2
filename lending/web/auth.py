"""Who is signed in on a page request: the session cookie, looked up in the database on every request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Response
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from lending.accounts.sessions import COOKIE, WebSessions
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core.request_id import request_id_of

# Remembers "this browser signed in to this account before" (issue 7's device token), so a desk is not slowed down
# by someone else's failed attempts at the same account.
DEVICE_COOKIE = "lending_device"


class WebSessionAuth(AbstractAuthenticationMiddleware):
    """Never refuses by itself: a page's guard decides (the sign-in page and the finder page need nobody)."""

    def __init__(self, app: ASGIApp, alchemy: SQLAlchemyAsyncConfig, settings: Settings) -> None:
        super().__init__(app)
        self.alchemy = alchemy
        self.ttl = timedelta(hours=settings.session_hours)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = connection.cookies.get(COOKIE)
        if not token:
            return AuthenticationResult(user=None, auth=None)
        session = self.alchemy.provide_session(connection.app.state, connection.scope)
        user = await WebSessions(session, self.ttl).user_for(token)
        if user is not None:
            set_actor(session, user_id=user.id, label=user.email, request_id=request_id_of(connection.scope))
        # The lookup's read ends here: a form body then arrives at the client's pace holding no snapshot or lock.
        if session.in_transaction():
            await session.commit()
        return AuthenticationResult(user=user, auth=token if user is not None else None)


def set_session_cookies(
    response: Response[Any], settings: Settings, token: str, device_token: str | None
) -> Response[Any]:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(timedelta(hours=settings.session_hours).total_seconds()),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )
    if device_token:
        response.set_cookie(
            DEVICE_COOKIE,
            device_token,
            max_age=400 * 24 * 3600,
            httponly=True,
            secure=settings.cookie_secure,
            samesite="strict",
            path="/login",
        )
    return response


def clear_session_cookie(response: Response[Any], settings: Settings) -> Response[Any]:
    response.delete_cookie(COOKIE, path="/")
    return response
