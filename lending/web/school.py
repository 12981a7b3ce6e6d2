"""The school portal: nominate a family, follow and withdraw the school's own nominations, and see in figures how
many it has in each status and how many loans its families had (ReportService, scoped in SQL to the school).

Every handler calls the same FamilyService methods as the nominations API and shapes what it shows with
lending/families/shapes.py, so a school sees here exactly what the API would give it: its own nominations and the
families it typed, never scores, never another school's records (those answer 404, as in the API).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from lending.access import Actor, allow
from lending.core.errors import DomainError, NotFound
from lending.core.pagination import ListParams
from lending.families.deps import provide_families
from lending.families.models import NominationStatus, Urgency
from lending.families.schemas import FamilyOut, FamilyUpdate, NominationIn, NominationOut, WithdrawIn
from lending.families.service import OPEN, FamilyService
from lending.families.shapes import present_family, present_nomination, present_nomination_detail
from lending.reports.deps import provide_reports
from lending.reports.schemas import GroupBy
from lending.reports.service import ReportService
from lending.web.dashboard import drawn, last_twelve_months, loans_by_month_chart
from lending.web.render import FormErrors, form_dict, page, parse

PAGE_SIZE = 25
ONE = ListParams(limit=1)

# The words a school reads for each status; the status itself is shown as text, never by colour alone.
STATUS_WORDS = {
    NominationStatus.submitted: "Waiting for a decision",
    NominationStatus.approved: "Approved",
    NominationStatus.waitlisted: "On the waiting list",
    NominationStatus.declined: "Declined",
    NominationStatus.fulfilled: "Devices lent",
    NominationStatus.withdrawn: "Withdrawn",
}
STATUS_TONE = {
    NominationStatus.approved: "ok",
    NominationStatus.fulfilled: "ok",
    NominationStatus.waitlisted: "warn",
    NominationStatus.declined: "bad",
}
LANGUAGES = [
    ("en", "English"),
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("zh", "Chinese"),
    ("fa", "Farsi"),
    ("fr", "French"),
    ("gu", "Gujarati"),
    ("ku", "Kurdish"),
    ("lt", "Lithuanian"),
    ("pa", "Punjabi"),
    ("pl", "Polish"),
    ("ps", "Pashto"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("so", "Somali"),
    ("es", "Spanish"),
    ("ti", "Tigrinya"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
]
# The family's fields the form collects, as FamilyIn names them; the rest of FamilyIn keeps its defaults.
FAMILY_FIELDS = (
    "lead_name",
    "phone",
    "email",
    "postcode",
    "preferred_language",
    "children",
    "school_age_children",
    "devices_at_home",
    "has_broadband",
    "consent_given_on",
)
EVIDENCE = (
    ("free_school_meals", "Free school meals"),
    ("pupil_premium", "Pupil Premium"),
    ("on_benefits", "On benefits (e.g. Universal Credit)"),
)
NEED_FIELDS = ("laptops", "tablets", "sims", "reason", "urgency")
# What a school may correct of a family it nominated (FamilyUpdate): the same fields as the form, less consent.
EDITABLE = tuple(f for f in FAMILY_FIELDS if f != "consent_given_on") + tuple(name for name, _ in EVIDENCE)


def _family_part(form: dict[str, Any]) -> dict[str, Any]:
    family = {name: form.get(name) for name in FAMILY_FIELDS}
    for name, _ in EVIDENCE:
        # An unticked box is not posted at all: it means "no", not "unknown".
        family[name] = name in form
    return {k: v for k, v in family.items() if v not in ("", None)}


def _nomination_in(form: dict[str, Any]) -> NominationIn:
    data: dict[str, Any] = {name: form.get(name) for name in NEED_FIELDS}
    data["family"] = _family_part(form)
    return parse(NominationIn, data)


def _field_errors(exc: ValidationError | DomainError) -> FormErrors:
    """The API names a new family's fields `family.phone`; the form's fields are named `phone`."""
    errors = FormErrors()
    for name, message in FormErrors.of(exc).items():
        errors.setdefault(name.removeprefix("family."), message)
    if "family" in errors:
        errors.setdefault("form", errors.pop("family"))
    return errors


def _status(nomination: NominationOut) -> dict[str, Any]:
    status = NominationStatus(nomination.status)
    return {"words": STATUS_WORDS[status], "tone": STATUS_TONE.get(status, ""), "open": status in OPEN}


def asked_for(nomination: NominationOut) -> str:
    parts = [
        f"{count} {name if count == 1 else name + 's'}"
        for count, name in ((nomination.laptops, "laptop"), (nomination.tablets, "tablet"), (nomination.sims, "SIM"))
        if count
    ]
    return ", ".join(parts)


class SchoolPages(Controller):
    path = "/school"
    guards = [allow("school.use")]
    include_in_schema = False
    dependencies = {"families": Provide(provide_families), "reports": Provide(provide_reports)}

    async def _family_of(self, families: FamilyService, nomination: NominationOut, actor: Actor) -> FamilyOut | None:
        """The family as the school typed it, read as the API would read it for the school. None when the API would
        answer 404 (a record staff merged into a family held elsewhere): the school is shown nothing of it."""
        try:
            family = present_family(await families.get_family(nomination.family_id, actor), actor)
        except NotFound:
            return None
        return family if isinstance(family, FamilyOut) else None

    @get("/", guards=[allow("nominations.read"), allow("reports.loans")])
    async def home(
        self,
        actor: Actor,
        families: FamilyService,
        reports: ReportService,
        page_number: int = Parameter(query="page", default=1, ge=1, le=10_000),
    ) -> Template:
        by_status = [
            (STATUS_WORDS[status], status.value, (await families.list_nominations(ONE, actor, statuses=[status]))[1])
            for status in NominationStatus
        ]
        period = last_twelve_months()
        report = await reports.loans(actor, period, GroupBy.month)
        params = ListParams(limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE, sort="-submitted_at")
        scored, total = await families.list_nominations(params, actor)
        rows = []
        for item in scored:
            nomination = present_nomination(item, actor)
            family = await self._family_of(families, nomination, actor)
            rows.append(
                {"n": nomination, "status": _status(nomination), "asked": asked_for(nomination), "family": family}
            )
        return page(
            "school/home.html",
            rows=rows,
            total=total,
            by_status=by_status,
            period=period,
            loans=report.total,
            chart=(await drawn(lambda: loans_by_month_chart(report, "Loans to your school's families each month")))[0],
            page_number=page_number,
            pages=max(1, -(-total // PAGE_SIZE)),
        )

    @get("/nominations/new", guards=[allow("nominations.create")], sync_to_thread=False)
    def new_nomination(self) -> Template:
        return self._form({"preferred_language": "en", "urgency": Urgency.normal.value})

    def _form(self, values: dict[str, Any], errors: FormErrors | None = None, status: int = 422) -> Template:
        return page(
            "school/nominate.html",
            status_code=status if errors else 200,
            values=values,
            errors=errors or FormErrors(),
            languages=LANGUAGES,
            evidence=EVIDENCE,
            today=date.today().isoformat(),
        )

    @post("/nominations", guards=[allow("nominations.create")])
    async def nominate(
        self, request: Request[Any, Any, Any], actor: Actor, families: FamilyService
    ) -> Template | Redirect:
        form = await form_dict(request)
        try:
            scored = await families.nominate(_nomination_in(form), actor)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status >= 500:
                raise
            # Nothing was written: a refused nomination fails before the service adds anything, and the request's
            # transaction is rolled back on an error answer.
            return self._form(form, _field_errors(exc), exc.status if isinstance(exc, DomainError) else 422)
        # Answered exactly as the API answers: the same words whether or not the family looked like one held.
        return Redirect(f"/school/nominations/{scored.nomination.id}?sent=1", status_code=303)

    @get("/nominations/{nomination_id:int}", guards=[allow("nominations.read")])
    async def nomination(
        self,
        actor: Actor,
        families: FamilyService,
        nomination_id: int,
        sent: bool = False,
        withdrawn: bool = False,
    ) -> Template:
        found, _family = await families.get_nomination(nomination_id, actor)
        detail = present_nomination_detail(await families.scored(found), actor, await families.timeline(found))
        return page(
            "school/nomination.html",
            n=detail,
            status=_status(detail),
            asked=asked_for(detail),
            family=await self._family_of(families, detail, actor),
            languages=dict(LANGUAGES),
            sent=sent,
            withdrawn=withdrawn,
        )

    @get("/nominations/{nomination_id:int}/withdraw", guards=[allow("nominations.withdraw")])
    async def confirm_withdraw(self, actor: Actor, families: FamilyService, nomination_id: int) -> Template:
        """The confirmation step, a page of its own so that it needs no JavaScript."""
        found, _family = await families.get_nomination(nomination_id, actor)
        nomination = present_nomination(await families.scored(found), actor)
        return page(
            "school/withdraw.html",
            n=nomination,
            status=_status(nomination),
            asked=asked_for(nomination),
            family=await self._family_of(families, nomination, actor),
            errors=FormErrors(),
            note="",
        )

    @post("/nominations/{nomination_id:int}/withdraw", guards=[allow("nominations.withdraw")])
    async def withdraw(
        self, request: Request[Any, Any, Any], actor: Actor, families: FamilyService, nomination_id: int
    ) -> Template | Redirect:
        form = await form_dict(request)
        try:
            data = parse(WithdrawIn, {"note": form.get("note")})
        except ValidationError as exc:
            found, _family = await families.get_nomination(nomination_id, actor)
            nomination = present_nomination(await families.scored(found), actor)
            return page(
                "school/withdraw.html",
                status_code=422,
                n=nomination,
                status=_status(nomination),
                asked=asked_for(nomination),
                family=await self._family_of(families, nomination, actor),
                errors=FormErrors.of(exc),
                note=form.get("note") or "",
            )
        # A nomination that is no longer open is the API's 409, shown on the problem page.
        await families.withdraw(nomination_id, data.note, actor)
        return Redirect(f"/school/nominations/{nomination_id}?withdrawn=1", status_code=303)

    @get("/families/{family_id:int}", guards=[allow("families.update")])
    async def family(self, actor: Actor, families: FamilyService, family_id: int, saved: bool = False) -> Template:
        shown = present_family(await families.get_family(family_id, actor), actor)
        values = shown.model_dump(include=set(EDITABLE))
        return self._family_form(family_id, values, FormErrors(), saved=saved)

    def _family_form(
        self, family_id: int, values: dict[str, Any], errors: FormErrors, saved: bool = False, status: int = 422
    ) -> Template:
        return page(
            "school/family.html",
            status_code=status if errors else 200,
            family_id=family_id,
            values=values,
            errors=errors,
            languages=LANGUAGES,
            evidence=EVIDENCE,
            saved=saved,
        )

    @post("/families/{family_id:int}", guards=[allow("families.update")])
    async def update_family(
        self, request: Request[Any, Any, Any], actor: Actor, families: FamilyService, family_id: int
    ) -> Template | Redirect:
        # Another school's family is a 404 before anything typed is looked at, as in the API.
        await families.get_family(family_id, actor)
        form = await form_dict(request)
        data = _family_part(form)
        data.pop("consent_given_on", None)
        # A cleared phone or email is a removal, as `"phone": null` is in the API.
        for name in ("phone", "email"):
            data.setdefault(name, None)
        try:
            changes = FamilyUpdate.model_validate(data).model_dump(exclude_unset=True)
            await families.update_family(family_id, actor, changes)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status >= 500:
                raise
            status = exc.status if isinstance(exc, DomainError) else 422
            return self._family_form(family_id, form, _field_errors(exc), status=status)
        return Redirect(f"/school/families/{family_id}?saved=1", status_code=303)
