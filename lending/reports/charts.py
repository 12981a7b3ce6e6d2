"""The charts of every report, drawn once as reportlab Drawings: PDFs draw them as vector graphics (renderPDF,
or the Drawing itself as a platypus flowable) and pages inline the same Drawing as SVG (`svg`).

Readable in black and white and when printed: one grey with a black outline, every bar labelled with its value,
no meaning carried by colour. A suppressed count ("<5", see reports/schemas.py) has no exact height to show: it
draws as a zero bar labelled "<5", never as a guessed height.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from markupsafe import Markup
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from lending.reports.schemas import SUPPRESSED, Bar

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
TITLE_SIZE = 10
LABEL_SIZE = 7.5
BAR_GREY = colors.Color(0.62, 0.62, 0.62)
AXIS_GREY = colors.Color(0.35, 0.35, 0.35)
LONGEST_LABEL = 28  # characters of a category label before it is cut with "…"
_PAD = 6.0
_IDS = itertools.count(1)  # ids unique within a page that shows several charts
# reportlab's font names as a browser finds them (no browser has a "Helvetica-Bold" family).
BROWSER_FONTS = {
    FONT: ("Helvetica, Arial, sans-serif", ""),
    BOLD: ("Helvetica, Arial, sans-serif", "bold"),
}


def _short(label: str) -> str:
    return "\n".join(
        line if len(line) <= LONGEST_LABEL else line[: LONGEST_LABEL - 1].rstrip() + "…" for line in label.split("\n")
    )


def _scale(top: int) -> tuple[int, int]:
    """A value axis from 0 with whole-number steps (counts are never 2.5) and about five ticks: (max, step)."""
    if top <= 5:
        return max(top, 1), 1
    rough = top / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return math.ceil(top / step) * step, int(step)


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    horizontal: bool = False,
    width: float = 480,
    height: float | None = None,
) -> Drawing:
    """A one-series bar chart of `bars` under `title`.

    Vertical bars suit a time series (months left to right); horizontal bars suit many named groups (districts,
    schools), whose labels then read left to right. A label may have lines (`"Jan\n2026"`); labels too wide for
    their bar are turned 45 degrees. `height` defaults to what the bars need: 220 for vertical
    charts, 16 points a bar for horizontal ones.
    """
    count = len(bars)
    if height is None:
        height = 220.0 if not horizontal else max(90.0, 16.0 * count + 50.0)
    drawing = Drawing(width, height)
    drawing.add(String(0, height - TITLE_SIZE, title, fontName=BOLD, fontSize=TITLE_SIZE, fillColor=colors.black))
    if not bars:
        drawing.add(String(0, height - TITLE_SIZE - 20, "No figures for this period.", fontName=FONT, fontSize=9))
        return drawing

    values = [0 if bar.value == SUPPRESSED else int(bar.value) for bar in bars]
    labels = [str(bar.value) for bar in bars]
    names = [_short(bar.label) for bar in bars]
    top, step = _scale(max(values))
    # A label may have lines ("Jan\n2026"): narrow lines let many months stand upright, readable as text.
    name_width = max(stringWidth(line, FONT, LABEL_SIZE) for name in names for line in name.split("\n"))
    name_lines = max(name.count("\n") + 1 for name in names)
    value_width = max(stringWidth(label, FONT, LABEL_SIZE) for label in labels)
    plot_top = height - TITLE_SIZE - 2 * _PAD

    chart: HorizontalBarChart | VerticalBarChart
    if horizontal:
        chart = HorizontalBarChart()
        chart.x = name_width + _PAD
        chart.y = 14
        chart.width = width - chart.x - value_width - 2 * _PAD
        chart.height = plot_top - chart.y
        chart.categoryAxis.reverseDirection = 1  # the first bar on top, as the table beside it reads
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dx = -3
        chart.barLabels.boxAnchor = "w"
        chart.barLabels.dx = 3
    else:
        # Many categories (two years of months) turn their labels to stay legible.
        chart = VerticalBarChart()
        chart.x = 8 + stringWidth(str(top), FONT, LABEL_SIZE) + _PAD
        turned = name_width > (width - chart.x - _PAD) / count - 2
        chart.y = (name_width + 8) * 0.71 + 16 if turned else name_lines * (LABEL_SIZE + 1.5) + 10
        chart.width = width - chart.x - _PAD
        chart.height = plot_top - chart.y - LABEL_SIZE - 4  # room for the value above the tallest bar
        if turned:
            chart.categoryAxis.labels.angle = 45
            chart.categoryAxis.labels.boxAnchor = "ne"
        else:
            chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.labels.dy = -3
        chart.barLabels.boxAnchor = "s"
        chart.barLabels.dy = 2

    chart.data = [values]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.strokeColor = colors.black
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = LABEL_SIZE
    chart.valueAxis.labels.fillColor = AXIS_GREY
    chart.valueAxis.strokeColor = AXIS_GREY
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.Color(0.85, 0.85, 0.85)
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.barLabelFormat = "values"
    chart.barLabelArray = [labels]
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = LABEL_SIZE
    chart.bars[0].fillColor = BAR_GREY
    chart.bars[0].strokeColor = colors.black
    chart.bars[0].strokeWidth = 0.5
    chart.barSpacing = 1
    drawing.add(chart)
    return drawing


def svg(drawing: Drawing, title: str, description: str = "") -> Markup:
    """`drawing` as an inline `<svg role="img">` named by its `<title>` (and `<desc>`), for a page to show beside
    the chart's text table. Ids are unique per call, so a page may show several charts."""
    ident = f"chart-{next(_IDS)}"
    canvas = renderSVG.SVGCanvas((drawing.width, drawing.height))
    renderSVG.draw(drawing, canvas, 0, 0, showBoundary=False)
    root = canvas.svg
    for tag in ("title", "desc"):
        element = root.getElementsByTagName(tag)[0]
        text = title if tag == "title" else description
        if tag == "desc" and not text:
            root.removeChild(element)
            continue
        element.setAttribute("id", f"{ident}-{tag}")
        element.firstChild.data = text  # minidom escapes it on output
    root.setAttribute("role", "img")
    root.setAttribute("class", "chart")
    root.setAttribute("aria-labelledby", f"{ident}-title" + (f" {ident}-desc" if description else ""))
    # renderSVG names its clip path "clip" and its group "group" in every drawing: two charts on one page would
    # share those ids.
    for clip in root.getElementsByTagName("clipPath"):
        clip.setAttribute("id", f"{ident}-clip")
    for group in root.getElementsByTagName("g"):
        if group.getAttribute("id") == "group":
            group.removeAttribute("id")
        if group.getAttribute("style") == "clip-path: url(#clip)":
            group.setAttribute("style", f"clip-path: url(#{ident}-clip)")
    # A page's Content-Security-Policy (style-src 'self') refuses inline style attributes, which would leave every
    # bar black and every label at the browser's size: SVG's presentation attributes say the same and are allowed.
    for element in root.getElementsByTagName("*"):
        style = element.getAttribute("style")
        if not style:
            continue
        element.removeAttribute("style")
        for declaration in style.split(";"):
            name, _, value = (part.strip() for part in declaration.partition(":"))
            if not name or not value:
                continue
            if name == "font-family":
                value, weight = BROWSER_FONTS.get(value, (value, ""))
                if weight:
                    element.setAttribute("font-weight", weight)
            element.setAttribute(name, value)
    return Markup(root.toxml())  # minidom escaped every text and attribute
