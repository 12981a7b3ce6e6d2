"""The documents as HTTP answers, the same for the API and the pages: a PDF shown inline, labels streamed."""

from __future__ import annotations

from litestar import Response
from litestar.response import Stream

from lending.documents.service import DocumentService, LabelJob

PDF = "application/pdf"


def agreement_response(loan_id: int, pdf: bytes) -> Response[bytes]:
    return Response(
        pdf, media_type=PDF, headers={"Content-Disposition": f'inline; filename="agreement-LN-{loan_id:06d}.pdf"'}
    )


def addendum_response(loan_id: int, extension_id: int, pdf: bytes) -> Response[bytes]:
    name = f"addendum-LN-{loan_id:06d}-{extension_id}.pdf"
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{name}"'})


def label_stream(documents: DocumentService, job: LabelJob) -> Stream:
    return Stream(
        documents.label_pdf(job),
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="labels-{job.layout.id}.pdf"',
            "X-Label-Pages": str(job.pages),
        },
    )
