from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type


class DonorKind(enum.StrEnum):
    business = "business"
    individual = "individual"
    school = "school"
    council = "council"
    charity = "charity"
    other = "other"


class AssetKind(enum.StrEnum):
    laptop = "laptop"
    chromebook = "chromebook"
    desktop = "desktop"
    tablet = "tablet"
    phone = "phone"
    hotspot = "hotspot"
    sim = "sim"
    accessory = "accessory"


# Kinds that can hold a family's (or a donor's) data: they need a wipe before they are lent again.
HOLDS_DATA = frozenset({AssetKind.laptop, AssetKind.chromebook, AssetKind.desktop, AssetKind.tablet, AssetKind.phone})
IMEI_KINDS = frozenset({AssetKind.phone, AssetKind.hotspot, AssetKind.tablet})
# What the figures count as a device lent: a SIM is counted apart and an accessory (a charger, a case) not at all.
NOT_DEVICES = frozenset({AssetKind.sim, AssetKind.accessory})


class StorageType(enum.StrEnum):
    hdd = "hdd"
    ssd = "ssd"
    emmc = "emmc"


class OperatingSystem(enum.StrEnum):
    windows_10 = "windows-10"
    windows_11 = "windows-11"
    chromeos = "chromeos"
    chromeos_flex = "chromeos-flex"
    linux = "ubuntu-linux"
    android = "android"
    ios = "ipados-ios"
    other = "other"


class ConditionGrade(enum.StrEnum):
    a = "A"
    b = "B"
    c = "C"
    parts = "parts"


class Network(enum.StrEnum):
    ee = "EE"
    o2 = "O2"
    three = "Three"
    vodafone = "Vodafone"
    giffgaff = "giffgaff"
    smarty = "Smarty"
    voxi = "VOXI"
    lebara = "Lebara"
    lyca = "Lyca"
    other = "other"


class WipeMethod(enum.StrEnum):
    nist_clear = "nist-800-88-clear"
    nist_purge = "nist-800-88-purge"
    blancco = "blancco"
    nwipe = "nwipe"
    manufacturer_reset = "manufacturer-reset"
    drive_destroyed = "drive-destroyed"
    no_drive = "no-drive"


# Tools that issue their own certificate: the reference to it is required.
CERTIFIED_METHODS = frozenset({WipeMethod.blancco, WipeMethod.nwipe})


class Status(enum.StrEnum):
    """Where an asset is in its lifecycle; lifecycle.py decides which may follow which."""

    received = "received"
    in_refurbishment = "in_refurbishment"
    ready = "ready"
    on_loan = "on_loan"
    returned = "returned"
    repair = "repair"
    retired = "retired"
    lost = "lost"
    stolen = "stolen"
    gifted = "gifted"


class RetirementReason(enum.StrEnum):
    recycled = "recycled"
    parts = "parts"
    beyond_repair = "beyond_repair"


class Donor(Base):
    __tablename__ = "donor"

    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[DonorKind] = mapped_column(enum_type(DonorKind, 20))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    may_thank_publicly: Mapped[bool] = mapped_column(Boolean, default=False)


