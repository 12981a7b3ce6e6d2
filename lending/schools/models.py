from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base


class School(Base):
    """A school that nominates families; its users see only the families it nominated."""

    __tablename__ = "school"
    __table_args__ = (CheckConstraint("length(urn) = 6", name="urn_six_digits"),)

    name: Mapped[str] = mapped_column(String(200))
    urn: Mapped[str] = mapped_column(String(6), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
