from __future__ import annotations

from datetime import date
from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.auth import requires
from lending.accounts.models import DESK, STAFF_OR_ADMIN, Role, User
from lending.config import Settings
from lending.core.csv import CSV_MEDIA_TYPE, csv_response, csv_text
from lending.core.pagination import IdQuery, ListParams, comma_list, page
from lending.documents.routes import provide_documents
from lending.documents.service import DocumentService
from lending.families.service import FamilyService
from lending.inventory.service import AssetService
from lending.loans.idempotency import HEADER, Idempotency, Replay, fingerprint
from lending.loans.models import LoanStatus
from lending.loans.schemas import (
    AcceptanceIn,
    AcceptanceOut,
    BarringIn,
    ExtensionIn,
    ExtensionOut,
    GiftIn,
    LoanIn,
    LoanItemOut,
    LoanOut,
    OutcomeIn,
    ReturnIn,
    SimBarringOut,
)
from lending.loans.service import Barring, LoanFilters, LoanService, LoanView


async def provide_loans(db_session: AsyncSession, settings: Settings) -> LoanService:
    return LoanService(
        db_session,
        AssetService(db_session, settings.tag_prefixes),
        FamilyService(db_session, settings.priority_weights),
        settings.loan_days,
    )


async def provide_loan_filters(
    family_id: IdQuery = None,
    centre_id: IdQuery = None,
    nomination_id: IdQuery = None,
    status: str | None = Parameter(
        default=None, description="Comma-separated: active, returned, lost, stolen, gifted."
    ),
    overdue: bool | None = None,
    due_within_days: int | None = Parameter(default=None, ge=0, le=3660),
    asset_tag: str | None = Parameter(default=None, max_length=20, description="Loans that include this asset."),
    sim_expiring_within_days: int | None = Parameter(
        default=None, ge=0, le=3660, description="Active loans with a SIM expiring that soon."
    ),
) -> LoanFilters:
    return LoanFilters(
        family_id=family_id,
        centre_id=centre_id,
        nomination_id=nomination_id,
        statuses=comma_list(status, LoanStatus, "status"),
        overdue=overdue,
        due_within_days=due_within_days,
        asset_tag=asset_tag,
        sim_expiring_within_days=sim_expiring_within_days,
    )


def present(view: LoanView) -> LoanOut:
    loan, acceptance = view.loan, view.acceptance
    return LoanOut(
        id=loan.id,
        reference=loan.reference,
        family_id=loan.family_id,
        nomination_id=loan.nomination_id,
        centre_id=loan.centre_id,
        status=LoanStatus(loan.status),
        overdue=view.overdue,
        issued_at=loan.issued_at,
        issued_by_id=loan.issued_by_id,
        due_on=loan.due_on,
        closed_at=loan.closed_at,
        notes=loan.notes,
        gift_reason=loan.gift_reason,
        agreement="signed" if acceptance else "unsigned",
        items=[
            LoanItemOut(
                asset_id=a.id,
                tag=a.tag,
                kind=a.kind,
                make=a.make,
                model=a.model,
                serial_number=a.serial_number,
                iccid=a.iccid,
                network=a.network,
                ended_at=i.ended_at,
                outcome=i.outcome,
                return_condition=i.return_condition,
                charger_returned=i.charger_returned,
                return_notes=i.return_notes,
                police_reference=i.police_reference,
                sim_barring_required=i.sim_barring_required,
                barred_on=i.barred_on,
                barring_reference=i.barring_reference,
            )
            for i, a in view.items
        ],
        extensions=[ExtensionOut.model_validate(e) for e in view.extensions],
        acceptance=AcceptanceOut(
            signer_name=acceptance.signer_name,
            relationship=acceptance.relationship_to_family,
            signed_at=acceptance.signed_at,
            witnessed_by_id=acceptance.witnessed_by_id,
            has_signature_image=acceptance.signature_png is not None,
            signed_pdf_sha256=acceptance.signed_pdf_sha256,
            signed_pdf_withdrawn_at=acceptance.signed_pdf_withdrawn_at,
        )
        if acceptance
        else None,
    )


