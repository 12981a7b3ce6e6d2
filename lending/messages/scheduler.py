"""The day's run, for `lending remind` and for the scheduler inside `lending serve`.

`run_day` claims the day and queues in one transaction, commits, then sends: the queue is saved before anything
leaves. The scheduler is a background task of each `lending serve` worker: once a minute it sends what is due (retries,
texts held over the quiet hours, extension notices), and from `settings.reminders_at` (Europe/London) it tries the
day's run. Every worker tries; the database's claim lets one run it. Off the request path: nothing a request waits
for, and a failure is logged (without addresses) and tried again at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.i18n import LONDON
from lending.messages.outbox import Drained, Sender
from lending.messages.quiet import london_today
from lending.messages.service import RunOutcome, remind

# Opens a session: an async_sessionmaker, or the app's own engine's.
Sessions = Callable[[], AsyncSession]
log = logging.getLogger("lending.messages")

TICK_SECONDS = 60


async def run_day(
    sessions: Sessions,
    settings: Settings,
    as_of: date,
    *,
    claimed_by: str,
    send: bool = True,
) -> tuple[RunOutcome, Drained | None]:
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label=claimed_by)
        outcome = await remind(session, settings, as_of, claimed_by)
    drained = await Sender(sessions, settings, label=claimed_by).drain() if send else None
    return outcome, drained


class Scheduler:
    """One worker's share of the daily run and of the outbox's sending."""

    def __init__(self, sessions: Sessions, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.label = f"serve:{socket.gethostname()}:{os.getpid()}"
        # The last day this process saw run (by itself or another): it does not ask the database again that day.
        self.ran_on: date | None = None
        self._task: asyncio.Task[None] | None = None

    async def tick(self, now: datetime | None = None) -> RunOutcome | None:
        now = now or datetime.now(UTC)
        outcome = None
        today = london_today(now)
        if self.ran_on != today and now.astimezone(LONDON).time() >= self.settings.reminders_at:
            outcome, _ = await run_day(self.sessions, self.settings, today, claimed_by=self.label, send=False)
            self.ran_on = today
            if outcome.claimed:
                log.info(
                    "reminders for %s: %s message(s) to %s families, %s digest(s) queued",
                    today.isoformat(),
                    sum(outcome.queued.values()),
                    outcome.families,
                    outcome.digests,
                )
        await Sender(self.sessions, self.settings, label=self.label).drain()
        return outcome

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # logged by type: a provider's or database's words may hold an address
                log.error("the reminders' scheduled pass failed (%s); trying again in a minute", type(exc).__name__)
            await asyncio.sleep(TICK_SECONDS)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="lending-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
