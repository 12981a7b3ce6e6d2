from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from lending.core.schemas import DueDate, Id, Name, OutSchema, Schema, ShortText, UtcDatetime
from lending.loans.models import ItemOutcome, LoanStatus, Relationship, ReturnCondition

Tag = Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)]

MAX_SIGNATURE_BYTES = 200 * 1024
# A signature pad's canvas, even at three times a tablet's pixel density, is well inside these.
MAX_SIGNATURE_SIDE = 4000
MAX_SIGNATURE_PIXELS = 4_000_000


class LoanIn(Schema):
    family_id: Id
    nomination_id: Id | None = None
    centre_id: Id
    items: list[Tag] = Field(min_length=1, max_length=20, description="Asset tags, as scanned.")
    due_on: DueDate | None = Field(None, description="Default: today + LENDING_LOAN_DAYS; at most 5 years ahead.")
    notes: ShortText = ""


class ReturnItemIn(Schema):
    tag: Tag
    condition: ReturnCondition
    charger_returned: bool | None = None
    notes: ShortText = ""


class ReturnIn(Schema):
    items: list[ReturnItemIn] = Field(min_length=1, max_length=20)


class ExtensionIn(Schema):
    due_on: DueDate = Field(description="At most 5 years ahead.")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class OutcomeIn(Schema):
    outcome: Annotated[str, StringConstraints(pattern="^(lost|stolen)$")]
    police_reference: Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)] | None = None
    notes: ShortText = ""


class GiftIn(Schema):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class BarringIn(Schema):
    barred_on: date | None = Field(None, description="When the network barred it. Default: today.")
    barring_reference: Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)] | None = Field(
        None, description="The network's reference for the barring."
    )


class SimBarringOut(OutSchema):
    """A lost or stolen SIM, with the loan it was lost from; barring fields are empty until it is barred."""

    tag: str
    iccid: str | None
    msisdn: str | None
    network: str | None
    loan_id: int
    loan_reference: str
    outcome: ItemOutcome
    reported_at: datetime = Field(description="When it was reported lost or stolen.")
    police_reference: str | None
    sim_barring_required: bool
    barred_on: date | None
    barring_reference: str | None
    barred_by_id: int | None


class AcceptanceIn(Schema):
    signer_name: Name
    relationship: Relationship
    signed_at: UtcDatetime | None = Field(None, description="Default: now. Without a zone it is read as UTC.")
    witnessed_by_id: Id | None = Field(None, description="The volunteer who witnessed; default: you.")
    signature_png: str | None = Field(
        None,
        max_length=MAX_SIGNATURE_BYTES * 4 // 3 + 8,
        description=f"Base64 PNG from a signature pad, at most {MAX_SIGNATURE_BYTES // 1024} KB and "
        f"{MAX_SIGNATURE_SIDE} pixels a side ({MAX_SIGNATURE_PIXELS:,} pixels in all).",
    )


class LoanItemOut(OutSchema):
    asset_id: int
    tag: str
    kind: str
    make: str | None
    model: str | None
    serial_number: str | None
    iccid: str | None
    network: str | None
    ended_at: datetime | None
    outcome: ItemOutcome | None
    return_condition: ReturnCondition | None
    charger_returned: bool | None
    return_notes: str | None
    police_reference: str | None
    sim_barring_required: bool = Field(description="A lost or stolen SIM still to be barred with its network.")
    barred_on: date | None = None
    barring_reference: str | None = None


class AddendumOut(OutSchema):
    """The family's signature on an extension made after the agreement was signed."""

    status: Literal["awaiting_signature", "signed"]
    signer_name: str | None
    relationship: Relationship | None
    signed_at: datetime | None
    witnessed_by_id: int | None
    has_signature_image: bool
    signed_pdf_sha256: str | None = Field(description="The signed addendum PDF's SHA-256, kept from its signing.")
    signed_pdf_withdrawn_at: datetime | None = Field(
        None, description="When erasure withdrew the signed PDF (its hash is kept as the record that it existed)."
    )


class ExtensionOut(OutSchema):
    id: int
    previous_due_on: date
    due_on: date
    reason: str
    extended_by_id: int | None
    created_at: datetime
    addendum: AddendumOut | None = Field(
        None,
        description="Only for an extension made after the agreement was signed (the agreement itself shows a date "
        "changed before that). Its PDF: GET /api/v1/loans/{loan_id}/extensions/{id}/addendum.pdf.",
    )


class AcceptanceOut(OutSchema):
    signer_name: str
    relationship: Relationship
    signed_at: datetime
    witnessed_by_id: int
    has_signature_image: bool
    signed_pdf_sha256: str | None
    signed_pdf_withdrawn_at: datetime | None = Field(
        None, description="When erasure withdrew the signed PDF (its hash is kept as the record that it existed)."
    )


class LoanOut(OutSchema):
    id: int
    reference: str
    family_id: int
    nomination_id: int | None
    centre_id: int
    status: LoanStatus
    overdue: bool
    issued_at: datetime
    issued_by_id: int | None
    due_on: date
    closed_at: datetime | None
    notes: str
    gift_reason: str | None
    agreement: str = Field(description="unsigned or signed")
    items: list[LoanItemOut]
    extensions: list[ExtensionOut]
    acceptance: AcceptanceOut | None
