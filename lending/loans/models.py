from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type


class LoanStatus(enum.StrEnum):
    """Where a loan stands; once nothing is left out, how it ended, by its worst item (see `ending`)."""

    active = "active"
    returned = "returned"  # every item came back
    lost = "lost"  # nothing left out, at least one item lost, none stolen
    stolen = "stolen"  # nothing left out, at least one item stolen
    gifted = "gifted"  # given to the family for good


class ItemOutcome(enum.StrEnum):
    returned = "returned"
    lost = "lost"
    stolen = "stolen"
    gifted = "gifted"


def ending(outcomes: Sequence[ItemOutcome | None]) -> LoanStatus:
    """A closed loan's status from its items' outcomes: any stolen item makes it stolen, else any lost item lost."""
    if ItemOutcome.stolen in outcomes:
        return LoanStatus.stolen
    if ItemOutcome.lost in outcomes:
        return LoanStatus.lost
    return LoanStatus.returned


class ReturnCondition(enum.StrEnum):
    good = "good"
    damaged = "damaged"
    faulty = "faulty"


class Relationship(enum.StrEnum):
    parent = "parent"
    guardian = "guardian"
    carer = "carer"
    self = "self"
    other = "other"


class Loan(Base):
    """A bundle of assets lent to a family from a centre until a due date, under one agreement."""

    __tablename__ = "loan"
    # Free text about a family may name it: kept out of the audit log.
    __audit_redact__ = frozenset({"notes", "gift_reason"})
    __table_args__ = (
        CheckConstraint("status IN ('active', 'returned', 'lost', 'stolen', 'gifted')", name="status_known"),
        CheckConstraint("device_count >= 0 AND sim_count >= 0 AND children >= 0", name="item_counts"),
        Index("ix_loan_status_due_on", "status", "due_on"),
        # Lists page newest first, by status or not (0012): an index walked in order stops after one page. The
        # reports read a period's loans from it alone, hence the columns they group by (0014) and the children
        # each loan reached (0015).
        Index(
            "ix_loan_issued_at",
            "issued_at",
            "family_id",
            "centre_id",
            "nomination_id",
            "school_id",
            "nominated_at",
            "postcode_district",
            "children",
        ),
        Index("ix_loan_status_issued_at", "status", "issued_at"),
        # The reach since the start: loans per family with when each was issued, what it lent and to how many
        # children, read in family order from the index alone (0014, 0015).
        Index("ix_loan_family_id", "family_id", "issued_at", "device_count", "sim_count", "children"),
        # Returns and loan lengths in a period: status first, so that it is the status asked for that is walked.
        Index(
            "ix_loan_status_closed_at",
            "status",
            "closed_at",
            "issued_at",
            "family_id",
            "centre_id",
            "school_id",
            "postcode_district",
        ),
        # The school and the time of the nomination are the nomination's, which the database holds them to (0018);
        # no nomination, neither.
        ForeignKeyConstraint(
            ["nomination_id", "school_id", "nominated_at"],
            ["nomination.id", "nomination.school_id", "nomination.submitted_at"],
            name="fk_loan_nomination_kept",
        ),
        CheckConstraint(
            "(nomination_id IS NULL) = (school_id IS NULL) AND (nomination_id IS NULL) = (nominated_at IS NULL)",
            name="kept_with_nomination",
        ),
    )

    family_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("family.id"))
    nomination_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("nomination.id"), index=True)
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    # Where the loan reached, as it was when issued (0018): the nominating school, when it nominated, and the
    # family's postcode district. Reports read a period's loans without a join to nominations or families (by
    # school, by district, the wait from nomination to loan), a school's loans are those with its id, and a family
    # that moves later does not move the loans it had before.
    school_id: Mapped[int | None] = mapped_column(BigInteger)
    nominated_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    postcode_district: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[LoanStatus] = mapped_column(enum_type(LoanStatus, 10))
    issued_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    due_on: Mapped[date] = mapped_column(Date)
    # Reports count loans that ended in a period (returns, loan length): 0013, 0014.
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # Counted once at issue (a loan's items never change after it), so that the reach since the start reads the
    # loans alone rather than joining every item to its asset (0015).
    device_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sim_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The family's children when it was lent to: the children a loan reached. A report on a past period stays as
    # it was when the family's count is corrected later or the family is erased, and needs no join to families.
    children: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notes: Mapped[str] = mapped_column(Text, default="")
    gift_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def reference(self) -> str:
        return f"LN-{self.id:06d}"


