"""The documents' own rows: label calibrations per centre and layout."""

from __future__ import annotations

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import select

from lending.core.pagination import ListParams, list_page
from lending.documents.models import LabelCalibration

CALIBRATION_SORTABLE = {"layout": LabelCalibration.layout_id, "centre_id": LabelCalibration.centre_id}


class CalibrationRepository(SQLAlchemyAsyncRepository[LabelCalibration]):
    model_type = LabelCalibration

    async def of(self, centre_id: int, layout_id: str) -> LabelCalibration | None:
        stmt = select(LabelCalibration).where(
            LabelCalibration.centre_id == centre_id, LabelCalibration.layout_id == layout_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def page(self, params: ListParams, *, centre_id: int | None) -> tuple[list[LabelCalibration], int]:
        where = [LabelCalibration.centre_id == centre_id] if centre_id is not None else []
        return await list_page(self, params, *where, sortable=CALIBRATION_SORTABLE, default_sort="centre_id")
