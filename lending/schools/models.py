from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base


class School(Base):
    """A school that nominates families; its users see only the families it nominated."""

    __tablename__ = "school"
    __table_args__ = (
        CheckConstraint("length(urn) = 6", name="urn_six_digits"),
        CheckConstraint("percentage_fsm IS NULL OR percentage_fsm BETWEEN 0 AND 100", name="percentage_fsm_range"),
    )

    name: Mapped[str] = mapped_column(String(200))
    urn: Mapped[str] = mapped_column(String(6), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # As the DfE's Get Information About Schools publishes them (`lending import schools`); empty for a school
    # typed in by hand. The phase and the share of pupils on free school meals say which families a school serves.
    phase: Mapped[str | None] = mapped_column(String(40))
    percentage_fsm: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    # "Open", "Closed", "Open, but proposed to close", "Proposed to open".
    establishment_status: Mapped[str | None] = mapped_column(String(40))
