"""Signed-in browsers: a random token in an HttpOnly cookie, its SHA-256 in `web_session`.

Every page request looks the row up and checks the user is active and still on the token version the session was
opened under, so signing out, deactivation and a password change or reset end a browser's session at once, on every
worker process.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.models import User, WebSession

COOKIE = "lending_session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebSessions:
    def __init__(self, session: AsyncSession, ttl: timedelta) -> None:
        self.session = session
        self.ttl = ttl

    async def open(self, user: User) -> str:
        """A new session for `user`; its token (for the cookie) is returned and never stored."""
        now = datetime.now(UTC)
        # Expired sessions of this user go as new ones come, so the table never grows with old sign-ins.
        await self.session.execute(
            delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
        )
        token = secrets.token_urlsafe(32)
        self.session.add(
            WebSession(
                token_hash=token_hash(token),
                user_id=user.id,
                token_version=user.token_version,
                expires_at=now + self.ttl,
            )
        )
        return token

    async def user_for(self, token: str) -> User | None:
        """The user a cookie's token signs in, or None (unknown, expired, signed out, deactivated, password reset)."""
        if not token or len(token) > 100:
            return None
        row = (
            await self.session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == token_hash(token))
            )
        ).first()
        if row is None:
            return None
        web_session, user = row
        if web_session.expires_at <= datetime.now(UTC) or not user.is_active:
            return None
        if web_session.token_version != user.token_version:
            return None
        return user

    async def close(self, token: str) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
