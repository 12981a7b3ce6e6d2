from __future__ import annotations

import io
from typing import Any

from advanced_alchemy.service import OffsetPagination
from barcode import Code128 as BarcodeCode128
from barcode.writer import ImageWriter, SVGWriter
from litestar import Controller, Response, get, post, put
from litestar.di import Provide
from litestar.response import Stream

from lending.access import Actor, allow
from lending.config import Settings
from lending.core.errors import Invalid
from lending.core.pagination import IdQuery, ListParams, page
from lending.documents.deps import provide_documents
from lending.documents.responses import PDF, addendum_response, agreement_response, label_stream
from lending.documents.schemas import CalibrationIn, CalibrationOut, LabelRequest, LayoutOut
from lending.documents.service import DocumentService
from lending.inventory.deps import provide_assets
from lending.inventory.service import AssetService
from lending.loans.deps import provide_loans
from lending.loans.schemas import AcceptanceIn, LoanOut
from lending.loans.service import LoanService
from lending.loans.shapes import present


class LabelController(Controller):
    path = "/api/v1/labels"
    tags = ["documents"]
    guards = [allow("documents.print")]
    dependencies = {"documents": Provide(provide_documents), "inventory": Provide(provide_assets)}

    @get("/layouts", summary="Label layouts, with their dimensions")
    async def layouts(self, documents: DocumentService) -> list[LayoutOut]:
        out = []
        for layout in sorted(documents.layouts.values(), key=lambda l: l.id):
            width, height = layout.page_size_mm
            out.append(
                LayoutOut(
                    **layout.model_dump(exclude={"page", "page_width_mm", "page_height_mm", "calibration"}),
                    page_width_mm=width,
                    page_height_mm=height,
                    per_page=layout.per_page,
                    calibration_x_mm=layout.calibration.x_mm,
                    calibration_y_mm=layout.calibration.y_mm,
                )
            )
        return out

    @post(
        "/",
        status_code=200,
        media_type=PDF,
        summary="A PDF of asset labels for a layout (streamed)",
        description="Give `tags`, or `filter` (the asset list's filters). `start_position` skips used labels on a "
        "partly used sheet; `copies` repeats each label.",
    )
    async def labels(self, data: LabelRequest, documents: DocumentService, inventory: AssetService) -> Stream:
        return label_stream(documents, await documents.label_job_for(data, inventory))

    @get("/calibrations", summary="Each centre's saved label offsets, per layout")
    async def calibrations(
        self, documents: DocumentService, list_params: ListParams, centre_id: IdQuery = None
    ) -> OffsetPagination[CalibrationOut]:
        items, total = await documents.list_calibrations(list_params, centre_id=centre_id)
        return page([CalibrationOut.of(c) for c in items], total, list_params)

    @put(
        "/calibrations/{centre_id:int}/{layout:str}",
        guards=[allow("labels.calibrate")],
        summary="Save a centre's offsets for a layout",
        description="Replaces the layout file's calibration for this centre's labels (`centre_id` in "
        "`POST /api/v1/labels`): x to the right, y down, each within ±20 mm.",
    )
    async def calibrate(
        self, centre_id: int, layout: str, data: CalibrationIn, documents: DocumentService
    ) -> CalibrationOut:
        return CalibrationOut.of(await documents.calibrate(centre_id, layout, data.x_mm, data.y_mm))

    @get(
        "/layouts/{layout:str}/calibration.pdf",
        media_type=PDF,
        summary="A calibration test sheet for a layout",
        description="One page: each label's outline with a crosshair at its centre, and millimetre rulers along "
        "the top and left edges, moved by the centre's saved offsets (or the layout file's, without `centre_id`). "
        "Print it and hold it to the light over a blank sheet of labels.",
    )
    async def calibration_sheet(self, layout: str, documents: DocumentService, centre_id: IdQuery = None) -> Stream:
        chosen, pdf = await documents.calibration_sheet(layout, centre_id)
        return Stream(
            pdf,
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="calibration-{chosen.id}.pdf"'},
        )


