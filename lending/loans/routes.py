from __future__ import annotations

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.core.csv import CSV_MEDIA_TYPE, csv_response
from lending.core.pagination import ListParams, page
from lending.loans.deps import provide_loan_filters, provide_loans
from lending.loans.idempotency import HEADER, Idempotency, Replay, fingerprint
from lending.loans.schemas import (
    BarringIn,
    ExtensionIn,
    GiftIn,
    LoanIn,
    LoanOut,
    OutcomeIn,
    ReturnIn,
    SimBarringOut,
)
from lending.loans.service import LoanFilters, LoanService
from lending.loans.shapes import barring_csv, loans_csv, present, present_barring


class LoanController(Controller):
    path = "/api/v1/loans"
    tags = ["loans"]
    dependencies = {"loans": Provide(provide_loans), "filters": Provide(provide_loan_filters)}

    @post(
        "/",
        guards=[allow("loans.lend")],
        summary="Issue a loan: ready assets at this centre, to a family, under one agreement",
        description=f"Send an `{HEADER}` header to make retries safe: the same key and body replay the first "
        "answer; the same key with another body is a 422.",
    )
    async def issue(
        self,
        actor: Actor,
        data: LoanIn,
        loans: LoanService,
        idempotency_key: str | None = Parameter(default=None, header=HEADER, max_length=200),
    ) -> Response[LoanOut]:
        record = None
        if idempotency_key:
            claimed = await Idempotency(loans.session).claim(
                actor.id, "loans.issue", idempotency_key, fingerprint(data.model_dump_json())
            )
            if isinstance(claimed, Replay):
                # The first answer byte for byte, as stored: not re-validated through LoanOut.
                return Response(claimed.body, status_code=claimed.status_code)  # type: ignore[arg-type]
            record = claimed
        body = present(await loans.issue(data, actor)).model_dump(mode="json")
        if record is not None:
            Idempotency.remember(record, 201, body, family_id=data.family_id)
        return Response(body, status_code=201)  # type: ignore[arg-type]  # a LoanOut, dumped once to be kept

    @get("/", guards=[allow("loans.read")], summary="List loans")
    async def list_loans(
        self, loans: LoanService, list_params: ListParams, filters: LoanFilters
    ) -> OffsetPagination[LoanOut]:
        items, total = await loans.list_loans(list_params, filters)
        return page([present(v) for v in await loans.views(items)], total, list_params)

    @get(
        "/{loan_id:int}", guards=[allow("loans.read")], summary="A loan with its items, extensions and agreement status"
    )
    async def get_loan(self, loan_id: int, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.get(loan_id)))

    @get(
        "/by-tag/{tag:str}",
        guards=[allow("loans.read")],
        summary="The active loan holding an asset (scan any of its tags)",
    )
    async def by_tag(self, tag: str, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.active_for_tag(tag)))

    @post(
        "/{loan_id:int}/returns",
        status_code=200,
        guards=[allow("loans.lend")],
        summary="Take items back (partial returns allowed)",
    )
    async def returns(self, loan_id: int, data: ReturnIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.return_items(loan_id, data)))

    @post("/{loan_id:int}/extension", status_code=200, guards=[allow("loans.lend")], summary="Move the due date later")
    async def extend(self, loan_id: int, data: ExtensionIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.extend(loan_id, data.due_on, data.reason)))

    @post(
        "/{loan_id:int}/items/{tag:str}/outcome",
        status_code=200,
        guards=[allow("loans.lend")],
        summary="An item was lost or stolen: it leaves the loan (a SIM is flagged for barring)",
    )
    async def outcome(self, loan_id: int, tag: str, data: OutcomeIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.record_outcome(loan_id, tag, data)))

    @post(
        "/{loan_id:int}/gift",
        status_code=200,
        guards=[allow("loans.gift")],
        summary="Give the devices to the family for good",
    )
    async def gift(self, loan_id: int, data: GiftIn, loans: LoanService) -> LoanOut:
        return present(await loans.view(await loans.gift(loan_id, data.reason)))


@get(
    "/api/v1/loans.csv",
    guards=[allow("loans.export")],
    tags=["loans"],
    media_type=CSV_MEDIA_TYPE,
    dependencies={"loans": Provide(provide_loans), "filters": Provide(provide_loan_filters)},
    summary="Loans as CSV (same filters), e.g. the overdue list to phone; family contact for staff and admin",
)
async def export_loans(actor: Actor, loans: LoanService, filters: LoanFilters) -> Response[str]:
    return csv_response(await loans_csv(loans, filters, actor), "loans.csv")


class SimBarringController(Controller):
    """Lost and stolen SIMs must be barred with their network, so nobody runs up data on the charity's plan."""

    path = "/api/v1/sims"
    tags = ["loans"]
    guards = [allow("sims.bar")]
    dependencies = {"loans": Provide(provide_loans)}

    @get("/to-bar", summary="Lost or stolen SIMs still to bar with their network, the longest waiting first")
    async def to_bar(self, loans: LoanService, list_params: ListParams) -> OffsetPagination[SimBarringOut]:
        items, total = await loans.sims_to_bar(list_params)
        return page([present_barring(b) for b in items], total, list_params)

    @get("/to-bar.csv", summary="The SIMs to bar as CSV, to send to the networks", media_type=CSV_MEDIA_TYPE)
    async def to_bar_csv(self, loans: LoanService) -> Response[str]:
        items, _ = await loans.sims_to_bar()
        return csv_response(barring_csv(items), "sims-to-bar.csv")

    @post(
        "/{tag:str}/barred",
        status_code=200,
        summary="Record that a lost or stolen SIM was barred (409 if it does not need barring)",
    )
    async def barred(self, tag: str, data: BarringIn, loans: LoanService) -> SimBarringOut:
        return present_barring(await loans.record_barring(tag, data))
