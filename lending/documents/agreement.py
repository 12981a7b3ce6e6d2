"""The loan agreement: one A4 document the borrower signs once for every item, in the family's language.

Every label comes from the gettext catalogues (`lending.i18n`), dates and phone numbers in the language's form and
digits, the signing time in Europe/London. The terms and the privacy notice are templates with a review status: a
draft translation is printed with a notice, then the English text, which governs. An Urdu, Arabic or Pashto agreement
is laid out right to left (fonts.BidiParagraph), its tables mirrored.

The unsigned agreement is deterministic (same loan, same bytes). The signed one is rendered once, at acceptance,
and kept byte for byte with its SHA-256.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lending import i18n
from lending.documents.fonts import (
    BIDI_CONTROLS,
    BidiParagraph,
    Direction,
    Faces,
    base_direction,
    has_right_to_left,
    load_faces,
    needs_layout,
)

SHIPPED_TERMS = Path(__file__).resolve().parent / "terms"
MARGIN = 16 * mm
FRAME_PADDING = 6  # reportlab's frames keep 6 pt inside the margins
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
KIND_LABELS = {
    "laptop": "Laptop",
    "chromebook": "Chromebook",
    "desktop": "Desktop",
    "tablet": "Tablet",
    "phone": "Phone",
    "hotspot": "Hotspot",
    "sim": "SIM",
    "accessory": "Accessory",
}


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
    msisdn: str = ""  # a SIM's phone number
    expires_on: date | None = None  # a SIM's last day


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


@dataclass(frozen=True)
class AgreementTexts:
    """The terms and privacy notice in the family's language, and the English beside a draft translation."""

    terms: i18n.Template
    privacy: i18n.Template
    english_terms: i18n.Template | None = None
    english_privacy: i18n.Template | None = None

    @property
    def draft(self) -> bool:
        return self.english_terms is not None or self.english_privacy is not None


def _governing(template: i18n.Template, terms_dir: Path | None) -> i18n.Template | None:
    """The English a draft translation is printed beside; None for reviewed text or English itself."""
    if not template.is_draft or template.language == i18n.DEFAULT:
        return None
    return i18n.load_template(SHIPPED_TERMS, template.name, i18n.DEFAULT, terms_dir)


def agreement_texts(language: str | None, terms_dir: Path | None = None) -> AgreementTexts:
    """`terms.<language>.md` and `privacy.<language>.md`, the charity's folder first, English when not translated."""
    terms = i18n.load_template(SHIPPED_TERMS, "terms", language, terms_dir)
    privacy = i18n.load_template(SHIPPED_TERMS, "privacy", language, terms_dir)
    return AgreementTexts(terms, privacy, _governing(terms, terms_dir), _governing(privacy, terms_dir))


class _Blanks(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escaped)


def para(
    text: str,
    style: ParagraphStyle,
    faces: Faces,
    *,
    bullet: str | None = None,
    direction: Direction | None = None,
    align: Direction | None = None,
) -> Flowable:
    """A paragraph of plain text (with **bold**), set in the fonts its scripts need, in `direction` (when not given,
    by its first strong letter) and from the `align` side (by default its direction's)."""
    # Composed, so an accent typed as a combining mark is drawn with its letter.
    text = unicodedata.normalize("NFC", text)
    if "R" in (direction, align) or needs_layout(text, faces):
        return BidiParagraph(text, style, faces, direction or base_direction(text), bullet, align=align)
    text = "".join(char for char in text if char not in BIDI_CONTROLS)
    return Paragraph(_inline(text), style, bulletText=bullet)


def markdown_flowables(
    text: str, styles: dict[str, ParagraphStyle], faces: Faces, direction: Direction | None = None
) -> list:
    """Headings (#, ##), paragraphs and '-' lists: all the terms templates need."""
    flowables: list = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            flowables.append(para(lines[0].lstrip("#").strip(), styles["heading"], faces, direction=direction))
            lines = lines[1:]
        if lines and all(line.startswith("- ") for line in lines):
            flowables += [para(line[2:], styles["bullet"], faces, bullet="•", direction=direction) for line in lines]
        elif lines:
            flowables.append(para(" ".join(lines), styles["body"], faces, direction=direction))
    return flowables