def _barcode_file(tag: str, writer: Any) -> bytes:
    options = {"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 4.0}
    if isinstance(writer, ImageWriter):
        # The image writer hands back a Pillow image; write it as PNG into memory.
        buffer = io.BytesIO()
        BarcodeCode128(tag, writer=writer).write(buffer, options)
        return buffer.getvalue()
    return BarcodeCode128(tag, writer=writer).render(options)


class AssetLabelController(Controller):
    path = "/api/v1/assets/{tag:str}"
    tags = ["documents"]
    guards = [allow("documents.print")]
    dependencies = {"documents": Provide(provide_documents), "inventory": Provide(provide_assets)}

    @get("/label.svg", media_type="image/svg+xml", summary="The asset's Code128 barcode as SVG")
    async def svg(self, tag: str, inventory: AssetService) -> Response[bytes]:
        asset = await inventory.get_asset(tag)
        return Response(_barcode_file(asset.tag, SVGWriter()), media_type="image/svg+xml")

    @get("/label.png", media_type="image/png", summary="The asset's Code128 barcode as PNG")
    async def png(self, tag: str, inventory: AssetService) -> Response[bytes]:
        asset = await inventory.get_asset(tag)
        return Response(_barcode_file(asset.tag, ImageWriter()), media_type="image/png")

    @get("/label.pdf", media_type=PDF, summary="One label on the default roll layout")
    async def pdf(
        self, tag: str, inventory: AssetService, documents: DocumentService, settings: Settings
    ) -> Response[bytes]:
        asset = await inventory.get_asset(tag)
        if settings.default_roll_layout not in documents.layouts:
            raise Invalid.field("layout", f"the default roll layout '{settings.default_roll_layout}' is not loaded")
        job = documents.label_job([asset], documents.layout(settings.default_roll_layout), 1, 1)
        return Response(
            b"".join(documents.label_pdf(job)),
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="{asset.tag}.pdf"'},
        )


class LoanAgreementController(Controller):
    """A loan's agreement: documents render loans, so the step that signs a loan and freezes its PDF sits here,
    a floor above loans, rather than loans calling the renderer."""

    path = "/api/v1/loans/{loan_id:int}"
    tags = ["loans"]
    dependencies = {"loans": Provide(provide_loans), "documents": Provide(provide_documents)}

    @post(
        "/acceptance",
        guards=[allow("loans.lend")],
        summary="Record the borrower's signature (once, for every item)",
        description="The signed agreement is rendered now, once, and kept byte for byte with its SHA-256.",
    )
    async def accept(
        self, actor: Actor, loan_id: int, data: AcceptanceIn, loans: LoanService, documents: DocumentService
    ) -> LoanOut:
        acceptance = await loans.accept(loan_id, data, actor)
        await documents.freeze_signed(acceptance)
        return present(await loans.view(await loans.get(loan_id)))

    @get(
        "/agreement.pdf",
        guards=[allow("documents.print")],
        media_type=PDF,
        summary="The loan agreement: unsigned (same bytes every time) until signed, then the signed copy as kept",
        description="Once the family's data is erased the signed copy is withdrawn: 410 Gone, with its SHA-256.",
    )
    async def agreement(self, loan_id: int, documents: DocumentService) -> Response[bytes]:
        return agreement_response(loan_id, await documents.agreement_pdf(loan_id))

    @get(
        "/extensions/{extension_id:int}/addendum.pdf",
        guards=[allow("documents.print")],
        media_type=PDF,
        summary="An extension's addendum: unsigned (same bytes every time) until signed, then the signed copy as kept",
        description="Only an extension made after the agreement was signed has an addendum (404 otherwise: the "
        "agreement shows a date changed before it was signed). One page in the family's language: the previous and "
        "new due dates and the reason. Once the family's data is erased the signed copy is withdrawn: 410 Gone, "
        "with its SHA-256.",
    )
    async def addendum(
        self, actor: Actor, loan_id: int, extension_id: int, loans: LoanService, documents: DocumentService
    ) -> Response[bytes]:
        loan = await loans.readable(loan_id, actor)
        extension, addendum = await loans.addendum(loan, extension_id)
        return addendum_response(loan.id, extension.id, await documents.addendum_pdf(loan, extension, addendum))

    @post(
        "/extensions/{extension_id:int}/acceptance",
        guards=[allow("loans.lend")],
        summary="Record the family's signature on an extension's addendum (once)",
        description="As the agreement's acceptance: the signed addendum is rendered now, once, and kept byte for "
        "byte with its SHA-256 (on the loan's `extensions[].addendum`). 409 once signed.",
    )
    async def accept_addendum(
        self,
        actor: Actor,
        loan_id: int,
        extension_id: int,
        data: AcceptanceIn,
        loans: LoanService,
        documents: DocumentService,
    ) -> LoanOut:
        await loans.readable(loan_id, actor)
        addendum = await loans.accept_addendum(loan_id, extension_id, data, actor)
        await documents.freeze_addendum(addendum)
        return present(await loans.view(await loans.get(loan_id)))
