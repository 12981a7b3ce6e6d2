from __future__ import annotations

from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.core.pagination import IdQuery, ListParams, comma_list, page
from lending.families.deps import provide_families
from lending.families.models import DuplicateStatus, NominationStatus
from lending.families.schemas import (
    DecisionIn,
    FamilyDeskOut,
    FamilyIn,
    FamilyOut,
    FamilyUpdate,
    MergeIn,
    NominationDeskOut,
    NominationDetail,
    NominationIn,
    NominationOut,
    NominationStaffDetail,
    NominationStaffOut,
    PossibleDuplicateOut,
    WithdrawIn,
)
from lending.families.service import FamilyService, checkpoint_wal
from lending.families.shapes import (
    present_duplicate,
    present_family,
    present_nomination,
    present_nomination_detail,
    present_nomination_for_desk,
)


class FamilyController(Controller):
    path = "/api/v1/families"
    tags = ["families"]
    dependencies = {"families": Provide(provide_families)}

    @get(
        "/",
        guards=[allow("families.read")],
        summary="List families (a school sees only those it nominated)",
    )
    async def list_families(
        self,
        actor: Actor,
        families: FamilyService,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=100, description="Name, phone or postcode."),
        postcode_district: str | None = Parameter(default=None, max_length=4),
    ) -> OffsetPagination[FamilyOut | FamilyDeskOut]:
        items, total = await families.list_families(list_params, actor, q=q, postcode_district=postcode_district)
        return page([present_family(f, actor) for f in items], total, list_params)

    @post("/", guards=[allow("families.create")], summary="Add a family (schools add one by nominating it)")
    async def create_family(self, actor: Actor, data: FamilyIn, families: FamilyService) -> FamilyOut | FamilyDeskOut:
        return present_family(await families.create_family(data), actor)

    @get("/{family_id:int}", guards=[allow("families.read")], summary="Get a family (another school's family is 404)")
    async def get_family(self, actor: Actor, family_id: int, families: FamilyService) -> FamilyOut | FamilyDeskOut:
        return present_family(await families.get_family(family_id, actor), actor)

    @patch("/{family_id:int}", guards=[allow("families.update")], summary="Update a family")
    async def update_family(
        self, actor: Actor, family_id: int, data: FamilyUpdate, families: FamilyService
    ) -> FamilyOut | FamilyDeskOut:
        family = await families.update_family(family_id, actor, data.model_dump(exclude_unset=True))
        return present_family(family, actor)

    @get(
        "/possible-duplicates",
        guards=[allow("families.merge")],
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
        guards=[allow("families.merge")],
        summary="One family after all: move the school's nominations onto the family held and retire its record",
        description="The school keeps seeing its nomination, under the family id it was given; it gains no access "
        "to the family held. `take` copies chosen fields from the school's record first.",
    )
    async def merge_duplicate(self, duplicate_id: int, data: MergeIn, families: FamilyService) -> PossibleDuplicateOut:
        return present_duplicate(await families.merge(duplicate_id, data))

    @post(
        "/possible-duplicates/{duplicate_id:int}/keep-apart",
        status_code=200,
        guards=[allow("families.merge")],
        summary="Two different families: keep both records",
    )
    async def keep_apart(self, duplicate_id: int, families: FamilyService) -> PossibleDuplicateOut:
        return present_duplicate(await families.keep_apart(duplicate_id))

    @get(
        "/{family_id:int}/export",
        guards=[allow("families.subject_access")],
        summary="Subject access: everything held about the family, as JSON",
    )
    async def export_family(self, actor: Actor, family_id: int, families: FamilyService) -> dict[str, Any]:
        return await families.subject_access(family_id, actor)

    @post(
        "/{family_id:int}/erase",
        status_code=200,
        guards=[allow("families.erase")],
        summary="Erase the family's personal data, keeping what reports count",
    )
    async def erase_family(self, actor: Actor, family_id: int, families: FamilyService) -> FamilyOut | FamilyDeskOut:
        family = await families.erase(family_id, actor)
        # The raw database file can only forget once the erasure is committed, so commit here rather than as the
        # response goes out; a failed commit raises before anything is answered.
        await families.session.commit()
        await checkpoint_wal(families.session.bind)
        return present_family(family, actor)


