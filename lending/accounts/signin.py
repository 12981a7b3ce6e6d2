"""Signing in and changing one's own password, under the sign-in limit (`lending.accounts.limits`).

Both run their bookkeeping in sessions of their own and check passwords outside any transaction: argon2 takes tens
of milliseconds, and on SQLite an open write transaction would hold every other writer for that long.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.limits import SignInLimits
from lending.accounts.models import User
from lending.accounts.passwords import hash_password_off_loop, password_problem, verify_password_off_loop
from lending.accounts.service import AccountService
from lending.config import Settings
from lending.core.errors import Invalid


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address the sign-in limits count by, for the API's token route and the sign-in page alike."""
    # X-Forwarded-For has already been applied by the server, and only from LENDING_TRUSTED_PROXIES
    # (see `lending serve`); the peer address is the client's otherwise.
    return connection.client.host if connection.client else "unknown"


@dataclass(frozen=True)
class SignedIn:
    user: User
    device_token: str


class SignIn:
    def __init__(self, settings: Settings, sessions: Callable[[], AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.limits = SignInLimits(settings, sessions)

    # A device token says "this client signed in to this account before". It is signed with the token secret and
    # bound to the account's token version, so a password change or reset, or deactivation, forgets every device.
    def _device_signature(self, user: User, nonce: str) -> str:
        message = f"lending-device:{user.id}:{user.token_version}:{nonce}".encode()
        return hmac.new(self.settings.token_secret().encode(), message, hashlib.sha256).hexdigest()

    def issue_device_token(self, user: User) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._device_signature(user, nonce)}"

    def device_key(self, user: User | None, device_token: str | None) -> str | None:
        """The key the limit counts this device's attempts under, or None when the token is not this account's."""
        if user is None or not device_token:
            return None
        nonce, _, signature = device_token.partition(".")
        if not nonce or not hmac.compare_digest(signature, self._device_signature(user, nonce)):
            return None
        return hashlib.sha256(nonce.encode()).hexdigest()

    async def sign_in(
        self, address: str, email: str, password: str, device_token: str | None = None
    ) -> SignedIn | None:
        """The user and a device token for the next time, or None (unknown email, wrong password, inactive)."""
        async with self.sessions() as session:
            user = await AccountService(session).find_by_email(email)
        device_key = self.device_key(user, device_token)
        attempt = await self.limits.begin(address, email, device_key)
        # The unknown email is checked against a dummy hash: both failures take the same time.
        ok = await verify_password_off_loop(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            return None
        await self.limits.succeeded(attempt)
        return SignedIn(user, device_token if device_key and device_token else self.issue_device_token(user))

    async def change_password(
        self, session: AsyncSession, user: User, address: str, current: str, new: str
    ) -> SignedIn:
        """The signed-in `user` changes their own password; every token and device of theirs is forgotten.

        `session` is the request's session, which loaded `user`; its transaction is ended here so that the
        attempt can be committed on its own (SQLite has one writer at a time), and the change is then made in it.
        """
        if new == current:
            raise Invalid.field("new_password", "must differ from the current password")
        problem = password_problem(new, email=user.email)
        if problem:
            raise Invalid.field("new_password", problem)
        await session.commit()
        attempt = await self.limits.begin(address, user.email)
        if not await verify_password_off_loop(user.password_hash, current):
            raise Invalid.field("current_password", "is not your current password")
        await self.limits.succeeded(attempt)
        await AccountService(session).set_password(user, await hash_password_off_loop(new))
        return SignedIn(user, self.issue_device_token(user))