class LoanItem(Base):
    """One asset on a loan, from issue until it comes back (or is lost, stolen or gifted)."""

    __tablename__ = "loan_item"
    __audit_redact__ = frozenset({"return_notes"})
    __table_args__ = (
        # The database itself allows one active loan per asset: racing issues of one device cannot both win.
        Index(
            "uq_loan_item_active_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        UniqueConstraint("loan_id", "asset_id", name="uq_loan_item_loan_asset"),
        # Whether an asset was ever lent, and its loans, ended ones too (0014).
        Index("ix_loan_item_asset_id", "asset_id"),
        # A loan's items with how each ended (0014).
        Index("ix_loan_item_loan_id", "loan_id", "asset_id", "outcome", "ended_at"),
        # Gifts in a period, the few among every item ever lent (0015).
        Index("ix_loan_item_outcome_ended_at", "outcome", "ended_at", "loan_id", "asset_id"),
        CheckConstraint("(ended_at IS NULL) = (outcome IS NULL)", name="ended_has_outcome"),
    )

    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan.id"))
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("asset.id"))
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    outcome: Mapped[ItemOutcome | None] = mapped_column(enum_type(ItemOutcome, 10))
    return_condition: Mapped[ReturnCondition | None] = mapped_column(enum_type(ReturnCondition, 10))
    charger_returned: Mapped[bool | None] = mapped_column(Boolean)
    return_notes: Mapped[str | None] = mapped_column(Text)
    police_reference: Mapped[str | None] = mapped_column(String(100))
    # A lost or stolen SIM must be barred with its network; recording the barring clears it.
    sim_barring_required: Mapped[bool] = mapped_column(Boolean, default=False)
    barred_on: Mapped[date | None] = mapped_column(Date)
    barring_reference: Mapped[str | None] = mapped_column(String(100))
    barred_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    received_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))


class LoanExtension(Base):
    __tablename__ = "loan_extension"
    __audit_redact__ = frozenset({"reason"})

    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan.id"), index=True)
    previous_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    extended_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))


class LoanAcceptance(Base):
    """The borrower's one signature covering every item of the loan."""

    __tablename__ = "loan_acceptance"
    __audit_redact__ = frozenset({"signer_name", "signature_png"})

    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan.id"), unique=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    relationship_to_family: Mapped[Relationship] = mapped_column(enum_type(Relationship, 20))
    signed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    witnessed_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Filled by the documents issue: the signed agreement, rendered once and kept byte for byte.
    signed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # Erasure withdraws the signed PDF (it names the family); that it existed, and its hash, stay.
    signed_pdf_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class LoanAddendum(Base):
    """The addendum for an extension made after the agreement was signed: the family signs the new due date.

    Made, awaiting a signature, with the extension itself whenever the loan's agreement is already signed (an
    extension before that needs none: the agreement then shows the new date). Signed once, like the agreement: the
    signed PDF is kept byte for byte with its SHA-256, and erasure withdraws it, keeping the hash.
    """

    __tablename__ = "loan_addendum"
    __audit_redact__ = frozenset({"signer_name", "signature_png"})
    __table_args__ = (
        # Signed all at once: who, how related, when and before whom, or nothing yet.
        CheckConstraint(
            "(signed_at IS NULL) = (signer_name IS NULL) AND (signed_at IS NULL) = (relationship_to_family IS NULL) "
            "AND (signed_at IS NULL) = (witnessed_by_id IS NULL)",
            name="signed_together",
        ),
        CheckConstraint(
            "relationship_to_family IS NULL OR relationship_to_family IN ('parent', 'guardian', 'carer', 'self', "
            "'other')",
            name="relationship_known",
        ),
        CheckConstraint(
            "signed_at IS NOT NULL OR (signature_png IS NULL AND signed_pdf IS NULL AND signed_pdf_sha256 IS NULL)",
            name="unsigned_is_empty",
        ),
        # A kept PDF has its hash; a withdrawn one is gone, its hash stays as the record that it existed.
        CheckConstraint("signed_pdf IS NULL OR signed_pdf_sha256 IS NOT NULL", name="pdf_has_hash"),
        CheckConstraint("signed_pdf_sha256 IS NULL OR length(signed_pdf_sha256) = 64", name="sha256_length"),
        CheckConstraint(
            "signed_pdf_withdrawn_at IS NULL OR (signed_pdf IS NULL AND signed_pdf_sha256 IS NOT NULL)",
            name="withdrawn_keeps_hash",
        ),
    )

    extension_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan_extension.id"), unique=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan.id"), index=True)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    relationship_to_family: Mapped[Relationship | None] = mapped_column(enum_type(Relationship, 20))
    signed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    witnessed_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_pdf_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    @property
    def status(self) -> str:
        return "awaiting_signature" if self.signed_at is None else "signed"


class IdempotencyKey(Base):
    """The first answer to a request made with an Idempotency-Key, replayed for a retry of the same request."""

    __tablename__ = "idempotency_key"
    __audit__ = False  # bookkeeping of requests, not data anyone edits
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_key_user_scope_key"),)

    user_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    # The family the stored answer is about, so that erasing the family forgets the answer too.
    family_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
