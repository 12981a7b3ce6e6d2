from __future__ import annotations

from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.auth import requires
from lending.accounts.models import STAFF_OR_ADMIN, Role, User
from lending.config import Settings
from lending.core.pagination import IdQuery, ListParams, comma_list, page
from lending.families.models import DuplicateStatus, Family, NominationStatus
from lending.families.schemas import (
    DecisionIn,
    FamilyDeskOut,
    FamilyIn,
    FamilyOut,
    FamilyUpdate,
    MergeIn,
    NominationDetail,
    NominationEventOut,
    NominationIn,
    NominationOut,
    NominationStaffDetail,
    NominationStaffOut,
    PossibleDuplicateOut,
    PriorityFactorOut,
    WithdrawIn,
)
from lending.families.service import (
    DuplicatePair,
    FamilyService,
    Scored,
    checkpoint_wal,
    is_school,
    require_school_scope,
)
from lending.loans.routes import provide_loans
from lending.loans.service import LoanService


async def provide_families(db_session: AsyncSession, settings: Settings) -> FamilyService:
    return FamilyService(db_session, settings.priority_weights)


def present_family(family: Family, user: User) -> FamilyDeskOut:
    """Volunteers see who to hand a device to, not why the family qualifies."""
    return family_view(family, FamilyDeskOut if user.role == Role.volunteer.value else FamilyOut)


def family_view(family: Family, schema: type[FamilyDeskOut] = FamilyOut) -> FamilyDeskOut:
    return schema.model_validate({**schema.model_validate(family).model_dump(), "erased": family.erased_at is not None})


def present_duplicate(pair: DuplicatePair) -> PossibleDuplicateOut:
    return PossibleDuplicateOut(
        id=pair.duplicate.id,
        status=pair.duplicate.status,
        matched_on=pair.duplicate.matched_on,
        family=family_view(pair.family),
        held_family=family_view(pair.held_family),
        nomination=NominationOut.model_validate(pair.nomination) if pair.nomination else None,
        raised_by_id=pair.duplicate.raised_by_id,
        created_at=pair.duplicate.created_at,
        resolved_by_id=pair.duplicate.resolved_by_id,
        resolved_at=pair.duplicate.resolved_at,
    )


def present_nomination(scored: Scored, user: User, timeline: list | None = None) -> NominationOut:
    nomination = scored.nomination
    base = NominationOut.model_validate(nomination).model_dump()
    events = [NominationEventOut.model_validate(e) for e in timeline] if timeline is not None else None
    if is_school(user):
        # Schools follow their nominations' status; they never see scores. A nomination staff merged into a
        # family held elsewhere keeps showing the school the family record it submitted, never the one held.
        base["family_id"] = nomination.merged_from_family_id or nomination.family_id
        return NominationDetail(**base, timeline=events) if events is not None else NominationOut(**base)
    staff = {
        **base,
        "merged_from_family_id": nomination.merged_from_family_id,
        "priority": scored.priority,
        "priority_breakdown": [PriorityFactorOut.model_validate(f, from_attributes=True) for f in scored.breakdown],
    }
    return NominationStaffDetail(**staff, timeline=events) if events is not None else NominationStaffOut(**staff)


class FamilyController(Controller):
    path = "/api/v1/families"
    tags = ["families"]
    dependencies = {"families": Provide(provide_families), "loans": Provide(provide_loans)}

    @get(
        "/",
        guards=[requires(Role.admin, Role.staff, Role.volunteer, Role.school)],
        summary="List families (a school sees only those it nominated)",
    )
    async def list_families(
        self,
        request: Request[User, Any, Any],
        families: FamilyService,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=100, description="Name, phone or postcode."),
        postcode_district: str | None = Parameter(default=None, max_length=4),
    ) -> OffsetPagination[FamilyOut | FamilyDeskOut]:
        require_school_scope(request.user)
        items, total = await families.list_families(list_params, request.user, q=q, postcode_district=postcode_district)
        return page([present_family(f, request.user) for f in items], total, list_params)

    @post("/", guards=[requires(*STAFF_OR_ADMIN)], summary="Add a family (schools add one by nominating it)")
    async def create_family(
        self, request: Request[User, Any, Any], data: FamilyIn, families: FamilyService
    ) -> FamilyOut:
        return present_family(await families.create_family(data), request.user)

    @get("/{family_id:int}", summary="Get a family (another school's family is 404)")
    async def get_family(
        self, request: Request[User, Any, Any], family_id: int, families: FamilyService
    ) -> FamilyOut | FamilyDeskOut:
        require_school_scope(request.user)
        return present_family(await families.get_family(family_id, request.user), request.user)

    @patch("/{family_id:int}", guards=[requires(Role.admin, Role.staff, Role.school)], summary="Update a family")
    async def update_family(
        self, request: Request[User, Any, Any], family_id: int, data: FamilyUpdate, families: FamilyService
    ) -> FamilyOut:
        require_school_scope(request.user)
        family = await families.update_family(family_id, request.user, data.model_dump(exclude_unset=True))
        return present_family(family, request.user)

    @get(
        "/possible-duplicates",
        guards=[requires(*STAFF_OR_ADMIN)],
        summary="Families schools submitted that look like ones already held, for staff to merge or keep apart",
    )
    async def list_possible_duplicates(
        self,
        families: FamilyService,
        list_params: ListParams,
        status: str | None = Parameter(
            default=None, description="Comma-separated: open (the default), merged, kept_apart, superseded."
        ),
    ) -> OffsetPagination[PossibleDuplicateOut]:
        pairs, total = await families.list_duplicates(list_params, comma_list(status, DuplicateStatus, "status"))
        return page([present_duplicate(p) for p in pairs], total, list_params)

    @post(
        "/possible-duplicates/{duplicate_id:int}/merge",
        status_code=200,
        guards=[requires(*STAFF_OR_ADMIN)],
        summary="One family after all: move the school's nominations onto the family held and retire its record",
        description="The school keeps seeing its nomination, under the family id it was given; it gains no access "
        "to the family held. `take` copies chosen fields from the school's record first.",
    )
    async def merge_duplicate(self, duplicate_id: int, data: MergeIn, families: FamilyService) -> PossibleDuplicateOut:
        return present_duplicate(await families.merge(duplicate_id, data))

    @post(
        "/possible-duplicates/{duplicate_id:int}/keep-apart",
        status_code=200,
        guards=[requires(*STAFF_OR_ADMIN)],
        summary="Two different families: keep both records",
    )
    async def keep_apart(self, duplicate_id: int, families: FamilyService) -> PossibleDuplicateOut:
        return present_duplicate(await families.keep_apart(duplicate_id))

    @get(
        "/{family_id:int}/export",
        guards=[requires(Role.admin)],
        summary="Subject access: everything held about the family, as JSON",
    )
    async def export_family(
        self, request: Request[User, Any, Any], family_id: int, families: FamilyService, loans: LoanService
    ) -> dict[str, Any]:
        return await families.subject_access(family_id, request.user, extra_sections=[loans.family_loans])

    @post(
        "/{family_id:int}/erase",
        status_code=200,
        guards=[requires(Role.admin)],
        summary="Erase the family's personal data, keeping what reports count",
    )
    async def erase_family(
        self, request: Request[User, Any, Any], family_id: int, families: FamilyService, loans: LoanService
    ) -> FamilyOut:
        family = await families.erase(family_id, request.user, has_active_loan=loans.has_active_loan)
        # The raw database file can only forget once the erasure is committed, so commit here rather than as the
        # response goes out; a failed commit raises before anything is answered.
        await families.session.commit()
        await checkpoint_wal(families.session.bind)
        return present_family(family, request.user)


