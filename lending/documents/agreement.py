"""The loan agreement: one A4 document the borrower signs once for every item.

The unsigned agreement is deterministic (same loan, same bytes). The signed one is rendered once, at acceptance,
and kept byte for byte with its SHA-256.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lending.documents.fonts import Faces, RightToLeft, load_faces, right_to_left, styled

SHIPPED_TERMS = Path(__file__).resolve().parent / "terms"


@dataclass(frozen=True)
class Organisation:
    name: str
    phone: str
    email: str
    address: str
    charity_number: str
    logo: Path | None = None


@dataclass(frozen=True)
class AgreementItem:
    tag: str
    kind: str
    make_model: str
    serial_number: str
    network: str = ""
    iccid: str = ""
    allowance: str = ""


@dataclass(frozen=True)
class Signature:
    signer_name: str
    relationship: str
    signed_at: datetime
    witness_name: str
    image_png: bytes | None


@dataclass(frozen=True)
class AgreementData:
    reference: str
    issued_on: date
    due_on: date
    centre_name: str
    centre_address: str
    family_name: str
    family_address: str
    family_phone: str
    school_name: str
    language: str
    items: Sequence[AgreementItem]
    accessories: Sequence[str]


class _Blanks(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def load_template(name: str, language: str, extra_dir: Path | None) -> str:
    """`name.<language>.md` from the configured folder, then the shipped one; English when neither has it."""
    for lang in (language, language.split("-")[0], "en"):
        for folder in (extra_dir, SHIPPED_TERMS):
            if folder is not None and (folder / f"{name}.{lang}.md").is_file():
                return (folder / f"{name}.{lang}.md").read_text(encoding="utf-8")
    return ""


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)


def para(text: str, style: ParagraphStyle, faces: Faces, *, bullet: str | None = None) -> Flowable:
    """A paragraph of plain text (with **bold**), set in the fonts and direction its script needs."""
    # Composed, so an accent typed as a combining mark is drawn with its letter (Helvetica has no combining marks).
    text = unicodedata.normalize("NFC", text)
    if right_to_left(text, faces):
        return RightToLeft(text, style, faces, bullet)
    markup, styled_as = styled(_inline(text), text, style, faces)
    return Paragraph(markup, styled_as, bulletText=bullet)


def markdown_flowables(text: str, styles: dict[str, ParagraphStyle], faces: Faces) -> list:
    """Headings (#, ##), paragraphs and '-' lists: all the terms templates need."""
    flowables: list = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            flowables.append(para(lines[0].lstrip("#").strip(), styles["heading"], faces))
            lines = lines[1:]
        if lines and all(line.startswith("- ") for line in lines):
            flowables += [para(line[2:], styles["bullet"], faces, bullet="•") for line in lines]
        elif lines:
            flowables.append(para(" ".join(lines), styles["body"], faces))
    return flowables


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9, leading=11.5, spaceAfter=4)
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=16, leading=19, alignment=0, spaceAfter=2
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=6, spaceAfter=3
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#333333")),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
    }


