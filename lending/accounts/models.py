from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base


class Role(str, enum.Enum):
    admin = "admin"
    staff = "staff"
    volunteer = "volunteer"
    school = "school"


STAFF_OR_ADMIN = (Role.admin, Role.staff)
DESK = (Role.admin, Role.staff, Role.volunteer)


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
    role: Mapped[str] = mapped_column(String(20))
    home_centre_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("school.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Tokens issued before this moment stop working: a password reset signs everyone out.
    password_changed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
