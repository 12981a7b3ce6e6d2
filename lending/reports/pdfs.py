"""The reports a charity hands out as PDFs: a donor's impact report (a thank-you: what it gave and what became of
it) and the funder report (one or two pages of headline figures and charts for a period).

They draw what ReportService answers and nothing else, so they hold no more than the JSON reports do: counts,
postcode districts and school names, families and children under five shown as "<5". Charts are the same
Drawings the pages show (reports/charts.py), placed as vector graphics. Branded as the loan agreement is: the
organisation's logo, name, contact and charity number from the settings.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import anyio
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lending.config import Settings
from lending.documents.agreement import Organisation, para
from lending.documents.fonts import Faces, load_faces
from lending.documents.service import RENDERING
from lending.inventory.models import AssetKind, Status
from lending.reports.charts import bar_chart
from lending.reports.schemas import SUPPRESSED, Bar, DonorImpact, FunderReport, LoanGroup, Period

MARGIN = 16 * mm
MOST_BARS = 15  # bars of a horizontal chart in a PDF: 15 fit beside a table on a page
SIDE_BY_SIDE = 40  # rows of a table that fit on a page beside its chart; a longer one follows it, across pages
WIDTH = A4[0] - 2 * MARGIN
SUPPRESSION_NOTE = (
    "To protect families' privacy, no family is named and places are postcode districts only. Where an area or "
    "school has fewer than five families, their number is shown as “<5”."
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def organisation(settings: Settings) -> Organisation:
    return Organisation(
        settings.org_name,
        settings.org_phone,
        settings.org_email,
        settings.org_address,
        settings.org_charity_number,
        settings.org_logo,
    )


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def period_text(period: Period) -> str:
    return f"{long_date(period.from_)} to {long_date(period.to)}"


def label(text: str) -> str:
    """How a group reads in print: `2026-03` as `Mar 2026`, `in_refurbishment` as `In refurbishment`."""
    month = _MONTH.match(text)
    if month and 1 <= int(month.group(2)) <= 12:
        return f"{date(int(month.group(1)), int(month.group(2)), 1):%b %Y}"
    if text in Status.__members__ or text in AssetKind.__members__:
        return text.replace("_", " ").capitalize()
    return text


def shown(bars: Sequence[Bar]) -> list[Bar]:
    return [Bar(label=label(bar.label), value=bar.value) for bar in bars]


def by_month(bars: Sequence[Bar]) -> list[Bar]:
    """Month bars labelled to stand upright under narrow bars: `Jan` over `2026` where a year starts (and on the
    first bar), the month alone elsewhere."""
    out = []
    for index, bar in enumerate(bars):
        month = _MONTH.match(bar.label)
        if month is None or not 1 <= int(month.group(2)) <= 12:
            out.append(bar)
            continue
        first = date(int(month.group(1)), int(month.group(2)), 1)
        text = f"{first:%b}\n{first:%Y}" if index == 0 or first.month == 1 else f"{first:%b}"
        out.append(Bar(label=text, value=bar.value))
    return out


def figure(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


@dataclass(frozen=True)
class _Kit:
    styles: dict[str, ParagraphStyle]
    faces: Faces
    org: Organisation

    def para(self, text: str, style: str = "body") -> Flowable:
        return para(text, self.styles[style], self.faces)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12.5, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=colors.Color(0.2, 0.2, 0.2))
    return {
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=21, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=4, spaceAfter=3
        ),
        "body": body,
        "small": small,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "figure": ParagraphStyle(
            "figure", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=21, alignment=TA_RIGHT, spaceAfter=0
        ),
        "caption": ParagraphStyle("caption", parent=body, fontSize=9, leading=11, spaceAfter=0),
    }


def _kit(org: Organisation, fonts_dir: Path | None) -> _Kit:
    return _Kit(_styles(), load_faces(fonts_dir), org)


def _header(kit: _Kit) -> Table:
    org = kit.org
    contact = " · ".join(x for x in (org.address, org.phone, org.email) if x)
    text: list[Flowable] = [kit.para(org.name, "heading")]
    if contact:
        text.append(kit.para(contact, "small"))
    if org.charity_number:
        text.append(kit.para(f"Registered charity {org.charity_number}", "small"))
    logo = (
        Image(str(org.logo), width=24 * mm, height=24 * mm, kind="proportional")
        if org.logo is not None and org.logo.is_file()
        else ""
    )
    header = Table([[logo, text]], colWidths=[27 * mm if logo else 0, None])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return header


def _headline(kit: _Kit, figures: Sequence[tuple[str, str, int | str]]) -> Table:
    """The big numbers, two to a row, each boxed beside what it counts (and read in that order as text). Each
    figure comes as (what many are called, what one is called, value): a donor reads "1 device", not "1 devices"."""
    per_row, figure_width = 2, 30 * mm
    rows: list[list[object]] = []
    for start in range(0, len(figures), per_row):
        row: list[object] = []
        for many, one, value in figures[start : start + per_row]:
            row += [kit.para(figure(value), "figure"), kit.para(one if value == 1 else many, "caption")]
        rows.append(row + [""] * (2 * per_row - len(row)))
    table = Table(rows, colWidths=[figure_width, WIDTH / per_row - figure_width] * per_row)
    boxes = [
        ("BOX", (2 * pair, line), (2 * pair + 1, line), 0.5, colors.black)
        for line in range(len(rows))
        for pair in range(per_row)
        if rows[line][2 * pair] != ""
    ]
    table.setStyle(
        TableStyle(
            [
                *boxes,
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _table(kit: _Kit, head: Sequence[str], rows: Sequence[Sequence[str | int]], widths: Sequence[float]) -> Table:
    body = [
        [kit.para(str(cell), "cell") if index == 0 else figure(cell) for index, cell in enumerate(row)] for row in rows
    ]
    table = Table([list(head), *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _top(bars: Sequence[Bar], most: int) -> tuple[list[Bar], int]:
    """The `most` largest bars, largest first ("<5" counts as the smallest), and how many were left out."""
    ranked = sorted(bars, key=lambda bar: -1 if bar.value == SUPPRESSED else int(bar.value), reverse=True)
    return ranked[:most], max(0, len(bars) - most)


def _chart(
    title: str, bars: Sequence[Bar], *, horizontal: bool = False, width: float = WIDTH, most: int = MOST_BARS
) -> list[Flowable]:
    """A chart (and its note) as vector graphics: a Drawing is itself a flowable, drawn as paths and text, never
    as an image. A horizontal chart shows its `most` largest groups, so that it fits a page, and says how many
    more there are."""
    more = 0
    if horizontal and len(bars) > most:
        bars, more = _top(bars, most)
        title = f"{title} ({most} largest)"
    drawing = bar_chart(title, bars, horizontal=horizontal, width=width, height=None if horizontal else 180)
    note = [Paragraph(f"… and {more} more, listed in the table.", _styles()["small"])] if more else []
    return [drawing, *note]


def _footer(title: str, org: Organisation, generated_on: date) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.Color(0.3, 0.3, 0.3))
        canvas.drawString(MARGIN, 9 * mm, f"{title} · {org.name} · produced {long_date(generated_on)}")
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def _build(
    story: list[Flowable], *, title: str, running: str, subject: str, org: Organisation, generated_on: date
) -> bytes:
    """The document, with `title` in its metadata and `running` (plain Latin text: the footer is set in Helvetica,
    without the script fonts a donor's name may need) at the foot of every page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=org.name,
        subject=subject,
        creator="Lending",
        invariant=1,
    )
    footer = _footer(running, org, generated_on)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render_donor_impact(
    impact: DonorImpact, org: Organisation, *, generated_on: date, fonts_dir: Path | None = None
) -> bytes:
    """A thank-you report for a donor: what it gave, how many devices reached families and how many children,
    in which districts and through which schools, and its loans month by month."""
    kit = _kit(org, fonts_dir)
    given = sum(int(bar.value) for bar in impact.given if bar.value != SUPPRESSED)
    when = (
        f"From {period_text(impact.period)}" if impact.period else f"Everything given up to {long_date(generated_on)}"
    )
    story: list[Flowable] = [
        _header(kit),
        Spacer(1, 4 * mm),
        Paragraph("What your donation did", kit.styles["title"]),
        kit.para(f"A report for **{impact.donor_name}**. {when}."),
        kit.para(
            f"Thank you. Every device you gave to {org.name} is checked, wiped and lent to a family that has none, "
            "so that children can learn at home. This is where your devices went."
        ),
        Spacer(1, 2 * mm),
        _headline(
            kit,
            [
                ("devices and SIMs given", "device or SIM given", given),
                (
                    "of your devices lent to families",
                    "of your devices lent to a family",
                    impact.devices_reached_families,
                ),
                ("families reached", "family reached", impact.families),
                ("children in those families", "child in that family", impact.children),
            ],
        ),
        Spacer(1, 4 * mm),
        Paragraph("What you gave", kit.styles["heading"]),
    ]
    if impact.given:
        story.append(
            _table(kit, ["Kind", "Given"], [[label(b.label), b.value] for b in impact.given], [60 * mm, 25 * mm])
        )
    else:
        story.append(kit.para("Nothing recorded in this period."))
    story += [
        Spacer(1, 4 * mm),
        _placed(_chart("Loans of your devices, month by month", by_month(impact.loans_by_month))),
        *_grouped(kit, "Families reached, by postcode district", "Postcode district", shown(impact.districts)),
        *_grouped(kit, "Families reached, by nominating school", "School", shown(impact.schools)),
        kit.para(SUPPRESSION_NOTE, "small"),
    ]
    return _build(
        story,
        title=f"Impact report for {impact.donor_name}",
        running=f"Impact report for donor {impact.donor_id}",
        subject="What became of a donor's devices",
        org=org,
        generated_on=generated_on,
    )


