from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from lending.core import validators
from lending.core.schemas import ActivationDate, ExpiryDate, Id, Name, OutSchema, PastDate, Schema, ShortText
from lending.inventory.lifecycle import Status
from lending.inventory.models import (
    AssetKind,
    ConditionGrade,
    DonorKind,
    Network,
    OperatingSystem,
    RetirementReason,
    StorageType,
    WipeMethod,
)

Iccid = Annotated[str, AfterValidator(validators.iccid)]
Imei = Annotated[str, AfterValidator(validators.imei)]
Mobile = Annotated[str, AfterValidator(lambda v: validators.uk_phone(v, mobile=True))]
Phone = Annotated[str, AfterValidator(validators.uk_phone)]
Text100 = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]


# --- donors and donations -------------------------------------------------------------------------------------


class DonorCreate(Schema):
    name: Name
    kind: DonorKind
    contact_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    notes: ShortText = ""
    may_thank_publicly: bool = False


class DonorUpdate(Schema):
    name: Name | None = None
    kind: DonorKind | None = None
    contact_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    notes: ShortText | None = None
    may_thank_publicly: bool | None = None


class DonorOut(OutSchema):
    id: int
    name: str
    kind: DonorKind
    contact_name: str | None
    email: str | None
    phone: str | None
    notes: str
    may_thank_publicly: bool
    created_at: datetime


# --- assets --------------------------------------------------------------------------------------------------


class AssetFields(Schema):
    """The descriptive fields of an asset; which apply depends on its kind (checked by the service)."""

    make: Text100 | None = None
    model: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] | None = None
    serial_number: Text100 | None = None
    cpu: Text100 | None = None
    ram_gb: int | None = Field(None, ge=0, le=1024)
    storage_gb: int | None = Field(None, ge=0, le=100_000)
    storage_type: StorageType | None = None
    os: OperatingSystem | None = None
    battery_health_pct: int | None = Field(None, ge=0, le=100)
    condition_grade: ConditionGrade | None = None
    charger_included: bool | None = None
    charger_safety_test_on: PastDate | None = None
    imei: Imei | None = None
    notes: ShortText | None = None
    iccid: Iccid | None = None
    network: Network | None = None
    msisdn: Mobile | None = None
    data_allowance_gb: int | None = Field(None, ge=0, le=10_000, description="Monthly; null means unlimited.")
    plan_months: int | None = Field(None, ge=1, le=120)
    activated_on: ActivationDate | None = None
    expires_on: ExpiryDate | None = Field(None, description="Derived from activated_on + plan_months when not given.")
    voucher_code: Annotated[str, StringConstraints(max_length=64, strip_whitespace=True)] | None = None


class AssetIn(AssetFields):
    kind: AssetKind


class AssetUpdate(AssetFields):
    """Descriptive fields only: status moves through transitions, the tag never changes."""


class AssetOut(OutSchema):
    id: int
    tag: str
    kind: AssetKind
    status: Status
    status_changed_at: datetime
    centre_id: int
    donation_id: int | None
    make: str | None
    model: str | None
    serial_number: str | None
    cpu: str | None
    ram_gb: int | None
    storage_gb: int | None
    storage_type: StorageType | None
    os: OperatingSystem | None
    battery_health_pct: int | None
    condition_grade: ConditionGrade | None
    charger_included: bool
    charger_safety_test_on: date | None
    imei: str | None
    notes: str
    iccid: str | None
    network: Network | None
    msisdn: str | None
    data_allowance_gb: int | None
    plan_months: int | None
    activated_on: date | None
    expires_on: date | None
    retired_reason: RetirementReason | None
    weee_reference: str | None
    created_at: datetime


class AssetStaffOut(AssetOut):
    voucher_code: str | None


class WipeIn(Schema):
    method: WipeMethod
    performed_on: PastDate
    performed_by: Name
    certificate_reference: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] | None = None
    notes: ShortText = ""


class WipeOut(OutSchema):
    id: int
    method: WipeMethod
    performed_on: date
    performed_by: str
    certificate_reference: str | None
    notes: str
    recorded_at: datetime
    recorded_by_id: int | None


class AssetDetail(AssetOut):
    wipes: list[WipeOut]
    wiped_since_intake: bool
    allowed_moves: list[str] = Field(description="Statuses this asset may move to by a transition request.")


class AssetStaffDetail(AssetDetail):
    voucher_code: str | None


class DonationCreate(Schema):
    donor_id: Id
    centre_id: Id
    received_on: PastDate
    notes: ShortText = ""
    items: list[AssetIn] = Field(min_length=1, max_length=1000)


class DonationOut(OutSchema):
    id: int
    donor_id: int
    centre_id: int
    received_on: date
    notes: str
    created_at: datetime


class DonationStaffDetail(DonationOut):
    assets: list[AssetStaffOut]


class TransitionIn(Schema):
    to: Status
    reason: ShortText | None = None
    retired_reason: RetirementReason | None = Field(None, description="Required when `to` is retired.")
    weee_reference: Text100 | None = Field(None, description="WEEE disposal reference, when retired.")


class BatchTransitionIn(Schema):
    tags: list[Annotated[str, StringConstraints(max_length=40, strip_whitespace=True)]] = Field(
        min_length=1, max_length=1000
    )
    to: Status
    reason: ShortText | None = None


class MoveIn(Schema):
    centre_id: Id
    reason: ShortText | None = None


class AssetEventOut(OutSchema):
    occurred_at: datetime
    kind: str
    actor_id: int | None
    actor_label: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    details: dict[str, Any] | None


class ImportRowError(OutSchema):
    row: int
    field: str
    message: str


class ImportReport(OutSchema):
    dry_run: bool
    rows: int
    created: int
    valid: bool
    errors: list[ImportRowError]
    tags: list[str] = Field(description="Tags of the assets created (empty on a dry run).")
