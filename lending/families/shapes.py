"""What each actor sees of a family or a nomination: one function per entity, chosen by the access table."""

from __future__ import annotations

from collections.abc import Sequence

from lending.access import Actor
from lending.families.models import Family, NominationEvent
from lending.families.schemas import (
    FamilyDeskOut,
    FamilyOut,
    NominationDetail,
    NominationEventOut,
    NominationOut,
    NominationStaffDetail,
    NominationStaffOut,
    PossibleDuplicateOut,
    PriorityFactorOut,
)
from lending.families.service import DuplicatePair, Scored


def family_view(family: Family, schema: type[FamilyDeskOut] = FamilyOut) -> FamilyDeskOut:
    return schema.model_validate({**schema.model_validate(family).model_dump(), "erased": family.erased_at is not None})


def present_family(family: Family, actor: Actor) -> FamilyDeskOut:
    """The desk sees who to hand a device to, not why the family qualifies (evidence and notes)."""
    return family_view(family, FamilyOut if actor.may("families.see_evidence") else FamilyDeskOut)


def present_duplicate(pair: DuplicatePair) -> PossibleDuplicateOut:
    """Only staff handle possible duplicates, so both records are shown in full."""
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


def present_nomination(
    scored: Scored, actor: Actor, timeline: Sequence[NominationEvent] | None = None
) -> NominationOut:
    nomination = scored.nomination
    base = NominationOut.model_validate(nomination).model_dump()
    events = [NominationEventOut.model_validate(e) for e in timeline] if timeline is not None else None
    if not actor.may("nominations.see_scores"):
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
