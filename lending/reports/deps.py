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


async def provide_period(
    from_: date | None = Parameter(
        query="from", default=None, description="First day, inclusive (default: 12 months before `to`)."
    ),
    to: date | None = Parameter(query="to", default=None, description="Last day, inclusive (default: today)."),
) -> Period:
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
