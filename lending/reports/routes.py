"""The reports API: each report as JSON, and as CSV with the same filters."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.core.csv import CSV_MEDIA_TYPE, csv_response, csv_text
from lending.core.pagination import IdQuery, ListParams
from lending.reports.deps import provide_period_query, provide_reports
from lending.reports.schemas import (
    DonationsReport,
    GroupBy,
    LoansReport,
    Period,
    Pipeline,
    Summary,
)
from lending.reports.service import ReportService
from lending.reports.shapes import (
    DONATION_COLUMNS,
    LOAN_COLUMNS,
    STUCK_COLUMNS,
    SUMMARY_COLUMNS,
    donation_rows,
    loan_rows,
    stuck_rows,
    summary_rows,
)

StuckDays = Parameter(
    query="stuck_days", default=30, ge=1, le=3650, description="Listed when in their state longer than this many days."
)
GroupByParam = Parameter(query="group_by", default=GroupBy.month, description="What each row counts.")


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"reports": Provide(provide_reports), "period": Provide(provide_period_query)}

    @get(
        "/summary",
        guards=[allow("reports.summary")],
        summary="Now and to date: assets by kind and status, loans, the waiting list, SIMs expiring, reach",
    )
    async def summary(self, actor: Actor, reports: ReportService, centre_id: IdQuery = None) -> Summary:
        return await reports.summary(actor, centre_id)

    @get(
        "/summary.csv",
        guards=[allow("reports.summary")],
        media_type=CSV_MEDIA_TYPE,
        summary="The summary as CSV: one figure a row",
    )
    async def summary_csv(self, actor: Actor, reports: ReportService, centre_id: IdQuery = None) -> Response[str]:
        return csv_response(
            csv_text(SUMMARY_COLUMNS, summary_rows(await reports.summary(actor, centre_id))), "summary.csv"
        )

    @get(
        "/loans",
        guards=[allow("reports.loans")],
        summary="Loans issued and returned, families and children reached, per month, school, centre, district or kind",
        description="A school's user gets its own school's loans only. Families and children of a group of 1-4 "
        'families show as "<5".',
    )
    async def loans(
        self,
        actor: Actor,
        reports: ReportService,
        period: Period,
        group_by: GroupBy = GroupByParam,
        centre_id: IdQuery = None,
    ) -> LoansReport:
        return await reports.loans(actor, period, group_by, centre_id)

    @get("/loans.csv", guards=[allow("reports.loans")], media_type=CSV_MEDIA_TYPE, summary="The loans report as CSV")
    async def loans_csv(
        self,
        actor: Actor,
        reports: ReportService,
        period: Period,
        group_by: GroupBy = GroupByParam,
        centre_id: IdQuery = None,
    ) -> Response[str]:
        report = await reports.loans(actor, period, group_by, centre_id)
        return csv_response(csv_text(LOAN_COLUMNS, loan_rows(report)), f"loans-by-{group_by.value}.csv")

    @get(
        "/pipeline",
        guards=[allow("reports.pipeline")],
        summary="Days from received to ready, nomination to loan, and loan length; assets stuck in a state",
        description="Median and 90th percentile (interpolated, as PostgreSQL's percentile_cont) over the period. "
        "Stuck: assets received, in refurbishment, ready, returned or in repair for longer than `stuck_days`, "
        "the longest first, paged.",
    )
    async def pipeline(
        self,
        actor: Actor,
        reports: ReportService,
        period: Period,
        list_params: ListParams,
        stuck_days: int = StuckDays,
        centre_id: IdQuery = None,
    ) -> Pipeline:
        return await reports.pipeline(actor, period, stuck_days, list_params, centre_id)

    @get(
        "/pipeline.csv",
        guards=[allow("reports.pipeline")],
        media_type=CSV_MEDIA_TYPE,
        summary="The stuck assets as CSV, every one (the durations are in the JSON report)",
    )
    async def pipeline_csv(
        self, actor: Actor, reports: ReportService, stuck_days: int = StuckDays, centre_id: IdQuery = None
    ) -> Response[str]:
        stuck = await reports.stuck_assets(actor, stuck_days, centre_id)
        return csv_response(csv_text(STUCK_COLUMNS, stuck_rows(stuck)), "stuck-assets.csv")

    @get(
        "/donations",
        guards=[allow("reports.donations")],
        summary="Per donor, for donations received in the period: assets donated, lent, gifted and retired",
    )
    async def donations(self, actor: Actor, reports: ReportService, period: Period) -> DonationsReport:
        return await reports.donations(actor, period)

    @get(
        "/donations.csv",
        guards=[allow("reports.donations")],
        media_type=CSV_MEDIA_TYPE,
        summary="The donations report as CSV",
    )
    async def donations_csv(self, actor: Actor, reports: ReportService, period: Period) -> Response[str]:
        report = await reports.donations(actor, period)
        return csv_response(csv_text(DONATION_COLUMNS, donation_rows(report)), "donations.csv")