class NominationController(Controller):
    path = "/api/v1/nominations"
    tags = ["families"]
    dependencies = {"families": Provide(provide_families)}

    @post(
        "/",
        guards=[allow("nominations.create")],
        summary="Nominate a family (by id, or a new family inline)",
    )
    async def nominate(
        self, actor: Actor, data: NominationIn, families: FamilyService
    ) -> NominationStaffOut | NominationOut:
        scored = await families.nominate(data, actor)
        return present_nomination(scored, actor)

    @get(
        "/",
        guards=[allow("nominations.read")],
        summary="List nominations; ?status=approved,waitlisted&sort=-priority is the waiting list",
    )
    async def list_nominations(
        self,
        actor: Actor,
        families: FamilyService,
        list_params: ListParams,
        status: str | None = None,
        school_id: IdQuery = None,
        family_id: IdQuery = None,
        urgency: str | None = Parameter(default=None, pattern="^(normal|urgent)$"),
    ) -> OffsetPagination[NominationStaffOut | NominationOut]:
        items, total = await families.list_nominations(
            list_params,
            actor,
            statuses=comma_list(status, NominationStatus, "status"),
            school_id=school_id,
            family_id=family_id,
            urgency=urgency,
        )
        return page([present_nomination(s, actor) for s in items], total, list_params)

    @get(
        "/for-desk",
        guards=[allow("loans.find_nomination")],
        summary="Approved nominations to lend against, by family name, phone or school (the desk's view)",
        description="Urgent first, then the longest waiting. Only what the desk needs to issue: the family's name "
        "and phone, the school, and what was asked for; never the reason, evidence or scores.",
    )
    async def for_desk(
        self,
        actor: Actor,
        families: FamilyService,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=100, description="Family name, phone or school name."),
    ) -> OffsetPagination[NominationDeskOut]:
        items, total = await families.find_for_desk(list_params, actor, q)
        return page([present_nomination_for_desk(n) for n in items], total, list_params)

    @get(
        "/{nomination_id:int}",
        guards=[allow("nominations.read")],
        summary="A nomination with its priority breakdown (staff) and timeline",
    )
    async def get_nomination(
        self, actor: Actor, nomination_id: int, families: FamilyService
    ) -> NominationStaffDetail | NominationDetail:
        nomination, _family = await families.get_nomination(nomination_id, actor)
        scored = await families.scored(nomination)
        return present_nomination_detail(scored, actor, await families.timeline(nomination))

    @post(
        "/{nomination_id:int}/decision",
        status_code=200,
        guards=[allow("nominations.decide")],
        summary="Approve, waitlist or decline",
    )
    async def decide(
        self, actor: Actor, nomination_id: int, data: DecisionIn, families: FamilyService
    ) -> NominationStaffOut | NominationOut:
        nomination = await families.decide(nomination_id, data, actor)
        _, _family = await families.get_nomination(nomination.id, actor)
        return present_nomination(await families.scored(nomination), actor)

    @post(
        "/{nomination_id:int}/withdraw",
        status_code=200,
        guards=[allow("nominations.withdraw")],
        summary="Withdraw a nomination (the school that made it, or staff)",
    )
    async def withdraw(
        self, actor: Actor, nomination_id: int, data: WithdrawIn, families: FamilyService
    ) -> NominationStaffOut | NominationOut:
        nomination = await families.withdraw(nomination_id, data.note, actor)
        _, _family = await families.get_nomination(nomination.id, actor)
        return present_nomination(await families.scored(nomination), actor)