class NominationController(Controller):
    path = "/api/v1/nominations"
    tags = ["families"]
    dependencies = {"families": Provide(provide_families)}

    @post(
        "/",
        guards=[requires(Role.admin, Role.staff, Role.school)],
        summary="Nominate a family (by id, or a new family inline)",
    )
    async def nominate(
        self, request: Request[User, Any, Any], data: NominationIn, families: FamilyService
    ) -> NominationStaffOut | NominationOut:
        require_school_scope(request.user)
        scored = await families.nominate(data, request.user)
        return present_nomination(scored, request.user)

    @get(
        "/",
        guards=[requires(Role.admin, Role.staff, Role.school)],
        summary="List nominations; ?status=approved,waitlisted&sort=-priority is the waiting list",
    )
    async def list_nominations(
        self,
        request: Request[User, Any, Any],
        families: FamilyService,
        list_params: ListParams,
        status: str | None = None,
        school_id: IdQuery = None,
        family_id: IdQuery = None,
        urgency: str | None = Parameter(default=None, pattern="^(normal|urgent)$"),
    ) -> OffsetPagination[NominationStaffOut | NominationOut]:
        require_school_scope(request.user)
        items, total = await families.list_nominations(
            list_params,
            request.user,
            statuses=comma_list(status, NominationStatus, "status"),
            school_id=school_id,
            family_id=family_id,
            urgency=urgency,
        )
        return page([present_nomination(s, request.user) for s in items], total, list_params)

    @get(
        "/{nomination_id:int}",
        guards=[requires(Role.admin, Role.staff, Role.school)],
        summary="A nomination with its priority breakdown (staff) and timeline",
    )
    async def get_nomination(
        self, request: Request[User, Any, Any], nomination_id: int, families: FamilyService
    ) -> NominationStaffDetail | NominationDetail:
        require_school_scope(request.user)
        nomination, family = await families.get_nomination(nomination_id, request.user)
        scored = Scored(nomination, *families.score(nomination, family))
        return present_nomination(scored, request.user, await families.timeline(nomination))

    @post(
        "/{nomination_id:int}/decision",
        status_code=200,
        guards=[requires(*STAFF_OR_ADMIN)],
        summary="Approve, waitlist or decline",
    )
    async def decide(
        self, request: Request[User, Any, Any], nomination_id: int, data: DecisionIn, families: FamilyService
    ) -> NominationStaffOut:
        nomination = await families.decide(nomination_id, data, request.user)
        _, family = await families.get_nomination(nomination.id, request.user)
        return present_nomination(Scored(nomination, *families.score(nomination, family)), request.user)

    @post(
        "/{nomination_id:int}/withdraw",
        status_code=200,
        guards=[requires(Role.admin, Role.staff, Role.school)],
        summary="Withdraw a nomination (the school that made it, or staff)",
    )
    async def withdraw(
        self, request: Request[User, Any, Any], nomination_id: int, data: WithdrawIn, families: FamilyService
    ) -> NominationStaffOut | NominationOut:
        require_school_scope(request.user)
        nomination = await families.withdraw(nomination_id, data.note, request.user)
        _, family = await families.get_nomination(nomination.id, request.user)
        return present_nomination(Scored(nomination, *families.score(nomination, family)), request.user)
