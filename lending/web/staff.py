"""The coordinator's pages: the dashboard (what needs doing now, the figures and charts, the loans to chase), the
waiting list, possible duplicates, users and centres.

Intake, the refurbishment queue and SIMs to bar are lending/web/stock.py, the list of loans lending/web/loans.py;
this module only links to them. The dashboard's figures are ReportService's (lending/web/dashboard.py draws them).
Every handler calls the same service as the API route that does the same thing, so a decision taken here is
the API's decision, with its words when it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Redirect, Response, Template
from pydantic import ValidationError

from lending.access import Actor, allow
from lending.accounts.deps import provide_account_service
from lending.accounts.models import Role
from lending.accounts.schemas import UserCreate
from lending.accounts.service import AccountService, NewUser
from lending.centres.deps import provide_centre_service
from lending.centres.models import Centre
from lending.centres.schemas import CentreCreate, CentreUpdate
from lending.centres.service import CentreService
from lending.core.errors import DomainError, FieldError, Invalid
from lending.core.pagination import MAX_LIMIT, IdQuery, ListParams
from lending.families.deps import provide_families
from lending.families.models import NominationStatus
from lending.families.schemas import DecisionIn, FamilyOut, MergeIn, NominationStaffOut
from lending.families.service import DECISIONS, FamilyService, Scored
from lending.families.shapes import present_duplicate, present_family, present_nomination
from lending.inventory.models import Status
from lending.loans.deps import provide_loans
from lending.loans.service import LoanService
from lending.reports.deps import provide_reports
from lending.reports.schemas import GroupBy
from lending.reports.service import ReportService
from lending.schools.deps import provide_school_service
from lending.schools.service import SchoolService
from lending.web.dashboard import (
    drawn,
    last_twelve_months,
    loan_lists,
    loans_by_month_chart,
    reach_chart,
    stock_chart,
)
from lending.web.render import FormErrors, drop_blank_query, form_dict, is_htmx, page, parse

# Waiting a decision: a waitlisted nomination is still to be approved or declined.
WAITING = [NominationStatus.submitted, NominationStatus.waitlisted]
PAGE_SIZE = 50
# What a coordinator compares on two records that may be one family (what the merge can copy across).
COMPARED: list[tuple[str, str]] = [
    ("lead_name", "Lead name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("preferred_language", "Language"),
    ("children", "Children"),
    ("school_age_children", "School-age children"),
    ("devices_at_home", "Devices at home"),
    ("has_broadband", "Home broadband"),
    ("free_school_meals", "Free school meals"),
    ("pupil_premium", "Pupil Premium"),
    ("on_benefits", "On benefits"),
    ("imd_decile", "IMD decile"),
    ("notes", "Notes"),
]
MATCHED_FIELDS = {"phone": {"phone"}, "name_postcode": {"lead_name", "postcode"}}
DONE_WORDS = {"approve": "approved", "waitlist": "waitlisted", "decline": "declined"}
ONE = ListParams(limit=1)
ALL = ListParams(limit=MAX_LIMIT)


def invalid(exc: ValidationError) -> Invalid:
    """A form's fault in the API's terms (422 naming each field), for the pages' problem answer."""
    return Invalid.of([FieldError(name, message) for name, message in FormErrors.of(exc).items()])


def no_store(template: Template) -> Template:
    # A page showing a password once must not be kept by the browser or a proxy.
    template.headers["Cache-Control"] = "no-store"
    return template


@dataclass
class WaitingRow:
    nomination: NominationStaffOut
    family: FamilyOut | None
    school: str
    weeks: int
    decisions: list[str]
    done: str | None = None
    error: str | None = None


@dataclass
class Comparison:
    label: str
    name: str
    school_value: Any
    held_value: Any
    matched: bool
    differs: bool


@dataclass
class DuplicateCard:
    duplicate: Any
    rows: list[Comparison] = field(default_factory=list)
    school: str = ""
    done: str | None = None
    error: str | None = None