def _placed(chart: list[Flowable]) -> Flowable:
    return KeepTogether([*chart, Spacer(1, 4 * mm)])


def _beside(chart: list[Flowable], table: Table, rows: int) -> list[Flowable]:
    """A chart with its table beside it; a table too long for one page follows the chart instead, so it can split."""
    if rows > SIDE_BY_SIDE:
        return [KeepTogether(chart), table, Spacer(1, 4 * mm)]
    pair = Table([[chart, table]], colWidths=[WIDTH * 0.5, WIDTH * 0.5])
    pair.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [pair, Spacer(1, 4 * mm)]


def _grouped(kit: _Kit, title: str, heading: str, bars: Sequence[Bar]) -> list[Flowable]:
    """Families reached per district or school: the chart of the largest groups, and every group in a table."""
    if not bars:
        return [Paragraph(title, kit.styles["heading"]), kit.para("None in this period."), Spacer(1, 3 * mm)]
    table = _table(kit, [heading, "Families"], [[bar.label, bar.value] for bar in bars], [55 * mm, 20 * mm])
    return _beside(_chart(title, bars, horizontal=True, width=WIDTH * 0.48), table, rows=len(bars))


def _loan_rows(groups: Sequence[LoanGroup]) -> list[list[str | int]]:
    return [[label(g.group), g.loans_issued, g.loans_returned, g.families, g.children] for g in groups]


