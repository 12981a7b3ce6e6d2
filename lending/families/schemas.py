from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from lending.core import validators
from lending.core.schemas import Id, Name, OutSchema, PastDate, Postcode, Schema, ShortText
from lending.families.models import DuplicateStatus, NominationStatus, Urgency

Phone = Annotated[str, AfterValidator(validators.uk_phone)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", strip_whitespace=True)]


class FamilyIn(Schema):
    lead_name: Name
    phone: Phone | None = None
    email: EmailStr | None = None
    address: ShortText = ""
    postcode: Postcode
    preferred_language: Language = Field("en", description="Language code, e.g. en, ur, bn, pl.")
    children: int = Field(ge=1, le=20)
    school_age_children: int = Field(ge=0, le=20)
    devices_at_home: int = Field(0, ge=0, le=20)
    has_broadband: bool
    free_school_meals: bool = False
    pupil_premium: bool = False
    on_benefits: bool = False
    imd_decile: int | None = Field(None, ge=1, le=10, description="Filled from the postcode when left out.")
    notes: ShortText = ""
    consent_given_on: PastDate = Field(description="When the family agreed to its data being held (required).")
    sms_opt_out: bool = Field(False, description="The family does not want reminders by text.")
    email_opt_out: bool = Field(False, description="The family does not want reminders by email.")


class FamilyUpdate(Schema):
    lead_name: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: ShortText | None = None
    postcode: Postcode | None = None
    preferred_language: Language | None = None
    children: int | None = Field(None, ge=1, le=20)
    school_age_children: int | None = Field(None, ge=0, le=20)
    devices_at_home: int | None = Field(None, ge=0, le=20)
    has_broadband: bool | None = None
    free_school_meals: bool | None = None
    pupil_premium: bool | None = None
    on_benefits: bool | None = None
    imd_decile: int | None = Field(None, ge=1, le=10)
    notes: ShortText | None = None
    sms_opt_out: bool | None = Field(None, description="The family does not want reminders by text.")
    email_opt_out: bool | None = Field(None, description="The family does not want reminders by email.")


class FamilyDeskOut(OutSchema):
    """What a desk volunteer needs to issue a device: no eligibility evidence, no notes."""

    id: int
    lead_name: str
    phone: str | None
    postcode: str | None
    preferred_language: str
    erased: bool = False


class FamilyOut(FamilyDeskOut):
    email: str | None
    address: str
    postcode_district: str | None
    children: int
    school_age_children: int
    devices_at_home: int
    has_broadband: bool
    free_school_meals: bool | None
    pupil_premium: bool | None
    on_benefits: bool | None
    imd_decile: int | None
    imd_from_lookup: bool
    notes: str
    consent_given_on: date | None
    consent_recorded_by_id: int | None
    consent_recorded_at: datetime | None
    updated_at: datetime
    created_at: datetime
    merged_into_id: int | None = Field(None, description="Merged by staff into this family (staff only).")
    sms_opt_out: bool = False
    email_opt_out: bool = False


class NominationIn(Schema):
    family_id: Id | None = Field(None, description="An existing family, or give `family` to add one.")
    family: FamilyIn | None = None
    school_id: Id | None = Field(None, description="Implied for school users; required for staff.")
    laptops: int = Field(0, ge=0, le=10)
    tablets: int = Field(0, ge=0, le=10)
    sims: int = Field(0, ge=0, le=10)
    reason: ShortText = ""
    urgency: Urgency = Urgency.normal


class DecisionIn(Schema):
    decision: Literal["approve", "waitlist", "decline"]
    note: ShortText = ""


class WithdrawIn(Schema):
    note: ShortText = ""


class NominationEventOut(OutSchema):
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    from_status: str | None
    to_status: str
    note: str


class PriorityFactorOut(OutSchema):
    factor: str
    points: int
    detail: str


class NominationOut(OutSchema):
    """A school's view: its own nomination and status, never scores."""

    id: int
    family_id: int
    school_id: int
    laptops: int
    tablets: int
    sims: int
    reason: str
    urgency: Urgency
    status: NominationStatus
    submitted_at: datetime
    decided_at: datetime | None
    closed_at: datetime | None


class NominationDeskOut(OutSchema):
    """An approved nomination as the desk sees it to issue a loan: who to hand devices to, the school, and what
    was asked for. Never the reason, the evidence or a score."""

    id: int
    family_id: int
    family_name: str
    phone: str | None
    school_id: int
    school_name: str
    laptops: int
    tablets: int
    sims: int
    urgency: Urgency
    status: NominationStatus
    decided_at: datetime | None


class NominationStaffOut(NominationOut):
    priority: int
    priority_breakdown: list[PriorityFactorOut]
    merged_from_family_id: int | None = Field(
        None, description="The school's own family record this nomination was merged from (staff only)."
    )


class NominationDetail(NominationOut):
    timeline: list[NominationEventOut]


class NominationStaffDetail(NominationStaffOut):
    timeline: list[NominationEventOut]


Mergeable = Literal[
    "lead_name",
    "phone",
    "email",
    "address",
    "postcode",
    "preferred_language",
    "children",
    "school_age_children",
    "devices_at_home",
    "has_broadband",
    "free_school_meals",
    "pupil_premium",
    "on_benefits",
    "imd_decile",
    "notes",
]


class MergeIn(Schema):
    take: list[Mergeable] = Field(
        [],
        max_length=15,
        description="Fields to copy from the school's record onto the family held (e.g. a newer phone number).",
    )


class PossibleDuplicateOut(OutSchema):
    id: int
    status: DuplicateStatus
    matched_on: str = Field(description="phone, or name_postcode")
    family: FamilyOut = Field(description="The record made from what the school submitted.")
    held_family: FamilyOut = Field(description="The family already held that it resembles.")
    nomination: NominationOut | None = Field(description="The nomination that brought it in (none for an edit).")
    raised_by_id: int | None
    created_at: datetime
    resolved_by_id: int | None
    resolved_at: datetime | None