class StaffPages(Controller):
    path = "/staff"
    guards = [allow("staff.use")]
    include_in_schema = False
    dependencies = {
        "families": Provide(provide_families),
        "reports": Provide(provide_reports),
        "loans": Provide(provide_loans),
        "accounts": Provide(provide_account_service),
        "centres": Provide(provide_centre_service),
        "schools": Provide(provide_school_service),
    }

    # --- the dashboard: what needs doing now, figures, charts, loans to chase ------------------------------

    @get(
        "/",
        guards=[allow("nominations.read"), allow("reports.summary"), allow("reports.loans")],
        before_request=drop_blank_query,
    )
    async def home(
        self,
        actor: Actor,
        families: FamilyService,
        loans: LoanService,
        reports: ReportService,
        centres: CentreService,
        centre_id: IdQuery = None,
    ) -> Template:
        """The dashboard: what needs doing now, the figures, the charts and the lists of loans to chase."""
        _, submitted = await families.list_nominations(ONE, actor, statuses=[NominationStatus.submitted])
        _, waitlisted = await families.list_nominations(ONE, actor, statuses=[NominationStatus.waitlisted])
        _, duplicates = await families.list_duplicates(ONE)
        _, sims = await loans.sims_to_bar(ONE)
        summary = await reports.summary(actor, centre_id)
        period = last_twelve_months()
        by_month = await reports.loans(actor, period, GroupBy.month, centre_id)
        by_district = await reports.loans(actor, period, GroupBy.postcode_district, centre_id)
        stock = dict.fromkeys((Status.received.value, Status.in_refurbishment.value, Status.ready.value), 0)
        for row in summary.assets:
            if row.status.value in stock:
                stock[row.status.value] += row.count
        centre_list, _ = await centres.list(ALL)
        return page(
            "staff/home.html",
            submitted=submitted,
            waitlisted=waitlisted,
            duplicates=duplicates,
            stock=stock,
            sims=sims,
            summary=summary,
            period=period,
            charts=await drawn(
                lambda: stock_chart(summary),
                lambda: loans_by_month_chart(by_month),
                lambda: reach_chart(by_district),
            ),
            lists=await loan_lists(loans, centre_id),
            centres=[(c.id, c.name) for c in centre_list],
            centre_names={c.id: c.name for c in centre_list},
            centre=next((c for c in centre_list if c.id == centre_id), None),
            centre_id=centre_id,
        )

    # --- the waiting list ----------------------------------------------------------------------------------

    async def _rows(
        self, scored: list[Scored], actor: Actor, families: FamilyService, schools: SchoolService
    ) -> list[WaitingRow]:
        held = await families.families_of([s.nomination for s in scored], actor)
        names = {s.id: s.name for s in (await schools.list(ALL, actor))[0]}
        now = datetime.now(UTC)
        rows = []
        for s in scored:
            nomination = s.nomination
            family = held.get(nomination.family_id)
            shown = present_nomination(s, actor)
            assert isinstance(shown, NominationStaffOut)
            view = present_family(family, actor) if family is not None else None
            rows.append(
                WaitingRow(
                    nomination=shown,
                    family=view if isinstance(view, FamilyOut) else None,
                    school=names.get(nomination.school_id, f"School {nomination.school_id}"),
                    weeks=max(0, (now - nomination.submitted_at).days // 7),
                    decisions=[d for d, (_, froms) in DECISIONS.items() if nomination.status in froms],
                )
            )
        return rows

    @get("/waiting-list", guards=[allow("nominations.read")])
    async def waiting_list(
        self,
        actor: Actor,
        families: FamilyService,
        schools: SchoolService,
        offset: int = Parameter(query="offset", default=0, ge=0, le=100_000),
        done: str | None = Parameter(query="done", default=None, max_length=20),
        nomination: int | None = Parameter(query="nomination", default=None, ge=1),
    ) -> Template:
        params = ListParams(limit=PAGE_SIZE, offset=offset, sort="-priority")
        scored, total = await families.list_nominations(params, actor, statuses=WAITING)
        rows = await self._rows(scored, actor, families, schools)
        notice = None
        if done in DONE_WORDS and nomination is not None:
            notice = f"Nomination {nomination} {DONE_WORDS[done]}."
        return page(
            "staff/waiting_list.html", rows=rows, total=total, offset=offset, page_size=PAGE_SIZE, notice=notice
        )

    @post("/waiting-list/{nomination_id:int}/decision", guards=[allow("nominations.decide")])
    async def decide(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        nomination_id: int,
        families: FamilyService,
        schools: SchoolService,
    ) -> Response[Any]:
        form = await form_dict(request)
        try:
            data = parse(DecisionIn, form)
            await families.decide(nomination_id, data, actor)
        except (ValidationError, DomainError) as exc:
            problem = invalid(exc) if isinstance(exc, ValidationError) else exc
            if not is_htmx(request) or problem.status == 404:
                raise problem from None
            # The row stays where it is and says why, in the API's words; nothing was written.
            return await self._row(
                actor, nomination_id, families, schools, error=problem.detail, status_code=problem.status
            )
        if not is_htmx(request):
            return Redirect(f"/staff/waiting-list?done={data.decision}&nomination={nomination_id}", status_code=303)
        return await self._row(actor, nomination_id, families, schools, done=DONE_WORDS[data.decision])

    async def _row(
        self,
        actor: Actor,
        nomination_id: int,
        families: FamilyService,
        schools: SchoolService,
        *,
        done: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        nomination, _family = await families.get_nomination(nomination_id, actor)
        scored = await families.scored(nomination)
        (row,) = await self._rows([scored], actor, families, schools)
        row.done, row.error = done, error
        return page("staff/_waiting_row.html", status_code=status_code, row=row)

    # --- possible duplicates -------------------------------------------------------------------------------

    async def _card(self, pair: Any, schools: SchoolService, actor: Actor) -> DuplicateCard:
        shown = present_duplicate(pair)
        matched = MATCHED_FIELDS.get(shown.matched_on, set())
        card = DuplicateCard(duplicate=shown)
        for name, label in COMPARED:
            mine, held = getattr(shown.family, name), getattr(shown.held_family, name)
            card.rows.append(Comparison(label, name, mine, held, name in matched, mine != held))
        if shown.nomination is not None:
            card.school = (await schools.get(shown.nomination.school_id, actor)).name
        return card

    @get("/duplicates", guards=[allow("families.merge")])
    async def duplicates(
        self,
        actor: Actor,
        families: FamilyService,
        schools: SchoolService,
        offset: int = Parameter(query="offset", default=0, ge=0, le=100_000),
        done: str | None = Parameter(query="done", default=None, max_length=20),
    ) -> Template:
        pairs, total = await families.list_duplicates(ListParams(limit=PAGE_SIZE, offset=offset))
        cards = [await self._card(p, schools, actor) for p in pairs]
        notice = {"merged": "Merged into the family held.", "kept_apart": "Kept apart: both records stay."}.get(
            done or ""
        )
        return page(
            "staff/duplicates.html", cards=cards, total=total, offset=offset, page_size=PAGE_SIZE, notice=notice
        )

    async def _resolve(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        duplicate_id: int,
        families: FamilyService,
        schools: SchoolService,
        how: str,
    ) -> Response[Any]:
        form = await form_dict(request, "take")
        try:
            if how == "merged":
                pair = await families.merge(duplicate_id, parse(MergeIn, form))
            else:
                pair = await families.keep_apart(duplicate_id)
        except (ValidationError, DomainError) as exc:
            problem = invalid(exc) if isinstance(exc, ValidationError) else exc
            if not is_htmx(request) or problem.status == 404:
                raise problem from None
            listed, _ = await families.list_duplicates(ALL)
            current = next((p for p in listed if p.duplicate.id == duplicate_id), None)
            if current is None:
                raise problem from None
            card = await self._card(current, schools, actor)
            card.error = problem.detail
            return page("staff/_duplicate_card.html", status_code=problem.status, card=card, compared=COMPARED)
        if not is_htmx(request):
            return Redirect(f"/staff/duplicates?done={how}", status_code=303)
        card = await self._card(pair, schools, actor)
        card.done = how
        return page("staff/_duplicate_card.html", card=card, compared=COMPARED)

    @post("/duplicates/{duplicate_id:int}/merge", guards=[allow("families.merge")])
    async def merge(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        duplicate_id: int,
        families: FamilyService,
        schools: SchoolService,
    ) -> Response[Any]:
        return await self._resolve(request, actor, duplicate_id, families, schools, "merged")

    @post("/duplicates/{duplicate_id:int}/keep-apart", guards=[allow("families.merge")])
    async def keep_apart(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        duplicate_id: int,
        families: FamilyService,
        schools: SchoolService,
    ) -> Response[Any]:
        return await self._resolve(request, actor, duplicate_id, families, schools, "kept_apart")

    # --- users (admin) -------------------------------------------------------------------------------------

    async def _users_page(
        self,
        actor: Actor,
        accounts: AccountService,
        centres: CentreService,
        schools: SchoolService,
        *,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        users, _ = await accounts.list(ALL)
        school_list, _ = await schools.list(ALL, actor)
        centre_list, _ = await centres.list(ALL)
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return page(
            "staff/users.html",
            status_code=status_code,
            users=users,
            schools=school_list,
            centres=centre_list,
            school_names={s.id: s.name for s in school_list},
            centre_names={c.id: c.name for c in centre_list},
            role_options=[(r.value, r.value.capitalize()) for r in Role],
            school_options=[(s.id, s.name) for s in school_list],
            centre_options=[(c.id, c.name) for c in centre_list],
            **context,
        )

    @get("/users", guards=[allow("users.manage")])
    async def users(
        self,
        actor: Actor,
        accounts: AccountService,
        centres: CentreService,
        schools: SchoolService,
        done: str | None = Parameter(query="done", default=None, max_length=200),
    ) -> Template:
        notice = done if done in ("Deactivated.", "Reactivated.") else None
        return await self._users_page(actor, accounts, centres, schools, notice=notice)

    @post("/users", guards=[allow("users.manage")])
    async def add_user(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        accounts: AccountService,
        centres: CentreService,
        schools: SchoolService,
    ) -> Template:
        form = await form_dict(request)
        form.pop("password", None)  # always generated here, and shown once
        try:
            data = parse(UserCreate, form)
            user, generated = await accounts.create(
                NewUser(
                    email=data.email,
                    name=data.name,
                    role=data.role,
                    home_centre_id=data.home_centre_id,
                    school_id=data.school_id,
                )
            )
        except (ValidationError, DomainError) as exc:
            status = 422 if isinstance(exc, ValidationError) else exc.status
            return await self._users_page(
                actor, accounts, centres, schools, status_code=status, errors=FormErrors.of(exc), form=form
            )
        return no_store(
            await self._users_page(actor, accounts, centres, schools, status_code=201, created=user, password=generated)
        )

    @post("/users/{user_id:int}/active", guards=[allow("users.manage")])
    async def set_active(
        self, request: Request[Any, Any, Any], actor: Actor, user_id: int, accounts: AccountService
    ) -> Redirect:
        form = await form_dict(request)
        if form.get("is_active") not in ("true", "false"):
            raise Invalid.field("is_active", "say true or false")
        active = form["is_active"] == "true"
        await accounts.update(user_id, actor=actor, changes={"is_active": active})
        return Redirect(f"/staff/users?done={'Reactivated.' if active else 'Deactivated.'}", status_code=303)

    @post("/users/{user_id:int}/password", guards=[allow("users.manage")])
    async def reset_password(
        self,
        actor: Actor,
        user_id: int,
        accounts: AccountService,
        centres: CentreService,
        schools: SchoolService,
    ) -> Template:
        user, generated = await accounts.reset_password(user_id, None)
        return no_store(await self._users_page(actor, accounts, centres, schools, reset=user, password=generated))

    # --- centres -------------------------------------------------------------------------------------------

    async def _centres_page(self, centres: CentreService, *, status_code: int = 200, **context: Any) -> Template:
        items, _ = await centres.list(ALL)
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return page("staff/centres.html", status_code=status_code, centres=items, **context)

    @get("/centres", guards=[allow("centres.read")])
    async def centres_list(
        self, centres: CentreService, done: str | None = Parameter(query="done", default=None, max_length=20)
    ) -> Template:
        notice = {"added": "Centre added.", "saved": "Centre saved."}.get(done or "")
        return await self._centres_page(centres, notice=notice)

    @post("/centres", guards=[allow("centres.manage")])
    async def add_centre(self, request: Request[Any, Any, Any], centres: CentreService) -> Response[Any]:
        form = centre_form(await form_dict(request))
        try:
            await centres.create(parse(CentreCreate, form))
        except (ValidationError, DomainError) as exc:
            status = 422 if isinstance(exc, ValidationError) else exc.status
            return await self._centres_page(centres, status_code=status, errors=FormErrors.of(exc), form=form)
        return Redirect("/staff/centres?done=added", status_code=303)

    @get("/centres/{centre_id:int}", guards=[allow("centres.manage")])
    async def edit_centre(self, centre_id: int, centres: CentreService) -> Template:
        centre = await centres.get(centre_id)
        return page("staff/centre.html", centre=centre, form=centre_values(centre), errors={})

    @post("/centres/{centre_id:int}", guards=[allow("centres.manage")])
    async def save_centre(
        self, request: Request[Any, Any, Any], centre_id: int, centres: CentreService
    ) -> Response[Any]:
        centre = await centres.get(centre_id)
        form = centre_form(await form_dict(request))
        try:
            # Not `parse`: a blank address or opening hours on the edit form clears it, rather than keeping it.
            await centres.update(centre_id, CentreUpdate.model_validate(form))
        except (ValidationError, DomainError) as exc:
            status = 422 if isinstance(exc, ValidationError) else exc.status
            return page("staff/centre.html", status_code=status, centre=centre, form=form, errors=FormErrors.of(exc))
        return Redirect("/staff/centres?done=saved", status_code=303)


def centre_form(form: dict[str, Any]) -> dict[str, Any]:
    """The centre's fields from a form; a checkbox is absent when unticked."""
    values = {k: v for k, v in form.items() if k in ("name", "address", "postcode", "phone", "opening_hours")}
    values["is_active"] = form.get("is_active") == "on"
    return values


def centre_values(centre: Centre) -> dict[str, Any]:
    return {k: getattr(centre, k) for k in ("name", "address", "postcode", "phone", "opening_hours", "is_active")}
