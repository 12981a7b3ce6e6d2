"""Litestar providers for reports: the service, and the period every report but the summary takes."""

from __future__ import annotations

from datetime import date

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.core.errors import DomainError, FieldError, Invalid
from lending.core.schemas import EARLIEST_DATE, date_bounds_error, years_ahead
from lending.reports.schemas import Period
from lending.reports.service import ReportService, period_of

# How far ahead a period may end: far enough for any plan, near enough that no date arithmetic overflows.
LATEST_YEARS_AHEAD = 10


async def provide_reports(db_session: AsyncSession) -> ReportService:
    return ReportService(db_session)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _day(name: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid.field(name, f"'{text[:40]}' is not a date (YYYY-MM-DD)") from None


async def provide_period_query(
    # Read as text and parsed here, so that a bad date is reported as `from` (Litestar would name it `from_`).
    from_: str | None = Parameter(
        query="from",
        default=None,
        schema_extra={"format": "date"},
        description="First day, inclusive (default: 12 months before `to`).",
    ),
    to: str | None = Parameter(
        query="to",
        default=None,
        schema_extra={"format": "date"},
        description="Last day, inclusive (default: today).",
    ),
) -> Period:
    """The `?from=&to=` of a request, by the one rule below."""
    days: dict[str, date | None] = {}
    problems: list[FieldError] = []
    for name, text in (("from", from_), ("to", to)):
        try:
            days[name] = _day(name, text)
        except Invalid as exc:
            problems += exc.errors
    if problems:
        raise Invalid.of(problems)
    return await provide_period(days["from"], days["to"])


async def provide_period(from_: date | None = None, to: date | None = None) -> Period:
    """The one rule for a report's period: `to` defaults to today, `from` to 12 months before it; both within
    the dates Lending takes (2000 to ten years ahead, a 422 naming the field); `from` after `to` is a 400 naming
    `from`."""
    latest = years_ahead(LATEST_YEARS_AHEAD)
    problems = [
        FieldError(name, problem)
        for name, value in (("from", from_), ("to", to))
        if value is not None and (problem := date_bounds_error(value, latest=latest))
    ]
    if problems:
        raise Invalid.of(problems)
    last = to or date.today()
    first = from_ or max(_year_before(last), EARLIEST_DATE)
    if first > last:
        raise DomainError(
            f"from ({first.isoformat()}) is after to ({last.isoformat()})",
            errors=[FieldError("from", f"must not be after to ({last.isoformat()})")],
        )
    return period_of(first, last)
