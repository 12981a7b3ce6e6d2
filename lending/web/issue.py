"""Issuing a loan at the desk: find the approved nomination, scan items into a basket, issue, and sign on a pad.

The basket lives in the issue form (hidden `item` fields), so the page works without JavaScript; htmx only swaps
the basket part. Each scan is judged by the loan service's own rules (`LoanService.check_basket`), and the loan is
issued and signed through the same services as POST /api/v1/loans and POST /api/v1/loans/{id}/acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Redirect
from pydantic import ValidationError

from lending import i18n
from lending.access import Actor, allow
from lending.centres.models import Centre
from lending.centres.service import CentreService
from lending.config import Settings
from lending.core.errors import DomainError, Invalid
from lending.core.pagination import MAX_LIMIT, ListParams
from lending.documents.addendum import addendum_lines
from lending.documents.deps import provide_documents
from lending.documents.responses import PDF, addendum_response, agreement_response
from lending.documents.service import DocumentService
from lending.families.deps import provide_families
from lending.families.schemas import NominationDeskOut
from lending.families.service import DeskNomination, FamilyService
from lending.families.shapes import present_family, present_nomination_for_desk
from lending.loans.deps import provide_loans
from lending.loans.models import Relationship
from lending.loans.schemas import AcceptanceIn, LoanIn
from lending.loans.service import COUNTS_AS, BasketLine, LoanService
from lending.loans.shapes import present, present_addendum, present_extension
from lending.web.render import FormErrors, form_dict, is_htmx, page, page_or_part, parse

MAX_BASKET = 20  # as LoanIn.items
SEARCH_RESULTS = 20
RELATIONSHIPS = [(r.value, r.value.capitalize()) for r in Relationship]


@dataclass
class Basket:
    """What the issue form holds between scans: the state a plain form posts back each time."""

    nomination: DeskNomination | None
    centre_id: int | None
    lines: list[BasketLine]
    due_on: str


def _tags(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    # A tag is at most 20 characters; a longer "scan" is kept short enough to be named in the message.
    return [str(v).strip()[:40] for v in values or [] if str(v).strip()][:MAX_BASKET]


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class IssuePages(Controller):
    path = "/desk/loans"
    guards = [allow("desk.use")]
    include_in_schema = False
    dependencies = {
        "loans": Provide(provide_loans),
        "families": Provide(provide_families),
        "documents": Provide(provide_documents),
    }

    # --- issue ---------------------------------------------------------------------------------------------

    async def _centres(self, loans: LoanService) -> list[Centre]:
        centres, _ = await CentreService(loans.session).list(ListParams(limit=MAX_LIMIT), active=True)
        return centres

    async def _context(
        self,
        actor: Actor,
        loans: LoanService,
        families: FamilyService,
        settings: Settings,
        basket: Basket,
        *,
        q: str = "",
        message: dict[str, str] | None = None,
        errors: FormErrors | None = None,
    ) -> dict[str, Any]:
        centres = await self._centres(loans)
        chosen: NominationDeskOut | None = None
        still_needed: dict[str, int] = {}
        if basket.nomination is not None:
            chosen = present_nomination_for_desk(basket.nomination)
            still_needed = await loans.still_needed(basket.nomination.nomination)
        results: list[NominationDeskOut] | None = None
        if q or chosen is None:
            found, _ = await families.find_for_desk(ListParams(limit=SEARCH_RESULTS), actor, q or None)
            results = [present_nomination_for_desk(n) for n in found]
        tomorrow = date.today() + timedelta(days=1)
        return {
            "q": q,
            "results": results,
            "chosen": chosen,
            "still_needed": {k: v for k, v in still_needed.items() if v},
            "centres": [(c.id, c.name) for c in centres],
            "centre_id": basket.centre_id,
            "centre_name": next((c.name for c in centres if c.id == basket.centre_id), None),
            "lines": basket.lines,
            "ready": bool(basket.lines) and all(line.problem is None for line in basket.lines),
            "due_on": basket.due_on or (date.today() + timedelta(days=settings.loan_days)).isoformat(),
            "min_due": tomorrow.isoformat(),
            "message": message,
            "errors": errors or FormErrors(),
            "counts": list(COUNTS_AS),
        }

    async def _basket(
        self,
        actor: Actor,
        loans: LoanService,
        families: FamilyService,
        nomination_id: int | None,
        centre_id: int | None,
        tags: list[str],
        due_on: str = "",
    ) -> Basket:
        nomination = await families.get_for_desk(nomination_id, actor) if nomination_id else None
        if centre_id is None:
            centre_id = actor.home_centre_id
        if centre_id is None:
            lines = [BasketLine(t, problem="choose the centre you are lending from first") for t in tags]
        else:
            lines = await loans.check_basket(tags, centre_id, nomination.nomination if nomination else None)
        return Basket(nomination, centre_id, lines, due_on)

    @get("/new", guards=[allow("loans.lend")])
    async def new(
        self,
        actor: Actor,
        loans: LoanService,
        families: FamilyService,
        settings: Settings,
        q: str | None = Parameter(default=None, max_length=100),
        nomination_id: str | None = Parameter(default=None, max_length=20),
        centre_id: str | None = Parameter(default=None, max_length=20),
        item: list[str] | None = Parameter(default=None),
        tag: str | None = Parameter(default=None, max_length=40, description="Start the basket (the asset card)."),
    ) -> Response[Any]:
        tags = _tags(item)
        message = None
        if tag and tag.strip():
            tags = [t for t in tags if t.upper() != tag.strip().upper()]
        basket = await self._basket(actor, loans, families, _int(nomination_id), _int(centre_id), tags)
        if tag and tag.strip():
            basket, message = await self._scan(actor, loans, families, basket, tag)
        context = await self._context(actor, loans, families, settings, basket, q=(q or "").strip(), message=message)
        return page("issue/new.html", **context)

    async def _scan(
        self, actor: Actor, loans: LoanService, families: FamilyService, basket: Basket, raw: str
    ) -> tuple[Basket, dict[str, str]]:
        """Add one scanned tag if the loan rules allow it; otherwise say why and leave the basket as it was."""
        kept = [line.tag for line in basket.lines]
        if len(kept) >= MAX_BASKET:
            return basket, {"kind": "error", "text": f"A loan holds at most {MAX_BASKET} items."}
        tried = await self._basket(
            actor,
            loans,
            families,
            basket.nomination.nomination.id if basket.nomination else None,
            basket.centre_id,
            [*kept, raw.strip()[:40]],
            basket.due_on,
        )
        scanned = tried.lines[-1]
        if scanned.problem is not None:
            named = scanned.tag.lower() in scanned.problem.lower()
            text = scanned.problem if named else f"{scanned.tag}: {scanned.problem}"
            if scanned.problem.endswith("is listed twice"):
                text = f"{scanned.tag} is already in the basket."
            return basket, {"kind": "error", "text": f"Not added. {text[:1].upper()}{text[1:]}"}
        asset = scanned.asset
        assert asset is not None
        what = " ".join(x for x in (asset.make, asset.model) if x) or asset.kind
        fit = "" if scanned.asked_for else " It is not something the nomination still asks for."
        return tried, {"kind": "ok", "text": f"Added {scanned.tag} ({what}).{fit}"}

    @post("/new", guards=[allow("loans.lend")])
    async def post_new(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        loans: LoanService,
        families: FamilyService,
        settings: Settings,
    ) -> Response[Any]:
        form = await form_dict(request, "item")
        basket = await self._basket(
            actor,
            loans,
            families,
            _int(form.get("nomination_id")),
            _int(form.get("centre_id")),
            _tags(form["item"]),
            str(form.get("due_on") or "")[:20],
        )
        message: dict[str, str] | None = None
        errors = FormErrors()
        status = 200
        if remove := str(form.get("remove") or ""):
            basket.lines = [line for line in basket.lines if line.tag != remove]
            message = {"kind": "ok", "text": f"Removed {remove}."}
        elif form.get("action") == "issue":
            try:
                done = await self._issue(actor, loans, basket)
            except (ValidationError, DomainError) as exc:
                errors = FormErrors.of(exc)
                status = exc.status if isinstance(exc, DomainError) else 422
            else:
                where = f"/desk/loans/{done}"
                if is_htmx(request):
                    # An htmx request would follow a 303 itself and swap the whole next page into the basket.
                    return Response(b"", status_code=200, headers={"HX-Redirect": where})
                return Redirect(where, status_code=303)
        elif scan := str(form.get("scan") or "").strip():
            basket, message = await self._scan(actor, loans, families, basket, scan)
            if message["kind"] == "error":
                status = 422
        context = await self._context(
            actor, loans, families, settings, basket, message=message, errors=self._by_line(errors, basket)
        )
        template = page_or_part(request, "issue/new.html", "issue/_basket.html", **context)
        template.status_code = status
        return template

    @staticmethod
    def _by_line(errors: FormErrors, basket: Basket) -> FormErrors:
        """`items[2]` as the API names it → the scanned tag, which is what the desk sees."""
        named = FormErrors()
        for field, text in errors.items():
            if field.startswith("items[") and field.endswith("]"):
                index = _int(field[6:-1])
                if index is not None and index < len(basket.lines):
                    named["items"] = f"{basket.lines[index].tag}: {text}"
                    continue
            named[field] = text
        return named

    async def _issue(self, actor: Actor, loans: LoanService, basket: Basket) -> int:
        if basket.nomination is None:
            raise Invalid.field("nomination_id", "choose the family's approved nomination first")
        data = parse(
            LoanIn,
            {
                "family_id": basket.nomination.family.id,
                "nomination_id": basket.nomination.nomination.id,
                "centre_id": basket.centre_id,
                "items": [line.tag for line in basket.lines],
                "due_on": basket.due_on,
            },
        )
        view = await loans.issue(data, actor)
        return view.loan.id

    # --- the loan and its signature ------------------------------------------------------------------------

    async def _loan_page(
        self,
        actor: Actor,
        loan_id: int,
        loans: LoanService,
        families: FamilyService,
        *,
        errors: FormErrors | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        loan = present(await loans.view(await loans.get(loan_id)))
        family = present_family(await families.get_family(loan.family_id, actor), actor)
        centre = await loans.session.get(Centre, loan.centre_id)
        return page(
            "issue/loan.html",
            status_code=status_code,
            loan=loan,
            family=family,
            centre_name=centre.name if centre else f"centre {loan.centre_id}",
            relationships=RELATIONSHIPS,
            errors=errors or FormErrors(),
            form=form or {},
        )

    @get("/{loan_id:int}", guards=[allow("loans.read")])
    async def loan(self, actor: Actor, loan_id: int, loans: LoanService, families: FamilyService) -> Response[Any]:
        return await self._loan_page(actor, loan_id, loans, families)

    @post("/{loan_id:int}/signature", guards=[allow("loans.lend")])
    async def sign(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        loan_id: int,
        loans: LoanService,
        families: FamilyService,
        documents: DocumentService,
    ) -> Response[Any]:
        form = await form_dict(request)
        await loans.get(loan_id)  # an unknown loan is a 404 before the form is judged
        fields = {k: form.get(k) for k in ("signer_name", "relationship", "signature_png")}
        png = str(fields["signature_png"] or "")
        # The pad gives a data URL; the API takes the base64 after its comma.
        fields["signature_png"] = png.split(",", 1)[1] if png.startswith("data:") else png
        try:
            data = parse(AcceptanceIn, fields)
            acceptance = await loans.accept(loan_id, data, actor)
            await documents.freeze_signed(acceptance)
        except (ValidationError, DomainError) as exc:
            status = exc.status if isinstance(exc, DomainError) else 422
            return await self._loan_page(
                actor, loan_id, loans, families, errors=FormErrors.of(exc), form=form, status_code=status
            )
        return Redirect(f"/desk/loans/{loan_id}", status_code=303)

    @get("/{loan_id:int}/agreement.pdf", guards=[allow("documents.print")], media_type=PDF)
    async def agreement(self, loan_id: int, documents: DocumentService) -> Response[bytes]:
        """The same bytes as GET /api/v1/loans/{id}/agreement.pdf, for a browser signed in by cookie."""
        return agreement_response(loan_id, await documents.agreement_pdf(loan_id))

    # --- an addendum: the family signs a due date moved after the agreement was signed -----------------------

    async def _addendum_page(
        self,
        actor: Actor,
        loan_id: int,
        extension_id: int,
        loans: LoanService,
        documents: DocumentService,
        *,
        errors: FormErrors | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        loan = await loans.readable(loan_id, actor)
        extension, addendum = await loans.addendum(loan, extension_id)
        data = await documents.addendum_data(loan, extension)
        title, rows, sentence = addendum_lines(data)
        return page(
            "issue/addendum.html",
            status_code=status_code,
            loan=present(await loans.view(loan)),
            extension=present_extension(extension, addendum),
            addendum=present_addendum(addendum),
            language=i18n.language(data.language),
            title=title,
            rows=rows,
            sentence=sentence,
            relationships=RELATIONSHIPS,
            errors=errors or FormErrors(),
            form=form or {},
        )

    @get("/{loan_id:int}/extensions/{extension_id:int}/addendum", guards=[allow("loans.read")])
    async def addendum(
        self, actor: Actor, loan_id: int, extension_id: int, loans: LoanService, documents: DocumentService
    ) -> Response[Any]:
        """The addendum's words as the family reads them, and the pad to sign it (the API's rules throughout)."""
        return await self._addendum_page(actor, loan_id, extension_id, loans, documents)

    @post("/{loan_id:int}/extensions/{extension_id:int}/addendum/signature", guards=[allow("loans.lend")])
    async def sign_addendum(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        loan_id: int,
        extension_id: int,
        loans: LoanService,
        documents: DocumentService,
    ) -> Response[Any]:
        form = await form_dict(request)
        # An unknown loan or extension, or one without an addendum, is a 404 before the form is judged.
        await loans.addendum(await loans.readable(loan_id, actor), extension_id)
        fields = {k: form.get(k) for k in ("signer_name", "relationship", "signature_png")}
        png = str(fields["signature_png"] or "")
        fields["signature_png"] = png.split(",", 1)[1] if png.startswith("data:") else png
        try:
            data = parse(AcceptanceIn, fields)
            addendum = await loans.accept_addendum(loan_id, extension_id, data, actor)
            await documents.freeze_addendum(addendum)
        except (ValidationError, DomainError) as exc:
            status = exc.status if isinstance(exc, DomainError) else 422
            # A 4xx answer is rolled back (lending.core.transactions); the addendum is only changed once every
            # check has passed, so the page shows it as it was.
            return await self._addendum_page(
                actor, loan_id, extension_id, loans, documents, errors=FormErrors.of(exc), form=form, status_code=status
            )
        return Redirect(f"/desk/loans/{loan_id}/extensions/{extension_id}/addendum", status_code=303)

    @get("/{loan_id:int}/extensions/{extension_id:int}/addendum.pdf", guards=[allow("documents.print")], media_type=PDF)
    async def addendum_pdf(
        self, actor: Actor, loan_id: int, extension_id: int, loans: LoanService, documents: DocumentService
    ) -> Response[bytes]:
        """The same bytes as GET /api/v1/loans/{id}/extensions/{extension_id}/addendum.pdf, signed in by cookie."""
        loan = await loans.readable(loan_id, actor)
        extension, addendum = await loans.addendum(loan, extension_id)
        return addendum_response(loan.id, extension.id, await documents.addendum_pdf(loan, extension, addendum))
