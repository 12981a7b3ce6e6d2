"""Every report, aggregated in SQL from what the actor may read (the domains' readable statements)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.core.pagination import ListParams
from lending.reports.schemas import (
    DonationsReport,
    DonorImpact,
    FunderReport,
    GroupBy,
    LoansReport,
    Period,
    Pipeline,
    Summary,
)


class ReportService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def summary(self, actor: Actor, centre_id: int | None = None) -> Summary:
        raise NotImplementedError

    async def loans(self, actor: Actor, period: Period, group_by: GroupBy, centre_id: int | None = None) -> LoansReport:
        raise NotImplementedError

    async def pipeline(
        self, actor: Actor, period: Period, stuck_days: int, params: ListParams, centre_id: int | None = None
    ) -> Pipeline:
        raise NotImplementedError

    async def donations(self, actor: Actor, period: Period) -> DonationsReport:
        raise NotImplementedError

    async def donor_impact(self, actor: Actor, donor_id: int, period: Period | None = None) -> DonorImpact:
        raise NotImplementedError

    async def funder(self, actor: Actor, period: Period) -> FunderReport:
        raise NotImplementedError