def render_agreement(
    data: AgreementData,
    org: Organisation,
    *,
    terms: str,
    privacy: str,
    signature: Signature | None = None,
    fonts_dir: Path | None = None,
) -> bytes:
    styles = _styles()
    faces = load_faces(fonts_dir)
    values = _Blanks(
        org_name=org.name,
        org_phone=org.phone or "the number above",
        org_email=org.email or "-",
        due_date=data.due_on.strftime("%-d %B %Y"),
        loan_reference=data.reference,
        centre_name=data.centre_name,
        centre_address=data.centre_address,
        family_name=data.family_name,
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Loan agreement {data.reference}",
        author=org.name,
        subject="Loan agreement",
        creator="Lending",
        invariant=1,
    )
    contact = " · ".join(x for x in (org.address, org.phone, org.email) if x)
    charity = f"Registered charity {org.charity_number}" if org.charity_number else ""
    header_text = [para(org.name, styles["heading"], faces), para(contact, styles["small"], faces)]
    if charity:
        header_text.append(para(charity, styles["small"], faces))
    barcode = Code128(data.reference, barHeight=11 * mm, barWidth=0.33 * mm, humanReadable=False)
    logo = (
        Image(str(org.logo), width=24 * mm, height=24 * mm, kind="proportional")
        if org.logo is not None and org.logo.is_file()
        else ""
    )
    header = Table([[logo, header_text, barcode]], colWidths=[27 * mm, None, 52 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (2, 0), (2, 0), "RIGHT")]))

    story: list = [
        header,
        Spacer(1, 3 * mm),
        Paragraph(f"Loan agreement {html.escape(data.reference)}", styles["title"]),
    ]
    parties = [
        ["Borrower", para(data.family_name, styles["cell"], faces)],
        ["Address", para(data.family_address, styles["cell"], faces)],
        ["Phone", data.family_phone],
        ["Nominated by", para(data.school_name or "-", styles["cell"], faces)],
        ["Lent from", para(f"{data.centre_name}, {data.centre_address}".strip(", "), styles["cell"], faces)],
        ["Start date", data.issued_on.strftime("%-d %B %Y")],
        ["Due back", data.due_on.strftime("%-d %B %Y")],
    ]
    table = Table(parties, colWidths=[32 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 9),
                ("FONT", (1, 0), (1, -1), "Helvetica", 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [table, Spacer(1, 3 * mm), Paragraph("What is lent", styles["heading"])]
    rows = [["Asset tag", "Item", "Make and model", "Serial / SIM details"]]
    for item in data.items:
        detail = item.serial_number or ""
        if item.kind == "sim":
            detail = f"{item.network}, ICCID {item.iccid}, {item.allowance}"
        rows.append(
            [
                item.tag,
                item.kind.title(),
                para(item.make_model, styles["cell"], faces),
                para(detail, styles["cell"], faces),
            ]
        )
    items = Table(rows, colWidths=[30 * mm, 22 * mm, 55 * mm, None], repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(items)
    if data.accessories:
        story.append(para("**Accessories:** " + ", ".join(data.accessories), styles["body"], faces))
    story += markdown_flowables(terms.format_map(values), styles, faces)

    if signature is None:
        line = "Signature ______________________  Date ____________"
        borrower = [
            Paragraph("<b>Borrower</b> (name, relationship to the family)", styles["cell"]),
            Spacer(1, 14 * mm),
            Paragraph(line, styles["cell"]),
        ]
        witness = [
            Paragraph("<b>Volunteer</b> (witness)", styles["cell"]),
            Spacer(1, 14 * mm),
            Paragraph(line, styles["cell"]),
        ]
    else:
        when = signature.signed_at.strftime("%-d %B %Y, %H:%M UTC")
        image = (
            Image(io.BytesIO(signature.image_png), width=55 * mm, height=18 * mm, kind="proportional")
            if signature.image_png
            else Paragraph("(signed on screen without an image)", styles["small"])
        )
        borrower = [
            Paragraph("<b>Borrower</b>", styles["cell"]),
            para(f"{signature.signer_name} ({signature.relationship})", styles["cell"], faces),
            image,
            Paragraph(f"Signed {when}", styles["cell"]),
        ]
        witness = [
            Paragraph("<b>Volunteer</b> (witness)", styles["cell"]),
            para(signature.witness_name, styles["cell"], faces),
            Spacer(1, 18 * mm),
            Paragraph(f"Witnessed {when}", styles["cell"]),
        ]
    blocks = Table([[borrower, witness]], colWidths=[None, None])
    blocks.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.5, colors.black),
                ("BOX", (1, 0), (1, 0), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story += [
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                Paragraph("Agreed", styles["heading"]),
                Paragraph("I have received the items above and agree to the terms of this loan.", styles["body"]),
                blocks,
            ]
        ),
    ]
    if privacy:
        story += [Spacer(1, 3 * mm), para(" ".join(privacy.format_map(values).split()), styles["small"], faces)]
    doc.build(story)
    return buffer.getvalue()
