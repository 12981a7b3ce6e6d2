"""The addendum: one A4 page by which the family agrees to a due date moved after they signed the agreement.

Written in the family's language (lending.i18n: the words from lending.pot's catalogues, English where a word is not
yet translated; dates and times by Babel in the language's digits, times in Europe/London), set with the agreement's
own building blocks (paragraphs in each script's font, the same styles, the letterhead with the loan's barcode).
Like the agreement, the unsigned addendum is deterministic (same extension, same bytes) and the signed one is
rendered once, at signing, and kept byte for byte with its SHA-256.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from lending import i18n
from lending.documents.agreement import Organisation, Signature, _styles, para
from lending.documents.fonts import Faces, load_faces


@dataclass(frozen=True)
class AddendumData:
    reference: str  # the loan's, as on its agreement and barcode
    language: str
    family_name: str
    centre_name: str
    agreed_on: date  # when the agreement being amended was signed
    previous_due_on: date
    due_on: date
    reason: str


def addendum_lines(data: AddendumData) -> tuple[str, list[tuple[str, str]], str]:
    """The addendum's title, its label/value rows and its one sentence, in the family's language: the PDF prints
    them, and the desk's page shows the same words before the family signs."""
    code = data.language
    title = i18n.gettext(code, "Addendum to loan agreement {reference}", reference=data.reference)
    rows = [
        (i18n.gettext(code, "Borrower"), data.family_name),
        (i18n.gettext(code, "Lent from"), data.centre_name),
        (i18n.gettext(code, "Agreed on"), i18n.format_date(data.agreed_on, code)),
        (i18n.gettext(code, "Previous due date"), i18n.format_date(data.previous_due_on, code)),
        (i18n.gettext(code, "New due date"), i18n.format_date(data.due_on, code)),
        (i18n.gettext(code, "Reason"), data.reason),
    ]
    sentence = i18n.gettext(
        code,
        "The items on loan agreement {reference} are now due back on {date}. Every other term of the agreement "
        "stays the same.",
        reference=data.reference,
        date=i18n.format_date(data.due_on, code),
    )
    return title, rows, sentence


def letterhead(
    org: Organisation, reference: str, language: str, styles: dict[str, ParagraphStyle], faces: Faces
) -> Table:
    """The organisation (logo, name, contact, charity number) and the loan reference's barcode, as the agreement's
    header has them, so the desk scans an addendum to its loan as it scans the agreement."""
    contact = " · ".join(x for x in (org.address, org.phone, org.email) if x)
    header_text = [para(org.name, styles["heading"], faces), para(contact, styles["small"], faces)]
    if org.charity_number:
        charity = i18n.gettext(language, "Registered charity {number}", number=org.charity_number)
        header_text.append(para(charity, styles["small"], faces))
    barcode = Code128(reference, barHeight=11 * mm, barWidth=0.33 * mm, humanReadable=False)
    logo = (
        Image(str(org.logo), width=24 * mm, height=24 * mm, kind="proportional")
        if org.logo is not None and org.logo.is_file()
        else ""
    )
    header = Table([[logo, header_text, barcode]], colWidths=[27 * mm, None, 52 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (2, 0), (2, 0), "RIGHT")]))
    return header


def _signature_blocks(
    data: AddendumData, signature: Signature | None, styles: dict[str, ParagraphStyle], faces: Faces
) -> Table:
    code = data.language
    cell = styles["cell"]
    if signature is None:
        line = f"{i18n.gettext(code, 'Signature')} ______________________  {i18n.gettext(code, 'Date')} ____________"
        borrower: list[Flowable] = [
            para(f"**{i18n.gettext(code, 'Borrower (name, relationship to the family)')}**", cell, faces),
            Spacer(1, 14 * mm),
            para(line, cell, faces),
        ]
        witness: list[Flowable] = [
            para(f"**{i18n.gettext(code, 'Volunteer (witness)')}**", cell, faces),
            Spacer(1, 14 * mm),
            para(line, cell, faces),
        ]
    else:
        when = i18n.format_datetime(signature.signed_at, code)
        relationship = i18n.gettext(code, signature.relationship)
        image: Flowable = (
            Image(io.BytesIO(signature.image_png), width=55 * mm, height=18 * mm, kind="proportional")
            if signature.image_png
            else para(i18n.gettext(code, "(signed on screen without an image)"), styles["small"], faces)
        )
        borrower = [
            para(f"**{i18n.gettext(code, 'Borrower')}**", cell, faces),
            para(f"{signature.signer_name} ({relationship})", cell, faces),
            image,
            para(i18n.gettext(code, "Signed {when}", when=when), cell, faces),
        ]
        witness = [
            para(f"**{i18n.gettext(code, 'Volunteer (witness)')}**", cell, faces),
            para(signature.witness_name, cell, faces),
            Spacer(1, 18 * mm),
            para(i18n.gettext(code, "Witnessed {when}", when=when), cell, faces),
        ]
    columns = [witness, borrower] if i18n.language(code).right_to_left else [borrower, witness]
    blocks = Table([columns], colWidths=[None, None])
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
    return blocks


def render_addendum(
    data: AddendumData, org: Organisation, *, signature: Signature | None = None, fonts_dir: Path | None = None
) -> bytes:
    """The addendum as PDF bytes: call it off the event loop, under documents.service.RENDERING."""
    styles = _styles()
    faces = load_faces(fonts_dir)
    title, rows, sentence = addendum_lines(data)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        author=org.name,
        subject="Addendum to a loan agreement",
        creator="Lending",
        invariant=1,  # no creation date or random id: the unsigned addendum is the same bytes every time
    )
    right_to_left = i18n.language(data.language).right_to_left
    table_rows = []
    for label, value in rows:
        pair = [para(f"**{label}**", styles["cell"], faces), para(value or "-", styles["cell"], faces)]
        table_rows.append(pair[::-1] if right_to_left else pair)
    widths = [None, 42 * mm] if right_to_left else [42 * mm, None]
    table = Table(table_rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.grey),
            ]
        )
    )
    story: list[Flowable] = [
        letterhead(org, data.reference, data.language, styles, faces),
        Spacer(1, 3 * mm),
        para(title, styles["title"], faces),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 4 * mm),
        para(sentence, styles["body"], faces),
        Spacer(1, 4 * mm),
        KeepTogether([_signature_blocks(data, signature, styles, faces)]),
    ]
    doc.build(story)
    return buffer.getvalue()


def signed_on(moment: datetime) -> date:
    """The day a signature was given, as the family's calendar in Birmingham has it."""
    return moment.astimezone(i18n.LONDON).date()
