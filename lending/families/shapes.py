"""What each actor sees of a family or a nomination: one function per entity, chosen by the access table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from lending.access import Actor
from lending.families.models import DuplicateStatus, Family, NominationEvent
from lending.families.schemas import (
    FamilyDeskOut,
    FamilyOut,
    NominationDeskOut,
    NominationDetail,
    NominationEventOut,
    NominationOut,
    NominationStaffDetail,
    NominationStaffOut,
    PossibleDuplicateOut,
    PriorityFactorOut,
)
from lending.families.service import DeskNomination, DuplicatePair, Scored

View = TypeVar("View", bound=FamilyDeskOut)


def family_view(family: Family, schema: type[View]) -> View:
    return schema.model_validate({**schema.model_validate(family).model_dump(), "erased": family.erased_at is not None})


def present_family(family: Family, actor: Actor) -> FamilyOut | FamilyDeskOut:
    """The desk sees who to hand a device to, not why the family qualifies (evidence and notes)."""
    if actor.may("families.see_evidence"):
        return family_view(family, FamilyOut)
    return family_view(family, FamilyDeskOut)


def present_duplicate(pair: DuplicatePair) -> PossibleDuplicateOut:
    """Only staff handle possible duplicates, so both records are shown in full."""
    return PossibleDuplicateOut(
        id=pair.duplicate.id,
        status=DuplicateStatus(pair.duplicate.status),
        matched_on=pair.duplicate.matched_on,
        family=family_view(pair.family, FamilyOut),
        held_family=family_view(pair.held_family, FamilyOut),
        nomination=NominationOut.model_validate(pair.nomination) if pair.nomination else None,
        raised_by_id=pair.duplicate.raised_by_id,
        created_at=pair.duplicate.created_at,
        resolved_by_id=pair.duplicate.resolved_by_id,
        resolved_at=pair.duplicate.resolved_at,
    )


def present_nomination(scored: Scored, actor: Actor) -> NominationStaffOut | NominationOut:
    """Schools follow their nominations' status; they never see scores."""
    if not actor.may("nominations.see_scores"):
        return NominationOut(**_school_fields(scored))
    return NominationStaffOut(**_staff_fields(scored))


def present_nomination_for_desk(found: DeskNomination) -> NominationDeskOut:
    """The desk's view of a nomination it lends against: the same for every desk role, whatever else it may see."""
    nomination, family = found.nomination, found.family
    return NominationDeskOut(
        id=nomination.id,
        family_id=family.id,
        family_name=family.lead_name,
        phone=family.phone,
        school_id=found.school.id,
        school_name=found.school.name,
        laptops=nomination.laptops,
        tablets=nomination.tablets,
        sims=nomination.sims,
        urgency=nomination.urgency,
        status=nomination.status,
        decided_at=nomination.decided_at,
    )


def present_nomination_detail(
    scored: Scored, actor: Actor, timeline: Sequence[NominationEvent]
) -> NominationStaffDetail | NominationDetail:
    events = [NominationEventOut.model_validate(e) for e in timeline]
    if not actor.may("nominations.see_scores"):
        return NominationDetail(**_school_fields(scored), timeline=events)
    return NominationStaffDetail(**_staff_fields(scored), timeline=events)


def _school_fields(scored: Scored) -> dict[str, Any]:
    nomination = scored.nomination
    # A nomination staff merged into a family held elsewhere keeps showing the school the family record it
    # submitted, never the one held.
    return {
        **NominationOut.model_validate(nomination).model_dump(),
        "family_id": nomination.merged_from_family_id or nomination.family_id,
    }


def _staff_fields(scored: Scored) -> dict[str, Any]:
    return {
        **NominationOut.model_validate(scored.nomination).model_dump(),
        "merged_from_family_id": scored.nomination.merged_from_family_id,
        "priority": scored.priority,
        "priority_breakdown": [PriorityFactorOut.model_validate(f, from_attributes=True) for f in scored.breakdown],
    }
