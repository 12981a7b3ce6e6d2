"""What the staff dashboard and a school's home show: figures from ReportService, charts drawn on the server.

Each chart is the reports' own reportlab Drawing (lending/reports/charts.py, the one the PDFs draw) rendered as
inline SVG with its title, and the same bars are given again as a text table beside it: the table is what a screen
reader, a printout in black and white or a copy into a funding bid reads. No figure here is computed again: every
number is ReportService's or LoanService's, so the page, the API and the PDFs agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import anyio.to_thread
from markupsafe import Markup

from lending.core.pagination import ListParams
from lending.documents.service import RENDERING
from lending.inventory.models import Status
from lending.loans.service import LoanFilters, LoanService, LoanView
from lending.reports import charts
from lending.reports.schemas import Bar, LoanGroup, LoansReport, Period, Summary
from lending.reports.service import DUE_SOON_DAYS, SIM_EXPIRY_DAYS

# The stock pipeline, in the order an asset goes through it; the states an asset leaves the stock by come after.
PIPELINE = [Status.received, Status.in_refurbishment, Status.ready, Status.on_loan, Status.returned, Status.repair]
LEFT = [Status.gifted, Status.retired, Status.lost, Status.stolen]
STATE_WORDS = {
    Status.received: "Received",
    Status.in_refurbishment: "In refurbishment",
    Status.ready: "Ready to lend",
    Status.on_loan: "On loan",
    Status.returned: "Returned, to check",
    Status.repair: "In repair",
    Status.gifted: "Gifted",
    Status.retired: "Retired",
    Status.lost: "Lost",
    Status.stolen: "Stolen",
}
# How many loans each list on the dashboard shows; the link under it opens the whole list.
LIST_SIZE = 5
# What the chart's description says: its figures are read in the table, not twice over.
BESIDE = "Every figure of this chart is in the table beside it."
# Districts drawn in the reach chart, the most loans first, so that a long tail stays readable; the table beside
# it lists every district.
MAX_DISTRICTS = 12


@dataclass
class Chart:
    """One chart: its SVG and the same figures as a table (its column headings and rows)."""

    key: str
    title: str
    description: str
    svg: Markup
    columns: list[str]
    rows: list[list[str | int]]
    note: str = ""


async def drawn(*makers: Callable[[], Chart]) -> list[Chart]:
    """Charts drawn in a worker thread: reportlab takes tens of milliseconds a chart, which the event loop would
    spend not answering the desks; under the lock every PDF render holds, since reportlab keeps global state."""

    def draw() -> list[Chart]:
        with RENDERING:
            return [make() for make in makers]

    return await anyio.to_thread.run_sync(draw)


@dataclass
class LoanList:
    """One of the dashboard's lists: the first few loans, how many there are in all, and the page with them all."""

    key: str
    title: str
    empty: str
    href: str
    total: int
    loans: list[LoanView] = field(default_factory=list)


def last_twelve_months(today: date | None = None) -> Period:
    """Twelve whole calendar months up to today: from the first of the month eleven months ago (a chart of
    twelve bars, none of them a sliver of a month)."""
    to = today or date.today()
    months = to.year * 12 + to.month - 1 - 11
    return Period.model_validate({"from": date(months // 12, months % 12 + 1, 1), "to": to})


def months_between(period: Period) -> list[str]:
    """Every month of the period as the loans report names them (2026-03), oldest first."""
    months = []
    year, month = period.from_.year, period.from_.month
    while (year, month) <= (period.to.year, period.to.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_label(key: str) -> str:
    return date(int(key[:4]), int(key[5:7]), 1).strftime("%b %Y")


def stock_chart(summary: Summary) -> Chart:
    counts: dict[Status, int] = {}
    for row in summary.assets:
        counts[row.status] = counts.get(row.status, 0) + row.count
    bars = [Bar(label=STATE_WORDS[s], value=counts.get(s, 0)) for s in PIPELINE]
    left = [f"{counts[s]} {STATE_WORDS[s].lower()}" for s in LEFT if counts.get(s)]
    title = "Stock pipeline: assets in each state now"
    description = BESIDE
    return Chart(
        key="stock",
        title=title,
        description=description,
        svg=charts.svg(charts.bar_chart(title, bars), title, description),
        columns=["State", "Assets"],
        rows=[[b.label, b.value] for b in bars],
        note=("Left the stock: " + ", ".join(left) + ".") if left else "",
    )


def loans_by_month_chart(report: LoansReport, title: str = "Loans issued each month") -> Chart:
    by_month: dict[str, LoanGroup] = {g.group: g for g in report.groups}
    keys = months_between(report.period)
    bars = [Bar(label=month_label(k), value=by_month[k].loans_issued if k in by_month else 0) for k in keys]
    description = BESIDE
    rows: list[list[str | int]] = []
    for key in keys:
        group = by_month.get(key)
        rows.append([month_label(key), group.loans_issued if group else 0, group.loans_returned if group else 0])
    return Chart(
        key="loans-by-month",
        title=title,
        description=description,
        svg=charts.svg(charts.bar_chart(title, bars), title, description),
        columns=["Month", "Loans issued", "Loans returned"],
        rows=rows,
    )


def reach_chart(report: LoansReport) -> Chart:
    """Families reached per postcode district, the most first; under 5 families a district shows "<5"."""
    groups = sorted(report.groups, key=lambda g: (-g.loans_issued, g.group))
    charted = groups[:MAX_DISTRICTS]
    bars = [Bar(label=g.group or "No postcode", value=g.families) for g in charted]
    title = "Reach by postcode district: families with a loan"
    description = BESIDE
    rest = len(groups) - len(charted)
    return Chart(
        key="reach",
        title=title,
        description=description,
        svg=charts.svg(charts.bar_chart(title, bars, horizontal=True), title, description),
        columns=["District", "Families", "Children", "Loans issued"],
        rows=[[g.group or "No postcode", g.families, g.children, g.loans_issued] for g in groups],
        note=f"The chart shows the {MAX_DISTRICTS} districts with the most loans; the table shows all {len(groups)}."
        if rest > 0
        else "",
    )


async def loan_lists(loans: LoanService, centre_id: int | None) -> list[LoanList]:
    """The overdue, due-soon and SIM-expiry lists, each the first few of what its filtered page lists in full."""
    wanted = [
        (
            "overdue",
            "Overdue",
            "No loan is overdue.",
            LoanFilters(centre_id=centre_id, overdue=True),
            "overdue=true",
        ),
        (
            "due-soon",
            f"Due back within {DUE_SOON_DAYS} days",
            f"No loan is due back within {DUE_SOON_DAYS} days.",
            LoanFilters(centre_id=centre_id, due_within_days=DUE_SOON_DAYS),
            f"due_within_days={DUE_SOON_DAYS}",
        ),
        (
            "sim-expiry",
            f"SIM plans ending within {SIM_EXPIRY_DAYS} days",
            f"No SIM on loan has a plan ending within {SIM_EXPIRY_DAYS} days.",
            LoanFilters(centre_id=centre_id, sim_expiring_within_days=SIM_EXPIRY_DAYS),
            f"sim_expiring_within_days={SIM_EXPIRY_DAYS}",
        ),
    ]
    lists = []
    for key, title, empty, filters, query in wanted:
        found, total = await loans.list_loans(ListParams(limit=LIST_SIZE, sort="due_on"), filters)
        if centre_id is not None:
            query += f"&centre_id={centre_id}"
        lists.append(
            LoanList(key, title, empty, f"/staff/loans?{query}", total, await loans.views(found) if found else [])
        )
    return lists
