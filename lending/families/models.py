from __future__ import annotations

import enum
from datetime import date, datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type

# Personal data: never copied into the audit log, and blanked by erasure.
FAMILY_PERSONAL = frozenset(
    {
        "lead_name",
        "phone",
        "email",
        "address",
        "postcode",
        "notes",
        "free_school_meals",
        "pupil_premium",
        "on_benefits",
        "imd_decile",
    }
)


class Family(Base):
    """A household that needs a device. Its lead contact never signs in."""

    __tablename__ = "family"
    # The lower-cased name is the name too: it never reaches the audit log either.
    __audit_redact__ = FAMILY_PERSONAL | {"name_key"}
    __table_args__ = (
        # The families list pages by name (0012).
        Index("ix_family_lead_name", "lead_name"),
        CheckConstraint("imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", name="imd_decile_range"),
        CheckConstraint(
            "children >= 0 AND school_age_children >= 0 AND school_age_children <= children", name="children_counts"
        ),
    )

    lead_name: Mapped[str] = mapped_column(String(200))
    # Lower-cased copy of the name, for the duplicate check (postcode + name).
    name_key: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    # Kept after erasure so reports can still count by area.
    postcode_district: Mapped[str | None] = mapped_column(String(4), index=True)
    preferred_language: Mapped[str] = mapped_column(String(12), default="en")
    # The family said no to reminders on a channel (lending.messages): nothing is queued for it there.
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    children: Mapped[int] = mapped_column(Integer)
    school_age_children: Mapped[int] = mapped_column(Integer)
    devices_at_home: Mapped[int] = mapped_column(Integer, default=0)
    has_broadband: Mapped[bool] = mapped_column(Boolean, default=False)
    free_school_meals: Mapped[bool | None] = mapped_column(Boolean)
    pupil_premium: Mapped[bool | None] = mapped_column(Boolean)
    on_benefits: Mapped[bool | None] = mapped_column(Boolean)
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    imd_from_lookup: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    consent_given_on: Mapped[date | None] = mapped_column(Date)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    consent_recorded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # A school's copy that staff merged into the family already held: anonymised, kept so ids stay meaningful.
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("family.id"))


class Urgency(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


class NominationStatus(enum.StrEnum):
    submitted = "submitted"
    approved = "approved"
    waitlisted = "waitlisted"
    declined = "declined"
    fulfilled = "fulfilled"
    withdrawn = "withdrawn"


class Nomination(Base):
    """A school's request for a family: what is needed, why, and how urgently."""

    __tablename__ = "nomination"
    __audit_redact__ = frozenset({"reason"})
    __table_args__ = (
        # Lists page newest first, by status or not (0012).
        Index("ix_nomination_submitted_at", "submitted_at"),
        Index("ix_nomination_status_submitted_at", "status", "submitted_at"),
        CheckConstraint(
            "laptops >= 0 AND tablets >= 0 AND sims >= 0 AND laptops + tablets + sims > 0", name="something_needed"
        ),
        CheckConstraint(
            "status IN ('submitted', 'approved', 'waitlisted', 'declined', 'fulfilled', 'withdrawn')",
            name="status_known",
        ),
        # What a loan keeps of its nomination is checked against (lending.loans.models.Loan, 0018).
        UniqueConstraint("id", "school_id", "submitted_at", name="uq_nomination_kept_by_loans"),
    )

    family_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("family.id"), index=True)
    school_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("school.id"), index=True)
    laptops: Mapped[int] = mapped_column(Integer, default=0)
    tablets: Mapped[int] = mapped_column(Integer, default=0)
    sims: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, 10), default=Urgency.normal)
    status: Mapped[NominationStatus] = mapped_column(enum_type(NominationStatus, 12), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    # Set when staff merged the family the school submitted into one already held: the school keeps seeing this id
    # and its nomination, and gains no access to the held family through it.
    merged_from_family_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("family.id"))


class NominationEvent(Base):
    """The nomination's timeline: submitted, each decision, fulfilment or withdrawal."""

    __tablename__ = "nomination_event"
    __audit_history__ = True
    __audit_redact__ = frozenset({"note"})

    nomination_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("nomination.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[NominationStatus | None] = mapped_column(enum_type(NominationStatus, 12))
    to_status: Mapped[NominationStatus] = mapped_column(enum_type(NominationStatus, 12))
    note: Mapped[str] = mapped_column(Text, default="")


class DuplicateStatus(enum.StrEnum):
    open = "open"
    merged = "merged"
    kept_apart = "kept_apart"
    # Closed without a decision: one of the two records was erased, or merged through another pair.
    superseded = "superseded"


class MatchedOn(enum.StrEnum):
    """What made a submitted family look like one already held."""

    phone = "phone"
    name_postcode = "name_postcode"


class PossibleDuplicate(Base):
    """A family a school submitted that looks like one already held, waiting for staff to merge or keep apart.

    The school never learns of the match: it keeps its own record and its nomination, exactly as if there had been
    no match.
    """

    __tablename__ = "possible_duplicate"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'merged', 'kept_apart', 'superseded')", name="status_known"),
        CheckConstraint("family_id <> held_family_id", name="two_families"),
    )

    # The record made from what the school typed.
    family_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("family.id"), index=True)
    # The family already held that it resembles.
    held_family_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("family.id"), index=True)
    # The nomination that brought it in; none when a school's edit made its family match.
    nomination_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("nomination.id"))
    matched_on: Mapped[MatchedOn] = mapped_column(enum_type(MatchedOn, 20))
    status: Mapped[DuplicateStatus] = mapped_column(
        enum_type(DuplicateStatus, 12), index=True, default=DuplicateStatus.open
    )
    raised_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class ImdPostcode(Base):
    """Postcode → Index of Multiple Deprivation decile (1 = most deprived 10% of areas)."""

    __tablename__ = "imd_postcode"
    __audit__ = False  # loaded in bulk by `lending import imd`, audited per batch there (FamilyService.load_imd)
    __table_args__ = (CheckConstraint("imd_decile BETWEEN 1 AND 10", name="decile_range"),)

    postcode: Mapped[str] = mapped_column(String(8), unique=True)
    imd_decile: Mapped[int] = mapped_column(Integer)
    lsoa: Mapped[str | None] = mapped_column(String(12))
