"""Time as the families live it: Europe/London, and the quiet hours when no text is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from lending.config import Settings
from lending.i18n import LONDON
from lending.messages.models import Channel


def london_today(now: datetime | None = None) -> date:
    """The date in Britain: a run at 00:30 BST is the new day's, though UTC still says yesterday."""
    return (now or datetime.now(UTC)).astimezone(LONDON).date()


def in_quiet_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether `moment` falls in the quiet hours [start, end) on London's clock; they may span midnight."""
    local = moment.astimezone(LONDON).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: datetime, start: time, end: time) -> datetime:
    """The first moment at or after `moment` outside the quiet hours (in UTC)."""
    if not in_quiet_hours(moment, start, end):
        return moment
    local = moment.astimezone(LONDON)
    day = local.date()
    # Past midnight the quiet hours end today; before it (from `start` on), tomorrow.
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=LONDON).astimezone(UTC)


def first_attempt(channel: Channel, now: datetime, settings: Settings) -> datetime:
    """When a newly queued message may first be sent: now, or for a text the end of the quiet hours."""
    if channel is Channel.sms:
        return quiet_hours_end(now, settings.quiet_hours_start, settings.quiet_hours_end)
    return now
