"""The sign-in limit, kept in the database so that every worker process counts the same attempts.

Three rules, checked together before a password is looked at:

- per client address and account: `login_max_attempts` failures within the window, then 429;
- per address across accounts (password spraying): failures on `login_max_accounts_per_address` different
  accounts within the window, then 429;
- per account, from anywhere: after `login_account_free_failures` failures since its last success, each further
  attempt waits 1, 2, 4 … seconds after the latest failure, never more than `login_account_max_delay_seconds`.
  Attempts refused for waiting are not counted, so others cannot push the wait beyond that cap, and the owner can
  always try again after it.

A client that shows a device token (handed out at its last successful sign-in to this account, see
`lending.accounts.signin`) is known to the account: the three rules do not apply to it, so no one else's failures,
from its address or anywhere, can lock the owner out of a device they have used before. Such a token is limited on
its own (`login_max_attempts` failures within the window); past that it counts as unknown.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar.exceptions import TooManyRequestsException
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.models import LoginAttempt
from lending.config import Settings

# How long an account's failures are remembered for the progressive wait: long enough that a patient attacker,
# one guess per capped wait, stays at the cap.
ACCOUNT_MEMORY = timedelta(hours=24)


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    id: int


class SignInLimits:
    def __init__(self, settings: Settings, sessions: Callable[[], AsyncSession]) -> None:
        self.settings = settings
        # A session of its own, not the request's: a failed attempt must be committed although the request
        # answers 401 (and so rolls its own transaction back).
        self.sessions = sessions
        self.window = timedelta(seconds=settings.login_window_seconds)
        self.memory = max(self.window, ACCOUNT_MEMORY)

    async def begin(self, address: str, email: str, device_key: str | None = None) -> Attempt:
        """Check every rule and record the attempt as failed, in one transaction; 429 when a rule says wait."""
        key = email_key(email)
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            await self._lock(session)
            # Old rows go first: this is also the transaction's first write, so on SQLite the write lock is held
            # from here and two workers cannot both pass the checks below on the same count.
            await session.execute(delete(LoginAttempt).where(LoginAttempt.occurred_at < now - self.memory))
            if device_key is not None and not await self._device_in_good_standing(session, device_key, now):
                device_key = None
            if device_key is None:
                await self._check_unknown_client(session, address, key, now)
            attempt = LoginAttempt(
                occurred_at=now, address=address[:64], email_key=key, device_key=device_key, succeeded=False
            )
            session.add(attempt)
            await session.flush()
            return Attempt(attempt.id)

    async def succeeded(self, attempt: Attempt) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(succeeded=True))

    @staticmethod
    async def _lock(session: AsyncSession) -> None:
        # PostgreSQL: concurrent check-then-insert of attempts must queue, or N workers could each see one failure
        # fewer than the limit. Attempts are rare and these transactions short, so one table lock is enough.
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            await session.execute(text("LOCK TABLE login_attempt IN SHARE ROW EXCLUSIVE MODE"))

    async def _device_in_good_standing(self, session: AsyncSession, device_key: str, now: datetime) -> bool:
        failures = await session.scalars(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.device_key == device_key,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.occurred_at >= now - self.window,
            )
            .limit(self.settings.login_max_attempts)
        )
        return len(failures.all()) < self.settings.login_max_attempts

    async def _check_unknown_client(self, session: AsyncSession, address: str, key: str, now: datetime) -> None:
        s = self.settings
        since = now - self.window
        rows = (
            await session.execute(
                select(LoginAttempt.email_key, LoginAttempt.occurred_at)
                .where(
                    LoginAttempt.address == address[:64],
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.device_key.is_(None),
                    LoginAttempt.occurred_at >= since,
                )
                .order_by(LoginAttempt.occurred_at)
            )
        ).all()

        same_account = [at for k, at in rows if k == key]
        if len(same_account) >= s.login_max_attempts:
            # The window frees a place when the oldest failure that keeps the count at the limit leaves it.
            frees_at = same_account[len(same_account) - s.login_max_attempts] + self.window
            raise _wait(frees_at - now, "Too many sign-in attempts for this account from your address.")

        latest_per_account: dict[str, datetime] = {}
        for k, at in rows:
            latest_per_account[k] = at
        if len(latest_per_account) >= s.login_max_accounts_per_address:
            ordered = sorted(latest_per_account.values())
            frees_at = ordered[len(ordered) - s.login_max_accounts_per_address] + self.window
            raise _wait(frees_at - now, "Too many failed sign-ins to different accounts from your address.")

        last_success = await session.scalar(
            select(LoginAttempt.occurred_at)
            .where(
                LoginAttempt.email_key == key,
                LoginAttempt.succeeded.is_(True),
                LoginAttempt.device_key.is_(None),
            )
            .order_by(LoginAttempt.occurred_at.desc())
            .limit(1)
        )
        counted_from = max(now - self.memory, last_success) if last_success else now - self.memory
        failures = (
            await session.scalars(
                select(LoginAttempt.occurred_at)
                .where(
                    LoginAttempt.email_key == key,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.device_key.is_(None),
                    LoginAttempt.occurred_at > counted_from,
                )
                .order_by(LoginAttempt.occurred_at)
            )
        ).all()
        beyond = len(failures) - s.login_account_free_failures
        if beyond >= 0:
            delay = min(float(2 ** min(beyond, 32)), float(s.login_account_max_delay_seconds))
            frees_at = failures[-1] + timedelta(seconds=delay)
            if frees_at > now:
                raise _wait(frees_at - now, "Too many failed sign-ins to this account; it is slowed down for a while.")


def _wait(wait: timedelta, reason: str) -> TooManyRequestsException:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return TooManyRequestsException(f"{reason} Try again in {seconds} seconds.", headers={"Retry-After": str(seconds)})
