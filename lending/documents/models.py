from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base
from lending.documents.layouts import MAX_OFFSET_MM


class LabelCalibration(Base):
    """How far one centre's printer is off for one layout: replaces the layout file's calibration for its labels."""

    __tablename__ = "label_calibration"
    __table_args__ = (
        UniqueConstraint("centre_id", "layout_id", name="uq_label_calibration_centre_layout"),
        CheckConstraint(f"x_mm BETWEEN -{MAX_OFFSET_MM} AND {MAX_OFFSET_MM}", name="x_mm_range"),
        CheckConstraint(f"y_mm BETWEEN -{MAX_OFFSET_MM} AND {MAX_OFFSET_MM}", name="y_mm_range"),
    )

    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    layout_id: Mapped[str] = mapped_column(String(100))
    x_mm: Mapped[float] = mapped_column(Float)
    y_mm: Mapped[float] = mapped_column(Float)