class Donation(Base):
    """What one donor handed over at one centre on one day: several assets."""

    __tablename__ = "donation"

    donor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("donor.id"), index=True)
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class AssetTagSequence(Base):
    """The last sequence number handed out per tag prefix (LAP, SIM, …)."""

    __tablename__ = "asset_tag_sequence"
    __audit__ = False  # a counter, not data anyone edits

    prefix: Mapped[str] = mapped_column(String(5), unique=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Asset(Base):
    """One lendable thing with a unique asset tag: a device, a SIM or an accessory."""

    __tablename__ = "asset"
    __audit_redact__ = frozenset({"voucher_code"})
    __table_args__ = (
        # Serial numbers are unique per make, whatever case the make or the serial was typed in.
        UniqueConstraint("make_key", "serial_key", name="uq_asset_make_serial"),
        CheckConstraint(
            "battery_health_pct IS NULL OR (battery_health_pct BETWEEN 0 AND 100)", name="battery_health_range"
        ),
        CheckConstraint(
            "status IN ('received', 'in_refurbishment', 'ready', 'on_loan', 'returned', 'repair', 'retired', "
            "'lost', 'stolen', 'gifted')",
            name="status_known",
        ),
        Index("ix_asset_kind_status", "kind", "status"),
        # A status's page in tag order, without sorting every asset in that status (0012).
        Index("ix_asset_status_tag", "status", "tag"),
    )

    tag: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[AssetKind] = mapped_column(enum_type(AssetKind, 20))
    status: Mapped[Status] = mapped_column(enum_type(Status, 20), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # When it last came in (received, returned, found): a wipe must be recorded after this to be ready.
    intake_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("donation.id"), index=True)

    make: Mapped[str | None] = mapped_column(String(100))
    make_key: Mapped[str | None] = mapped_column(String(100), Computed("lower(make)", persisted=True))
    model: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    serial_key: Mapped[str | None] = mapped_column(String(100), Computed("lower(serial_number)", persisted=True))
    cpu: Mapped[str | None] = mapped_column(String(100))
    ram_gb: Mapped[int | None] = mapped_column(Integer)
    storage_gb: Mapped[int | None] = mapped_column(Integer)
    storage_type: Mapped[StorageType | None] = mapped_column(enum_type(StorageType, 10))
    os: Mapped[OperatingSystem | None] = mapped_column(enum_type(OperatingSystem, 20))
    battery_health_pct: Mapped[int | None] = mapped_column(Integer)
    condition_grade: Mapped[ConditionGrade | None] = mapped_column(enum_type(ConditionGrade, 10))
    charger_included: Mapped[bool] = mapped_column(Boolean, default=False)
    charger_safety_test_on: Mapped[date | None] = mapped_column(Date)
    imei: Mapped[str | None] = mapped_column(String(15), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    iccid: Mapped[str | None] = mapped_column(String(22), unique=True)
    network: Mapped[Network | None] = mapped_column(enum_type(Network, 20))
    msisdn: Mapped[str | None] = mapped_column(String(16))
    data_allowance_gb: Mapped[int | None] = mapped_column(Integer)
    plan_months: Mapped[int | None] = mapped_column(Integer)
    activated_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    voucher_code: Mapped[str | None] = mapped_column(String(64))

    retired_reason: Mapped[RetirementReason | None] = mapped_column(enum_type(RetirementReason, 20))
    weee_reference: Mapped[str | None] = mapped_column(String(100))


class WipeCertificate(Base):
    """Evidence that an asset's storage was sanitised, and how."""

    __tablename__ = "wipe_certificate"
    __table_args__ = (
        # One certificate is evidence for one device's wipe: its reference cannot be recorded for another device.
        UniqueConstraint("certificate_key", name="uq_wipe_certificate_certificate_key"),
    )

    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("asset.id"), index=True)
    method: Mapped[WipeMethod] = mapped_column(enum_type(WipeMethod, 30))
    performed_on: Mapped[date] = mapped_column(Date)
    performed_by: Mapped[str] = mapped_column(String(200))
    certificate_reference: Mapped[str | None] = mapped_column(String(200))
    certificate_key: Mapped[str | None] = mapped_column(
        String(200), Computed("lower(certificate_reference)", persisted=True)
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))


class AssetEventKind(enum.StrEnum):
    created = "created"
    transition = "transition"
    wipe = "wipe"
    move = "move"
    edit = "edit"
    barred = "barred"  # a lost or stolen SIM barred with its network


class AssetEvent(Base):
    """The asset's own history: each transition, wipe, move and edit, with who, when and why."""

    __tablename__ = "asset_event"
    __audit_history__ = True
    __table_args__ = (
        # The pipeline report reads the moves to ready of a period, and how long each took, from this alone (0014).
        Index("ix_asset_event_to_status_occurred_at", "to_status", "occurred_at", "intake_at", "asset_id"),
    )

    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("asset.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    kind: Mapped[AssetEventKind] = mapped_column(enum_type(AssetEventKind, 20))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(320))
    from_status: Mapped[Status | None] = mapped_column(enum_type(Status, 20))
    to_status: Mapped[Status | None] = mapped_column(enum_type(Status, 20))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    # On a move to ready: when the asset had come in (its intake_at then), so that received-to-ready times are read
    # from the ready events themselves rather than searched for in each asset's history.
    intake_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