class LoanController(Controller):
    path = "/api/v1/loans"
    tags = ["loans"]
    guards = [requires(*DESK)]
    dependencies = {
        "loans": Provide(provide_loans),
        "filters": Provide(provide_loan_filters),
        "documents": Provide(provide_documents),
    }

    @post(
        "/",
        summary="Issue a loan: ready assets at this centre, to a family, under one agreement",
        description=f"Send an `{HEADER}` header to make retries safe: the same key and body replay the first "
        "answer; the same key with another body is a 422.",
    )
    async def issue(
        self,
        request: Request[User, Any, Any],
        data: LoanIn,
        loans: LoanService,
        idempotency_key: str | None = Parameter(default=None, header=HEADER, max_length=200),
    ) -> Response[LoanOut]:
        record = None
        if idempotency_key:
            claimed = await Idempotency(loans.session).claim(
                request.user.id, "loans.issue", idempotency_key, fingerprint(data.model_dump_json())
            )
            if isinstance(claimed, Replay):
                return Response(claimed.body, status_code=claimed.status_code)
            record = claimed
        body = present(await loans.issue(data, request.user)).model_dump(mode="json")
        if record is not None:
            Idempotency.remember(record, 201, body, family_id=data.family_id)
        return Response(body, status_code=201)

    @get("/", summary="List loans")
    async def list_loans(
        self, loans: LoanService, list_params: ListParams, filters: LoanFilters
    ) -> OffsetPagination[LoanOut]:
        items, total = await loans.list(list_params, filters)
        return page([present(v) for v in await loans.views(items)], total, list_params)

    @get("/{loan_id:int}", summary="A loan with its items, extensions and agreement status")
    async def get_loan(self, loan_id: int, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.get(loan_id)))

    @get("/by-tag/{tag:str}", summary="The active loan holding an asset (scan any of its tags)")
    async def by_tag(self, tag: str, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.active_for_tag(tag)))

    @post(
        "/{loan_id:int}/acceptance",
        summary="Record the borrower's signature (once, for every item)",
        description="The signed agreement is rendered now, once, and kept byte for byte with its SHA-256.",
    )
    async def accept(
        self,
        request: Request[User, Any, Any],
        loan_id: int,
        data: AcceptanceIn,
        loans: LoanService,
        documents: DocumentService,
    ) -> LoanOut:
        acceptance = await loans.accept(loan_id, data, request.user)
        await documents.freeze_signed(acceptance)
        return present(await loans.view(await loans.get(loan_id)))

    @get(
        "/{loan_id:int}/agreement.pdf",
        media_type="application/pdf",
        summary="The loan agreement: unsigned (same bytes every time) until signed, then the signed copy as kept",
        description="Once the family's data is erased the signed copy is withdrawn: 410 Gone, with its SHA-256.",
    )
    async def agreement(self, loan_id: int, documents: DocumentService) -> Response[bytes]:
        pdf = await documents.agreement_pdf(loan_id)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="agreement-LN-{loan_id:06d}.pdf"'},
        )

    @post("/{loan_id:int}/returns", status_code=200, summary="Take items back (partial returns allowed)")
    async def returns(self, loan_id: int, data: ReturnIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.return_items(loan_id, data)))

    @post("/{loan_id:int}/extension", status_code=200, summary="Move the due date later")
    async def extend(self, loan_id: int, data: ExtensionIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.extend(loan_id, data.due_on, data.reason)))

    @post(
        "/{loan_id:int}/items/{tag:str}/outcome",
        status_code=200,
        summary="An item was lost or stolen: it leaves the loan (a SIM is flagged for barring)",
    )
    async def outcome(self, loan_id: int, tag: str, data: OutcomeIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.record_outcome(loan_id, tag, data)))

    @post(
        "/{loan_id:int}/gift",
        status_code=200,
        guards=[requires(*STAFF_OR_ADMIN)],
        summary="Give the devices to the family for good",
    )
    async def gift(self, loan_id: int, data: GiftIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.gift(loan_id, data.reason)))