def _styles(faces: Faces | None = None) -> dict[str, ParagraphStyle]:
    latin = (faces or load_faces(None)).latin
    bold = "Helvetica-Bold" if latin == "Helvetica" else f"{latin}-Bold"
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=latin, bulletFontName=latin, fontSize=9, leading=11.5, spaceAfter=4
    )
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0)
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=bold, fontSize=16, leading=19, alignment=0, spaceAfter=2, spaceBefore=0
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=3
        ),
        "body": body,
        "notice": ParagraphStyle("notice", parent=body, fontName=bold, fontSize=10, leading=13, spaceAfter=2),
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#333333")),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=2),
        "cell": cell,
        "label": ParagraphStyle("label", parent=cell, fontName=bold),
    }


def field_direction(text: str, page: Direction) -> Direction:
    """The direction of a piece of text on a page: the page's, but on a right-to-left page text with no
    right-to-left letter (an address, an English name, a label not yet translated) by its own first letter, so that
    "1 High Street" keeps its number first. It is still aligned to the page's side."""
    return page if page == "L" or has_right_to_left(text) else base_direction(text)


def left_to_right(text: str) -> str:
    """`text` embedded left to right (LRE ... PDF): a phone number's digit groups keep their order in Urdu text."""
    return f"\u202a{text}\u202c" if text else text


def _table(
    rows: list[list[Any]],
    widths: Sequence[float],
    direction: Direction,
    commands: Sequence[tuple],
    faces: Faces,
    **kwargs: Any,
) -> Table:
    """A table whose columns run from the reading side: mirrored, right to left, in an Urdu agreement."""
    # A table sets its cells' font even around flowables: the default, Helvetica, would be listed unembedded.
    commands = [("FONT", (0, 0), (-1, -1), faces.latin), *commands]
    if direction == "R":
        rows = [list(reversed(row)) for row in rows]
        widths = list(reversed(widths))
        last = len(widths) - 1
        mirrored = []
        for name, (c0, r0), (c1, r1), *rest in commands:
            c0, c1 = (c0 if c0 >= 0 else last + 1 + c0), (c1 if c1 >= 0 else last + 1 + c1)
            mirrored.append((name, (last - c1, r0), (last - c0, r1), *rest))
        commands = [*mirrored, ("ALIGN", (0, 0), (-1, -1), "RIGHT")]
    table = Table(rows, colWidths=list(widths), **kwargs)
    table.setStyle(TableStyle(list(commands)))
    return table


def header(
    org: Organisation,
    reference: str,
    styles: dict[str, ParagraphStyle],
    faces: Faces,
    language: str = i18n.DEFAULT,
    direction: Direction = "L",
) -> Table:
    """The organisation's logo, name, contact and charity number, and the reference as a barcode."""
    phone = left_to_right(i18n.format_phone(org.phone, language)) if org.phone else ""
    contact = " · ".join(x for x in (org.address, phone, org.email) if x)

    def p(text: str, style: str) -> Flowable:
        return para(text, styles[style], faces, direction=field_direction(text, direction), align=direction)

    text = [p(org.name, "heading")]
    if contact:
        text.append(p(contact, "small"))
    if org.charity_number:
        text.append(p(i18n.gettext(language, "Registered charity {number}", number=org.charity_number), "small"))
    barcode = Code128(reference, barHeight=11 * mm, barWidth=0.33 * mm, humanReadable=False)
    logo: Flowable = (
        Image(str(org.logo), width=24 * mm, height=24 * mm, kind="proportional")
        if org.logo is not None and org.logo.is_file()
        else Spacer(1, 1)
    )
    return _table(
        [[logo, text, barcode]],
        [27 * mm, WIDTH - 79 * mm, 52 * mm],
        direction,
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (2, 0), (2, 0), "RIGHT")],
        faces,
    )


