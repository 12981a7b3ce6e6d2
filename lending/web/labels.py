"""Printing labels at the desk: choose assets (scanned or typed tags, or a filter), a layout, and the first free label
on a partly used sheet by clicking it on a picture of the sheet; and calibrating a centre's printer per layout.
The same DocumentService as /api/v1/labels: the same PDFs, the same saved offsets."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect, Stream
from pydantic import ValidationError

from lending.access import Actor, allow
from lending.centres.deps import provide_centre_service
from lending.centres.service import CentreService
from lending.core.errors import DomainError, Invalid
from lending.core.pagination import ListParams
from lending.documents.deps import provide_documents
from lending.documents.layouts import Layout
from lending.documents.responses import PDF, label_stream
from lending.documents.schemas import CalibrationIn, LabelRequest
from lending.documents.service import DocumentService
from lending.inventory.deps import provide_assets
from lending.inventory.lifecycle import Status
from lending.inventory.service import AssetService
from lending.web.render import FormErrors, form_dict, page

# The API request's fields as the page names them.
_FIELD_OF = {"filter.status[0]": "status", "filter.centre_id": "centre_id"}
TAG_SPLIT = re.compile(r"[\s,;]+")


def _tags(text: str) -> list[str]:
    return [t for t in TAG_SPLIT.split(text.strip()) if t]


def _int(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _sheets(documents: DocumentService) -> list[Layout]:
    # Sheets first (the ones with a start position to choose), then rolls, each by name.
    return sorted(documents.layouts.values(), key=lambda l: (l.per_page == 1, l.name))


class LabelPages(Controller):
    path = "/desk/labels"
    guards = [allow("desk.use")]
    include_in_schema = False
    dependencies = {
        "documents": Provide(provide_documents),
        "centres": Provide(provide_centre_service),
        "assets": Provide(provide_assets),
    }

    async def _form(
        self,
        documents: DocumentService,
        centres: CentreService,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response[Any]:
        layouts = _sheets(documents)
        layout = documents.layouts.get(str(values.get("layout") or "")) or layouts[0]
        start = _int(values.get("start_position"), 1) or 1
        centre_list, _ = await centres.list(ListParams(limit=500), active=True)
        return page(
            "labels/print.html",
            status_code=status_code,
            layouts=layouts,
            layout=layout,
            start=min(max(start, 1), layout.per_page),
            centres=centre_list,
            values=values,
            errors=errors,
            statuses=[s.value for s in Status],
        )

    @get("/", guards=[allow("documents.print")])
    async def choose(
        self, request: Request[Any, Any, Any], actor: Actor, documents: DocumentService, centres: CentreService
    ) -> Response[Any]:
        query = request.query_params
        values = {
            "tags": "\n".join(_tags(" ".join(query.getall("tags", [])))),
            "layout": query.get("layout") or "",
            "start_position": query.get("start_position") or "1",
            "centre_id": query.get("centre_id") or (actor.home_centre_id or ""),
            "status": query.get("status") or "",
            "copies": query.get("copies") or "1",
        }
        return await self._form(documents, centres, values, {})

    @post("/", guards=[allow("documents.print")], status_code=200)
    async def print_labels(
        self,
        request: Request[Any, Any, Any],
        documents: DocumentService,
        centres: CentreService,
        assets: AssetService,
    ) -> Response[Any]:
        values = await form_dict(request)
        try:
            centre_id = _int(values.get("centre_id"))
            tags = _tags(str(values.get("tags") or ""))
            status = str(values.get("status") or "")
            # The page's two ways to choose assets, as the API's request: tags, or a status at a centre.
            chosen: dict[str, Any]
            if tags:
                chosen = {"tags": tags}
            elif status:
                if centre_id is None:
                    raise Invalid.field("centre_id", "choose the centre whose assets to label")
                chosen = {"filter": {"status": [status], "centre_id": centre_id}}
            else:
                raise Invalid.field("tags", "scan or type at least one tag, or choose a status at a centre")
            if not values.get("start_position"):
                raise Invalid.field("start_position", "choose the first free label")
            data = LabelRequest.model_validate(
                {
                    **chosen,
                    "layout": values.get("layout") or "",
                    "start_position": values.get("start_position"),
                    "copies": values.get("copies") or None,
                    "centre_id": centre_id,
                }
            )
            job = await documents.label_job_for(data, assets)
        except (ValidationError, DomainError) as exc:
            errors = FormErrors({_FIELD_OF.get(k, k): v for k, v in FormErrors.of(exc).items()})
            return await self._form(documents, centres, values, errors, status_code=422)
        return label_stream(documents, job)

    # --- calibration ---------------------------------------------------------------------------------------

    @get("/calibration", guards=[allow("documents.print")])
    async def calibration(
        self, request: Request[Any, Any, Any], actor: Actor, documents: DocumentService, centres: CentreService
    ) -> Response[Any]:
        query = request.query_params
        centre_id = _int(query.get("centre_id"), actor.home_centre_id)
        layouts = _sheets(documents)
        layout_id = query.get("layout") or layouts[0].id
        layout = await documents.layout_at(layout_id, centre_id)
        note = query.get("note")
        return await self._calibration_page(documents, centres, layout, centre_id, {}, note=note)

    async def _calibration_page(
        self,
        documents: DocumentService,
        centres: CentreService,
        layout: Layout,
        centre_id: int | None,
        errors: dict[str, str],
        *,
        note: str | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        centre_list, _ = await centres.list(ListParams(limit=500), active=True)
        return page(
            "labels/calibration.html",
            status_code=status_code,
            layouts=_sheets(documents),
            layout=layout,
            centres=centre_list,
            centre_id=centre_id,
            errors=errors,
            note=note,
            values=values or {"x_mm": layout.calibration.x_mm, "y_mm": layout.calibration.y_mm},
        )

    @post("/calibration", guards=[allow("labels.calibrate")])
    async def save_calibration(
        self, request: Request[Any, Any, Any], documents: DocumentService, centres: CentreService
    ) -> Response[Any]:
        form = await form_dict(request)
        centre_id = _int(form.get("centre_id"))
        layout_id = str(form.get("layout") or "")
        layout = documents.layout(layout_id)
        try:
            if centre_id is None:
                raise Invalid.field("centre_id", "choose the centre whose printer this is")
            offsets = CalibrationIn.model_validate({"x_mm": form.get("x_mm"), "y_mm": form.get("y_mm")})
            saved = await documents.calibrate(centre_id, layout.id, offsets.x_mm, offsets.y_mm)
        except (ValidationError, DomainError) as exc:
            return await self._calibration_page(
                documents, centres, layout, centre_id, FormErrors.of(exc), values=form, status_code=422
            )
        note = f"Saved: labels on {layout.name} move {saved.x_mm:+.1f} mm right and {saved.y_mm:+.1f} mm down."
        query = urlencode({"centre_id": centre_id, "layout": layout.id, "note": note})
        return Redirect(f"/desk/labels/calibration?{query}", status_code=303)

    @get("/calibration.pdf", guards=[allow("documents.print")], media_type=PDF)
    async def calibration_sheet(self, request: Request[Any, Any, Any], documents: DocumentService) -> Stream:
        layout_id = str(request.query_params.get("layout") or "")
        chosen, pdf = await documents.calibration_sheet(layout_id, _int(request.query_params.get("centre_id")))
        return Stream(
            pdf, media_type=PDF, headers={"Content-Disposition": f'inline; filename="calibration-{chosen.id}.pdf"'}
        )