CSV_COLUMNS = [
    "reference",
    "status",
    "overdue",
    "days_overdue",
    "issued_on",
    "due_on",
    "centre_id",
    "family_id",
    "items",
]
CONTACT_COLUMNS = ["lead_name", "phone", "preferred_language"]


@get(
    "/api/v1/loans.csv",
    guards=[requires(*DESK)],
    tags=["loans"],
    media_type=CSV_MEDIA_TYPE,
    dependencies={"loans": Provide(provide_loans), "filters": Provide(provide_loan_filters)},
    summary="Loans as CSV (same filters), e.g. the overdue list to phone; family contact for staff and admin",
)
async def export_loans(request: Request[User, Any, Any], loans: LoanService, filters: LoanFilters) -> Response[str]:
    with_contact = request.user.role in (Role.admin.value, Role.staff.value)
    rows = await loans.views(await loans.all(filters))
    contacts = await loans.families_contacts([v.loan.family_id for v in rows]) if with_contact else {}
    today = date.today()
    table = []
    for view in rows:
        loan = view.loan
        row = {
            "reference": loan.reference,
            "status": loan.status,
            "overdue": view.overdue,
            "days_overdue": (today - loan.due_on).days if view.overdue else 0,
            "issued_on": loan.issued_at.date(),
            "due_on": loan.due_on,
            "centre_id": loan.centre_id,
            "family_id": loan.family_id,
            "items": " ".join(a.tag for i, a in view.items if i.ended_at is None),
        }
        if with_contact:
            family = contacts.get(loan.family_id)
            row.update(
                lead_name=family.lead_name if family else "",
                phone=(family.phone or "") if family else "",
                preferred_language=family.preferred_language if family else "",
            )
        table.append(row)
    text = csv_text(CSV_COLUMNS + (CONTACT_COLUMNS if with_contact else []), table)
    return csv_response(text, "loans.csv")


def present_barring(b: Barring) -> SimBarringOut:
    item, asset = b.item, b.asset
    return SimBarringOut(
        tag=asset.tag,
        iccid=asset.iccid,
        msisdn=asset.msisdn,
        network=asset.network,
        loan_id=b.loan.id,
        loan_reference=b.loan.reference,
        outcome=item.outcome,
        reported_at=item.ended_at,
        police_reference=item.police_reference,
        sim_barring_required=item.sim_barring_required,
        barred_on=item.barred_on,
        barring_reference=item.barring_reference,
        barred_by_id=item.barred_by_id,
    )


TO_BAR_COLUMNS = ["tag", "iccid", "msisdn", "network", "loan_reference", "outcome", "reported_at", "police_reference"]


class SimBarringController(Controller):
    """Lost and stolen SIMs must be barred with their network, so nobody runs up data on the charity's plan."""

    path = "/api/v1/sims"
    tags = ["loans"]
    guards = [requires(*STAFF_OR_ADMIN)]
    dependencies = {"loans": Provide(provide_loans)}

    @get("/to-bar", summary="Lost or stolen SIMs still to bar with their network, the longest waiting first")
    async def to_bar(self, loans: LoanService, list_params: ListParams) -> OffsetPagination[SimBarringOut]:
        items, total = await loans.sims_to_bar(list_params)
        return page([present_barring(b) for b in items], total, list_params)

    @get("/to-bar.csv", summary="The SIMs to bar as CSV, to send to the networks", media_type=CSV_MEDIA_TYPE)
    async def to_bar_csv(self, loans: LoanService) -> Response[str]:
        items, _ = await loans.sims_to_bar()
        text = csv_text(TO_BAR_COLUMNS, [present_barring(b).model_dump() for b in items])
        return csv_response(text, "sims-to-bar.csv")

    @post(
        "/{tag:str}/barred",
        status_code=200,
        summary="Record that a lost or stolen SIM was barred (409 if it does not need barring)",
    )
    async def barred(self, tag: str, data: BarringIn, loans: LoanService) -> SimBarringOut:
        return present_barring(await loans.record_barring(tag, data))
