"""The report PDFs over HTTP: a donor's impact report and the funder report, shown inline."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.config import Settings
from lending.documents.responses import PDF
from lending.reports.deps import provide_period_query, provide_reports
from lending.reports.pdfs import off_the_loop, organisation, render_donor_impact, render_funder
from lending.reports.schemas import Period
from lending.reports.service import ReportService

# A donor's period, as the reports' (`provide_period_query`) but optional: without either, everything it gave.
FROM = Parameter(
    query="from",
    default=None,
    schema_extra={"format": "date"},
    description="First day, inclusive (default: 12 months before `to`; without `from` and `to`: all time).",
)
TO = Parameter(
    query="to",
    default=None,
    schema_extra={"format": "date"},
    description="Last day, inclusive (default: today; without `from` and `to`: all time).",
)


def pdf_response(pdf: bytes, filename: str) -> Response[bytes]:
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})


async def provide_donor_period(from_: str | None = FROM, to: str | None = TO) -> Period | None:
    """A donor's impact covers everything it gave unless a period is asked for; then the reports' one rule
    (reports/deps.py) fills in and checks it."""
    return None if from_ is None and to is None else await provide_period_query(from_, to)


class ReportPdfController(Controller):
    path = "/api/v1"
    tags = ["reports"]
    dependencies = {
        "reports": Provide(provide_reports),
        "period": Provide(provide_period_query),
        "donor_period": Provide(provide_donor_period),
    }

    @get(
        "/donors/{donor_id:int}/impact.pdf",
        guards=[allow("donors.impact")],
        media_type=PDF,
        summary="A donor's impact report (PDF)",
        description="A thank-you report for the donor: what it gave, how many devices reached families and how "
        "many children, in which postcode districts and through which schools, and its loans month by month. "
        "No family's personal data; groups of fewer than five families show '<5'. Without `from` and `to` it "
        "covers everything the donor gave.",
    )
    async def donor_impact(
        self,
        donor_id: int,
        actor: Actor,
        reports: ReportService,
        settings: Settings,
        donor_period: Period | None,
    ) -> Response[bytes]:
        impact = await reports.donor_impact(actor, donor_id, donor_period)
        org, today = organisation(settings), date.today()
        pdf = await off_the_loop(
            lambda: render_donor_impact(impact, org, generated_on=today, fonts_dir=settings.fonts_dir)
        )
        return pdf_response(pdf, f"impact-donor-{donor_id}.pdf")

    @get(
        "/reports/funder.pdf",
        guards=[allow("reports.funder")],
        media_type=PDF,
        summary="The funder report (PDF)",
        description="One or two pages for a funder: families and children reached, devices lent in the period, "
        "loans per month, the stock pipeline today and reach by postcode district. No family's personal data; "
        "groups of fewer than five families show '<5'.",
    )
    async def funder(
        self,
        actor: Actor,
        reports: ReportService,
        settings: Settings,
        period: Period,
    ) -> Response[bytes]:
        report = await reports.funder(actor, period)
        org, today = organisation(settings), date.today()
        pdf = await off_the_loop(lambda: render_funder(report, org, generated_on=today, fonts_dir=settings.fonts_dir))
        return pdf_response(pdf, f"funder-report-{report.period.from_}-to-{report.period.to}.pdf")
