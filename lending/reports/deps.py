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


def _day(name: str, text: str | None, latest: date) -> tuple[date | None, FieldError | None]:
    if text is None:
        return None, None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, FieldError(name, f"'{text}' is not a date (YYYY-MM-DD)")
    problem = date_bounds_error(value, latest=latest)
    return value, FieldError(name, problem) if problem else None


async def provide_period(
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
    latest = years_ahead(LATEST_YEARS_AHEAD)
    first, first_problem = _day("from", from_, latest)
    last, last_problem = _day("to", to, latest)
    problems = [p for p in (first_problem, last_problem) if p is not None]
    if problems:
        raise Invalid.of(problems)
    return _period(first, last)


def _period(from_: date | None, to: date | None) -> Period:
    last = to or date.today()
    first = from_ or max(_year_before(last), EARLIEST_DATE)
    if first > last:
        raise DomainError(
            f"from ({first.isoformat()}) is after to ({last.isoformat()})",
            errors=[FieldError("from", f"must not be after to ({last.isoformat()})")],
        )
    return period_of(first, last)
