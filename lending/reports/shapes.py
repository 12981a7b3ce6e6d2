"""The reports as CSV rows: the same figures as the JSON, flattened for a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from lending.reports.schemas import DonationsReport, LoansReport, Reach, StuckAsset, Summary

SUMMARY_COLUMNS = ["figure", "value"]
LOAN_COLUMNS = ["group", "group_id", "loans_issued", "loans_returned", "families", "children"]
STUCK_COLUMNS = ["tag", "kind", "status", "centre_id", "since", "days"]
DONATION_COLUMNS = ["donor_id", "name", "kind", "donations", "assets_donated", "lent", "gifted", "retired"]


def _reach(prefix: str, reach: Reach) -> Iterator[dict[str, Any]]:
    for name, value in reach.model_dump().items():
        yield {"figure": f"{prefix}.{name}", "value": value}


def summary_rows(summary: Summary) -> Iterator[dict[str, Any]]:
    """`assets.laptop.ready`, `loans.overdue`, `this_year.families`, ...: one figure a row."""
    yield {"figure": "as_of", "value": summary.as_of}
    for count in summary.assets:
        yield {"figure": f"assets.{count.kind.value}.{count.status.value}", "value": count.count}
    for name, value in summary.loans.model_dump().items():
        yield {"figure": f"loans.{name}", "value": value}
    for name, value in summary.nominations.model_dump().items():
        yield {"figure": f"nominations.{name}", "value": value}
    yield {"figure": "sims_expiring_in_30_days", "value": summary.sims_expiring_in_30_days}
    yield from _reach("since_start", summary.since_start)
    yield from _reach("this_year", summary.this_year)


def loan_rows(report: LoansReport) -> Iterator[dict[str, Any]]:
    for group in [*report.groups, report.total]:
        yield group.model_dump()


def stuck_rows(stuck: Sequence[StuckAsset]) -> Iterator[dict[str, Any]]:
    for asset in stuck:
        yield asset.model_dump()


def donation_rows(report: DonationsReport) -> Iterator[dict[str, Any]]:
    for donor in [*report.donors, report.total]:
        yield donor.model_dump()
