"""What the documents' API takes and answers: label requests, layouts and each centre's calibration."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from lending.core.schemas import Id, OutSchema, Schema
from lending.documents.layouts import MAX_OFFSET_MM
from lending.documents.models import LabelCalibration
from lending.inventory.lifecycle import Status
from lending.inventory.models import AssetKind
from lending.inventory.service import AssetFilters


class AssetFilterIn(Schema):
    kind: list[AssetKind] = []
    status: list[Status] = []
    centre_id: Id | None = None
    donation_id: Id | None = None
    q: str | None = Field(None, max_length=100)
    sim_expiring_within_days: int | None = Field(None, ge=0, le=3660)

    def filters(self) -> AssetFilters:
        return AssetFilters(
            kinds=self.kind,
            statuses=self.status,
            centre_id=self.centre_id,
            donation_id=self.donation_id,
            q=self.q,
            sim_expiring_within_days=self.sim_expiring_within_days,
        )


class LabelRequest(Schema):
    tags: list[str] | None = Field(None, max_length=20_000)
    filter: AssetFilterIn | None = None
    layout: str = Field(min_length=1, max_length=100)
    start_position: int = Field(
        1, ge=1, le=10_000, description="First free label on a partly used sheet (1 = top left)."
    )
    copies: int = Field(1, ge=1, le=20)
    centre_id: Id | None = Field(
        None, description="Print for this centre's printer: its saved calibration for the layout, if any, applies."
    )

    @model_validator(mode="after")
    def _one_source(self) -> LabelRequest:
        if (self.tags is None) == (self.filter is None):
            raise ValueError("give either tags or filter")
        return self


class LayoutOut(OutSchema):
    id: str
    name: str
    description: str
    page_width_mm: float
    page_height_mm: float
    label_width_mm: float
    label_height_mm: float
    columns: int
    rows: int
    per_page: int
    left_margin_mm: float
    top_margin_mm: float
    horizontal_pitch_mm: float
    vertical_pitch_mm: float
    corner_radius_mm: float
    calibration_x_mm: float
    calibration_y_mm: float


class CalibrationIn(Schema):
    x_mm: float = Field(ge=-MAX_OFFSET_MM, le=MAX_OFFSET_MM, allow_inf_nan=False, description="To the right.")
    y_mm: float = Field(ge=-MAX_OFFSET_MM, le=MAX_OFFSET_MM, allow_inf_nan=False, description="Down.")


class CalibrationOut(OutSchema):
    centre_id: int
    layout: str
    x_mm: float
    y_mm: float
    updated_at: datetime

    @classmethod
    def of(cls, saved: LabelCalibration) -> CalibrationOut:
        return cls(
            centre_id=saved.centre_id,
            layout=saved.layout_id,
            x_mm=saved.x_mm,
            y_mm=saved.y_mm,
            updated_at=saved.updated_at,
        )