def _values(data: AgreementData, org: Organisation, language: str) -> dict[str, str]:
    return _Blanks(
        org_name=org.name,
        org_phone=left_to_right(i18n.format_phone(org.phone, language)) if org.phone else "-",
        org_email=org.email or "-",
        due_date=i18n.format_date(data.due_on, language),
        loan_reference=data.reference,
        centre_name=data.centre_name,
        centre_address=data.centre_address,
        family_name=data.family_name,
    )


def _item_details(item: AgreementItem, t: Callable[..., str], language: str) -> list[str]:
    if item.kind != "sim":
        return [t("Serial number {serial}", serial=item.serial_number)] if item.serial_number else []
    lines = []
    if item.msisdn:
        lines.append(f"{t('SIM number')}: {left_to_right(i18n.format_phone(item.msisdn, language))}")
    if item.network:
        lines.append(f"{t('Network')}: {item.network}")
    if item.iccid:
        lines.append(f"{t('ICCID')}: {item.iccid}")
    if item.allowance:
        lines.append(f"{t('Data allowance')}: {item.allowance}")
    if item.expires_on is not None:
        lines.append(t("Expires on {date}", date=i18n.format_date(item.expires_on, language)))
    return lines


def render_agreement(
    data: AgreementData,
    org: Organisation,
    *,
    texts: AgreementTexts,
    signature: Signature | None = None,
    fonts_dir: Path | None = None,
) -> bytes:
    faces = load_faces(fonts_dir)
    styles = _styles(faces)
    lang = i18n.language(data.language).code
    page: Direction = "R" if i18n.language(lang).right_to_left else "L"

    def t(msgid: str, **values: Any) -> str:
        return i18n.gettext(lang, msgid, **values)

    def p(text: str, style: str = "cell", direction: Direction | None = None) -> Flowable:
        return para(text, styles[style], faces, direction=direction or field_direction(text, page), align=page)

    def both(msgid: str, style: str, **values: Any) -> list[Flowable]:
        """A message in the family's language, and in English too where it is translated: what the volunteer
        witnessing the signature must be able to read as well."""
        shown = [p(t(msgid, **values), style)]
        if t(msgid, **values) != i18n.gettext(i18n.DEFAULT, msgid, **values):
            shown.append(p(i18n.gettext(i18n.DEFAULT, msgid, **values), style))
        return shown

    def direction_of(template: i18n.Template) -> Direction:
        return "R" if i18n.language(template.language).right_to_left else "L"

    def terms_flowables(template: i18n.Template, values: dict[str, str]) -> list:
        return markdown_flowables(template.body.format_map(values), styles, faces, direction_of(template))

    def privacy_flowable(template: i18n.Template, values: dict[str, str]) -> Flowable:
        text = " ".join(template.body.format_map(values).split())
        return para(text, styles["small"], faces, direction=direction_of(template))

    values = _values(data, org, lang)
    english = _values(data, org, i18n.DEFAULT)
    title = t("Loan agreement {reference}", reference=data.reference)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        author=org.name,
        subject=t("Loan agreement {reference}", reference=data.reference),
        creator="Lending",
        lang=lang,
        # Text starts in the embedded Latin face: reportlab's default, Helvetica, would be listed unembedded.
        initialFontName=faces.latin,
        invariant=1,
    )
    story: list = [
        header(org, data.reference, styles, faces, lang, page),
        Spacer(1, 3 * mm),
        p(title, "title"),
    ]
    if texts.draft:
        # Before anything the family reads: this translation is unreviewed, and the English after it governs.
        notice = _table(
            [
                [
                    both(
                        "This translation has not yet been reviewed. The English text is printed after it and is the "
                        "agreement: where the two differ, the English version governs.",
                        "notice",
                    )
                ]
            ],
            [WIDTH],
            page,
            [("BOX", (0, 0), (-1, -1), 1.2, colors.black), ("TOPPADDING", (0, 0), (-1, -1), 4)],
            faces,
        )
        story += [Spacer(1, 2 * mm), notice]
    parties = [
        [p(t("Borrower"), "label"), p(data.family_name)],
        [p(t("Address"), "label"), p(data.family_address)],
        [
            p(t("Phone"), "label"),
            p(left_to_right(i18n.format_phone(data.family_phone, lang)) if data.family_phone else "-"),
        ],
        [p(t("Nominated by"), "label"), p(data.school_name or "-")],
        [p(t("Lent from"), "label"), p(f"{data.centre_name}, {data.centre_address}".strip(", "))],
        [p(t("Start date"), "label"), p(i18n.format_date(data.issued_on, lang))],
        [p(t("Due back"), "label"), p(i18n.format_date(data.due_on, lang))],
    ]
    story += [
        Spacer(1, 2 * mm),
        _table(
            parties,
            [32 * mm, WIDTH - 32 * mm],
            page,
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)],
            faces,
        ),
        Spacer(1, 3 * mm),
        p(t("What is lent"), "heading"),
    ]
    rows: list[list[Any]] = [[p(t(x), "label") for x in ("Asset tag", "Item", "Make and model", "Details")]]
    for item in data.items:
        kind = t(KIND_LABELS.get(item.kind, item.kind.replace("_", " ").capitalize()))
        rows.append(
            [p(item.tag), p(kind), p(item.make_model), [p(line) for line in _item_details(item, t, lang)] or ""]
        )
    story.append(
        _table(
            rows,
            [30 * mm, 22 * mm, 55 * mm, WIDTH - 107 * mm],
            page,
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ],
            faces,
            repeatRows=1,
        )
    )
    if data.accessories:
        story.append(p(f"**{t('Accessories')}:** " + ", ".join(data.accessories), "body"))
    story += terms_flowables(texts.terms, values)
    if texts.english_terms is not None:
        governs = "English version (this version governs)"
        story.append(Spacer(1, 3 * mm))
        if t(governs) != governs:
            story.append(p(t(governs), "heading"))
        story.append(para(governs, styles["heading"], faces, direction="L"))
        story += terms_flowables(texts.english_terms, english)

    if signature is None:
        line = f"{t('Signature')} ______________________  {t('Date')} ____________"
        borrower = [p(t("Borrower (name, relationship to the family)"), "label"), Spacer(1, 14 * mm), p(line)]
        witness = [p(t("Volunteer (witness)"), "label"), Spacer(1, 14 * mm), p(line)]
    else:
        when = i18n.format_datetime(signature.signed_at, lang)
        image = (
            Image(io.BytesIO(signature.image_png), width=55 * mm, height=18 * mm, kind="proportional")
            if signature.image_png
            else p(t("(signed on screen without an image)"), "small")
        )
        borrower = [
            p(t("Borrower"), "label"),
            p(f"{signature.signer_name} ({t(signature.relationship)})"),
            image,
            p(t("Signed {when}", when=when)),
        ]
        witness = [
            p(t("Volunteer (witness)"), "label"),
            p(signature.witness_name),
            Spacer(1, 18 * mm),
            p(t("Witnessed {when}", when=when)),
        ]
    blocks = _table(
        [[borrower, witness]],
        [WIDTH / 2, WIDTH / 2],
        page,
        [
            ("BOX", (0, 0), (0, 0), 0.5, colors.black),
            ("BOX", (1, 0), (1, 0), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
        ],
        faces,
    )
    story += [
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                p(t("Agreed"), "heading"),
                p(t("I have received the items above and agree to the terms of this loan."), "body"),
                blocks,
            ]
        ),
    ]
    if texts.privacy.body:
        story += [Spacer(1, 3 * mm), privacy_flowable(texts.privacy, values)]
    if texts.english_privacy is not None and texts.english_privacy.body:
        story += [Spacer(1, 1 * mm), privacy_flowable(texts.english_privacy, english)]

    def footer(canvas: Any, document: Any) -> None:
        text = t("Page {page}", page=i18n.digits(str(document.page), lang))
        number = BidiParagraph(text, styles["small"], faces, field_direction(text, page), align=page)
        number.wrap(WIDTH, 20)
        number.drawOn(canvas, MARGIN, 7 * mm)

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
