"""Staff's list of loans: the overdue ones to phone, those due back soon, those whose SIM's plan runs out.

The dashboard's lists link here with the API's own filters (`?overdue=true`, `?due_within_days=14`,
`?sim_expiring_within_days=30`, `centre_id`, `status`), read by the same provider as GET /api/v1/loans and answered
by the same LoanService, so the page and the API can never disagree on what is overdue. The family's name and phone
are shown only to those the policy lets see them (loans.see_family_contact), as in the loans CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Response, Template

from lending.access import Actor, allow
from lending.centres.deps import provide_centre_service
from lending.centres.service import CentreService
from lending.core.csv import CSV_MEDIA_TYPE, csv_response
from lending.core.pagination import MAX_LIMIT, ListParams
from lending.families.models import Family
from lending.inventory.models import AssetKind
from lending.loans.deps import provide_loan_filters, provide_loans
from lending.loans.models import LoanStatus
from lending.loans.service import LoanFilters, LoanService, LoanView
from lending.loans.shapes import loans_csv, sees_family_contact
from lending.web.render import drop_blank_query, page, query_pairs

PAGE_SIZE = 50
# The status choice that means "whatever the status": every status, as the API's comma list takes them.
ANY_STATUS = ",".join(s.value for s in LoanStatus)
# The lists the dashboard links to, by the query that opens each: also the page's quick links.
VIEWS: list[tuple[str, dict[str, str]]] = [
    ("All active", {"status": "active"}),
    ("Overdue", {"overdue": "true"}),
    ("Due back within 14 days", {"due_within_days": "14"}),
    ("SIM plan ending within 30 days", {"sim_expiring_within_days": "30"}),
]


@dataclass
class LoanRow:
    id: int
    reference: str
    centre: str
    issued_on: date
    due_on: date
    status: str
    days_overdue: int
    items: list[str]
    sim_expires_on: date | None
    family: Family | None


def describe(filters: LoanFilters) -> str:
    """The list's heading, in words, from the filters it was asked with."""
    if filters.overdue:
        words = "Overdue loans"
    elif filters.due_within_days is not None:
        words = f"Loans due back within {filters.due_within_days} days"
    elif filters.sim_expiring_within_days is not None:
        words = f"Loans with a SIM plan ending within {filters.sim_expiring_within_days} days"
    elif filters.statuses and len(filters.statuses) < len(LoanStatus):
        words = " or ".join(s.capitalize() for s in filters.statuses) + " loans"
    else:
        words = "All loans"
    if filters.overdue is False:
        words += " not overdue"
    return words


def loan_rows(views: list[LoanView], centres: dict[int, str], contacts: dict[int, Family]) -> list[LoanRow]:
    today = date.today()
    rows = []
    for view in views:
        loan = view.loan
        out = [(item, asset) for item, asset in view.items if item.ended_at is None] or view.items
        expiries = [a.expires_on for i, a in view.items if i.ended_at is None and a.kind == AssetKind.sim]
        rows.append(
            LoanRow(
                id=loan.id,
                reference=loan.reference,
                centre=centres.get(loan.centre_id, f"Centre {loan.centre_id}"),
                issued_on=loan.issued_at.date(),
                due_on=loan.due_on,
                status=loan.status,
                days_overdue=(today - loan.due_on).days if view.overdue else 0,
                items=[f"{asset.kind.capitalize()} {asset.tag}" for _, asset in out],
                sim_expires_on=min((e for e in expiries if e is not None), default=None),
                family=contacts.get(loan.family_id),
            )
        )
    return rows


class StaffLoanPages(Controller):
    path = "/staff"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {
        "loans": Provide(provide_loans),
        "filters": Provide(provide_loan_filters),
        "centres": Provide(provide_centre_service),
    }

    @get("/loans", guards=[allow("loans.read")], before_request=drop_blank_query)
    async def loans_page(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        loans: LoanService,
        filters: LoanFilters,
        centres: CentreService,
        offset: int = Parameter(query="offset", default=0, ge=0, le=100_000),
    ) -> Template:
        if "status" not in request.query_params:
            # Opened without a status, the page lists what is out now; "Any status" asks for every one.
            filters.statuses = [LoanStatus.active]
        found, total = await loans.list_loans(ListParams(limit=PAGE_SIZE, offset=offset, sort="due_on"), filters)
        views = await loans.views(found)
        shows_contact = sees_family_contact(actor)
        contacts = await loans.families_contacts([v.loan.family_id for v in views]) if shows_contact else {}
        centre_list, _ = await centres.list(ListParams(limit=MAX_LIMIT))
        names = {c.id: c.name for c in centre_list}
        asked = [(k, v) for k, v in query_pairs(request) if k != "offset" and v != ""]
        return page(
            "staff/loans.html",
            rows=loan_rows(views, names, contacts),
            total=total,
            offset=offset,
            page_size=PAGE_SIZE,
            heading=describe(filters),
            filters=filters,
            status_value=",".join(filters.statuses),
            statuses=[(s.value, s.value.capitalize()) for s in LoanStatus] + [(ANY_STATUS, "Any status")],
            centres=[(c.id, c.name) for c in centre_list],
            views=[(label, urlencode(query)) for label, query in VIEWS],
            current=urlencode(asked),
            shows_contact=shows_contact,
        )

    @get("/loans.csv", guards=[allow("loans.export")], media_type=CSV_MEDIA_TYPE, before_request=drop_blank_query)
    async def loans_csv(self, actor: Actor, loans: LoanService, filters: LoanFilters) -> Response[str]:
        """The list as the API's loans CSV gives it (the same columns and rows), for a browser signed in by cookie."""
        return csv_response(await loans_csv(loans, filters, actor), "loans.csv")