def render_funder(
    report: FunderReport, org: Organisation, *, generated_on: date, fonts_dir: Path | None = None
) -> bytes:
    """One or two pages for a funder: headline figures for the period, loans per month, the stock pipeline now,
    and reach by postcode district (chart and table)."""
    kit = _kit(org, fonts_dir)
    reach, loans = report.reach, report.loans
    story: list[Flowable] = [
        _header(kit),
        Spacer(1, 4 * mm),
        Paragraph("Our reach", kit.styles["title"]),
        kit.para(f"{org.name}: figures from {period_text(report.period)}."),
        Spacer(1, 2 * mm),
        _headline(
            kit,
            [
                ("families reached", "family reached", reach.families),
                ("children in those families", "child in that family", reach.children),
                ("devices lent", "device lent", reach.devices_lent),
                ("SIMs with data lent", "SIM with data lent", reach.sims_lent),
                ("devices given to keep", "device given to keep", reach.devices_gifted),
                ("loans active today", "loan active today", loans.active),
                ("loans overdue today", "loan overdue today", loans.overdue),
                ("loans due back within 14 days", "loan due back within 14 days", loans.due_in_14_days),
            ],
        ),
        Spacer(1, 5 * mm),
        _placed(
            _chart(
                "Loans issued per month",
                by_month([Bar(label=g.group, value=g.loans_issued) for g in report.loans_by_month]),
            )
        ),
        _placed(_chart("Stock pipeline: assets by state today", shown(report.pipeline), horizontal=True)),
    ]
    if report.districts:
        story += _beside(
            _chart(
                "Families reached, by postcode district",
                [Bar(label=g.group, value=g.families) for g in report.districts],
                horizontal=True,
                width=WIDTH * 0.48,
            ),
            _table(
                kit,
                ["District", "Loans", "Returned", "Families", "Children"],
                _loan_rows(report.districts),
                [22 * mm, 16 * mm, 17 * mm, 17 * mm, 17 * mm],
            ),
            rows=len(report.districts),
        )
    story += [Spacer(1, 3 * mm), kit.para(SUPPRESSION_NOTE, "small")]
    return _build(
        story,
        title=f"Funder report, {period_text(report.period)}",
        running=f"Funder report, {period_text(report.period)}",
        subject="Families and children reached, devices lent",
        org=org,
        generated_on=generated_on,
    )


async def off_the_loop(render: Callable[[], bytes]) -> bytes:
    """Run a render in a worker thread, one at a time with the agreements and labels (reportlab keeps global font
    registries): typesetting and charts take tens of milliseconds to seconds of CPU the desks should not wait on."""

    def locked() -> bytes:
        with RENDERING:
            return render()

    return await anyio.to_thread.run_sync(locked)
