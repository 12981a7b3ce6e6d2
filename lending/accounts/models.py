from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type


class Role(enum.StrEnum):
    admin = "admin"
    staff = "staff"
    volunteer = "volunteer"
    school = "school"


class User(Base):
    """Someone who signs in: charity staff, a desk volunteer or a school's contact."""

    __tablename__ = "user_account"
    __audit_redact__ = frozenset({"password_hash"})
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff', 'volunteer', 'school')", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # A school user belongs to exactly one school; nobody else belongs to one.
        CheckConstraint("(role = 'school') = (school_id IS NOT NULL)", name="school_role_has_school"),
    )

    # Stored lower-cased (the check above) so the unique index is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, 20))
    home_centre_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("school.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # Carried in every token (claim `ver`) and compared on each request: a password change or reset, or
    # deactivation, bumps it and so ends every token issued before, even one from the same second.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class LoginAttempt(Base):
    """One sign-in attempt, kept in the database so that every worker process counts the same attempts.

    Written before the password is checked (as a failure) and marked succeeded afterwards, so an attempt whose
    request dies half-way still counts. Rows older than the longest rule's memory are deleted as new ones come.
    """

    __tablename__ = "login_attempt"
    __audit__ = False  # bookkeeping of the rate limit, not data anyone edits
    __table_args__ = (
        Index("ix_login_attempt_email_key_occurred_at", "email_key", "occurred_at"),
        Index("ix_login_attempt_address_occurred_at", "address", "occurred_at"),
        Index("ix_login_attempt_device_key_occurred_at", "device_key", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    address: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the lower-cased email: attempts are counted per account without keeping a list of the emails
    # (typos included) that people tried.
    email_key: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the device token's nonce when the attempt came with a valid one, else null.
    device_key: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser: the cookie carries a random token, the database only its SHA-256.

    Kept server-side so that signing out, deactivation and a password change or reset end it at once: every page
    request looks the row up and compares the user's token version, as bearer tokens do.
    """

    __tablename__ = "web_session"
    __audit__ = False  # a credential's bookkeeping (sign-ins are in the access log), not data anyone edits

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
