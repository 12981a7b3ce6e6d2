"""Asset labels: Code128 of the tag as vector bars, the tag in text, what it is, who owns it, who to call.

Text is fitted by shrinking it (down to a legible minimum) and, only then, shortening it with an ellipsis: nothing
is ever drawn past the label's edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from barcode.codex import Code128
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.pdfbase.pdfmetrics import stringWidth

from lending.documents.layouts import Layout
from lending.documents.pdfstream import FONTS, MM, pdf_text, stream_pages

QUIET_MODULES = 10
MIN_FONT_PT = 4.0
ELLIPSIS = "\u2026"
_FONT_NAMES = {"F1": FONTS["F1"], "F2": FONTS["F2"]}


@dataclass(frozen=True)
class LabelContent:
    tag: str
    description: str  # kind and make/model, or for a SIM its network and the last ICCID digits


@dataclass(frozen=True)
class Branding:
    org_name: str
    org_phone: str
    public_url: str | None = None


def describe(kind: str, make: str | None, model: str | None, network: str | None, iccid: str | None) -> str:
    if kind == "sim":
        return f"SIM {network or ''} …{(iccid or '')[-4:]}".replace("  ", " ")
    words = " ".join(w for w in (make, model) if w)
    return f"{kind.title()} {words}".strip()


def fit(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """The largest size (not above `size`, not below the minimum) at which `text` fits; shortened if it must."""
    name = _FONT_NAMES[font]
    measure = stringWidth(text, name, size)
    if measure > width:
        size = max(MIN_FONT_PT, size * width / measure)
    if stringWidth(text, name, size) <= width:
        return text, size
    while text and stringWidth(text + ELLIPSIS, name, size) > width:
        text = text[:-1]
    return (text + ELLIPSIS) if text else "", size


def _text(x: float, y: float, text: str, font: str, size: float) -> str:
    return f"BT /{font} {size:.2f} Tf {x:.2f} {y:.2f} Td {pdf_text(text)} Tj ET\n"


def _centred(cx: float, y: float, width: float, text: str, font: str, size: float) -> str:
    text, size = fit(text, font, size, width)
    w = stringWidth(text, _FONT_NAMES[font], size)
    return _text(cx - w / 2, y, text, font, size)


def barcode_ops(tag: str, x: float, y: float, width: float, height: float) -> str:
    """Code128 bars filling `width` (quiet zones included), as rectangles."""
    modules = Code128(tag).build()[0]
    module = width / (len(modules) + 2 * QUIET_MODULES)
    ops = []
    start = None
    for i, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = i
        elif bit != "1" and start is not None:
            ops.append(
                f"{x + (QUIET_MODULES + start) * module:.3f} {y:.3f} {(i - start) * module:.3f} {height:.3f} re\n"
            )
            start = None
    return "".join(ops) + "f\n"


def qr_ops(url: str, x: float, y: float, side: float) -> str:
    qr = QRCode(None, QRErrorCorrectLevel.M)
    qr.addData(url)
    qr.make()
    count = qr.getModuleCount()
    module = side / (count + 2)  # a one-module margin of its own
    ops = []
    for row in range(count):
        for col in range(count):
            if qr.isDark(row, col):
                ops.append(
                    f"{x + (col + 1) * module:.3f} {y + side - (row + 2) * module:.3f} {module:.3f} {module:.3f} re\n"
                )
    return "".join(ops) + "f\n"


def label_ops(
    content: LabelContent, brand: Branding, x: float, y: float, w: float, h: float, corner_radius: float
) -> str:
    """One label whose bottom-left corner is (x, y), in points."""
    pad = max(1.2 * MM, corner_radius * 0.6)
    inner_w, inner_h = w - 2 * pad, h - 2 * pad
    left, bottom = x + pad, y + pad
    ops = ["0 g\n"]
    qr_side = 0.0
    if brand.public_url and inner_w - inner_h >= 35 * MM:
        # Room for a square QR code beside a still-wide barcode.
        qr_side = inner_h
        url = f"{brand.public_url.rstrip('/')}/a/{content.tag}"
        ops.append(qr_ops(url, left + inner_w - qr_side, bottom, qr_side))
        inner_w -= qr_side + 1.5 * MM
    cx = left + inner_w / 2
    org_size, tag_size, desc_size, call_size = (
        min(cap, inner_h * share) for cap, share in ((7, 0.10), (10, 0.15), (7, 0.11), (6, 0.095))
    )
    gap = min(1.6, inner_h * 0.03)
    top = bottom + inner_h
    # Top down: organisation, barcode, tag, description, "if found" line.
    org_baseline = top - org_size * 0.8
    ops.append(_centred(cx, org_baseline, inner_w, brand.org_name, "F2", org_size))
    call = f"If found, please call {brand.org_phone}" if brand.org_phone else "If found, please return it"
    call_baseline = bottom + call_size * 0.22
    desc_baseline = call_baseline + call_size * 0.8 + gap + desc_size * 0.22
    tag_baseline = desc_baseline + desc_size * 0.8 + gap + tag_size * 0.22
    bar_bottom = tag_baseline + tag_size * 0.8 + gap
    bar_top = org_baseline - org_size * 0.22 - gap
    ops.append(barcode_ops(content.tag, left, bar_bottom, inner_w, max(bar_top - bar_bottom, 2 * MM)))
    ops.append(_centred(cx, tag_baseline, inner_w, content.tag, "F2", tag_size))
    ops.append(_centred(cx, desc_baseline, inner_w, content.description, "F1", desc_size))
    ops.append(_centred(cx, call_baseline, inner_w, call, "F1", call_size))
    return "".join(ops)


def label_pages(
    labels: Sequence[LabelContent], layout: Layout, brand: Branding, *, start_position: int = 1, copies: int = 1
) -> Iterator[tuple[float, float, str]]:
    """Pages of labels, filled left to right, top to bottom, beginning at `start_position` (1-based)."""
    page_w, page_h = (v * MM for v in layout.page_size_mm)
    w, h = layout.label_width_mm * MM, layout.label_height_mm * MM
    dx, dy = layout.calibration.x_mm * MM, layout.calibration.y_mm * MM
    slot = start_position - 1
    parts: list[str] = []
    for content in labels:
        for _ in range(copies):
            if slot == layout.per_page:
                yield page_w, page_h, "".join(parts)
                parts, slot = [], 0
            row, col = divmod(slot, layout.columns)
            x = (layout.left_margin_mm + col * layout.horizontal_pitch_mm) * MM + dx
            y = page_h - (layout.top_margin_mm + row * layout.vertical_pitch_mm) * MM - h - dy
            parts.append(label_ops(content, brand, x, y, w, h, layout.corner_radius_mm * MM))
            slot += 1
    if parts:
        yield page_w, page_h, "".join(parts)


def label_pdf(
    labels: Iterable[LabelContent], layout: Layout, brand: Branding, *, start_position: int = 1, copies: int = 1
) -> Iterator[bytes]:
    return stream_pages(
        label_pages(list(labels), layout, brand, start_position=start_position, copies=copies),
        producer=f"Lending labels ({layout.name})",
    )


# --- the calibration test sheet ---------------------------------------------------------------------------------

KAPPA = 0.5523  # a quarter circle as one Bézier curve: control points this far along the tangents
RULER_TICKS_MM = ((10, 5.0), (5, 3.5), (1, 2.0))  # every 10 mm a long tick, every 5 a middle one, else short
RULER_FONT_PT = 6.0


def outline_ops(x: float, y: float, w: float, h: float, r: float) -> str:
    """A label's edge, rounded as the layout says; (x, y) is the bottom-left corner, in points."""
    r = min(r, w / 2, h / 2)
    if r <= 0:
        return f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re S\n"
    k = r * KAPPA
    right, top = x + w, y + h
    return (
        f"{x + r:.3f} {y:.3f} m {right - r:.3f} {y:.3f} l "
        f"{right - r + k:.3f} {y:.3f} {right:.3f} {y + r - k:.3f} {right:.3f} {y + r:.3f} c "
        f"{right:.3f} {top - r:.3f} l "
        f"{right:.3f} {top - r + k:.3f} {right - r + k:.3f} {top:.3f} {right - r:.3f} {top:.3f} c "
        f"{x + r:.3f} {top:.3f} l "
        f"{x + r - k:.3f} {top:.3f} {x:.3f} {top - r + k:.3f} {x:.3f} {top - r:.3f} c "
        f"{x:.3f} {y + r:.3f} l "
        f"{x:.3f} {y + r - k:.3f} {x + r - k:.3f} {y:.3f} {x + r:.3f} {y:.3f} c h S\n"
    )


def crosshair_ops(cx: float, cy: float, arm: float) -> str:
    return (
        f"{cx - arm:.3f} {cy:.3f} m {cx + arm:.3f} {cy:.3f} l {cx:.3f} {cy - arm:.3f} m {cx:.3f} {cy + arm:.3f} l S\n"
    )


def _tick_length_mm(mm: int) -> float:
    return next(length for step, length in RULER_TICKS_MM if mm % step == 0)


def ruler_ops(page_w: float, page_h: float, dx: float, dy: float) -> str:
    """Millimetre rulers along the top and left edges, numbered every 10 mm, moved by the calibration like the
    labels: on a printer that needs no (further) correction each ruler's 0 meets the paper's edge, and wherever the
    edge falls on the ruler instead is how far the print is still off."""
    ops = ["0.3 w\n"]
    # From 20 mm before the edge (the farthest a calibration moves things) to the far side of the page.
    for mm in range(-20, int(page_w / MM) + 21):
        x, length = mm * MM + dx, _tick_length_mm(mm) * MM
        ops.append(f"{x:.3f} {page_h - dy:.3f} m {x:.3f} {page_h - dy - length:.3f} l S\n")
        if mm % 10 == 0 and mm > 0:
            ops.append(_centred(x, page_h - dy - length - RULER_FONT_PT, 20 * MM, str(mm), "F1", RULER_FONT_PT))
    for mm in range(-20, int(page_h / MM) + 21):
        y, length = page_h - mm * MM - dy, _tick_length_mm(mm) * MM
        ops.append(f"{dx:.3f} {y:.3f} m {dx + length:.3f} {y:.3f} l S\n")
        if mm % 10 == 0 and mm > 0:
            ops.append(_text(dx + length + 0.8 * MM, y - RULER_FONT_PT * 0.35, str(mm), "F1", RULER_FONT_PT))
    return "".join(ops)


def calibration_page(layout: Layout, caption: Sequence[str]) -> tuple[float, float, str]:
    """One page of `layout`: every label's outline with a crosshair at its centre, the rulers, and `caption` in
    the middle; all moved by the layout's calibration, as its labels would be."""
    page_w, page_h = (v * MM for v in layout.page_size_mm)
    w, h = layout.label_width_mm * MM, layout.label_height_mm * MM
    dx, dy = layout.calibration.x_mm * MM, layout.calibration.y_mm * MM
    ops = ["0 G 0.4 w\n"]
    arm = min(w, h) * 0.2
    for slot in range(layout.per_page):
        row, col = divmod(slot, layout.columns)
        x = (layout.left_margin_mm + col * layout.horizontal_pitch_mm) * MM + dx
        y = page_h - (layout.top_margin_mm + row * layout.vertical_pitch_mm) * MM - h - dy
        ops.append(outline_ops(x, y, w, h, layout.corner_radius_mm * MM))
        ops.append(crosshair_ops(x + w / 2, y + h / 2, arm))
    ops.append(ruler_ops(page_w, page_h, dx, dy))
    ops.append(_caption(layout, caption, arm / MM))
    return page_w, page_h, "".join(ops)


def _caption(layout: Layout, lines: Sequence[str], arm_mm: float) -> str:
    """`lines` where they hide no outline or crosshair: in the sheet's bottom margin when there is room, else
    below the last row's crosshairs (a roll label has no margin). Not moved by the calibration: it is no guide."""
    page_w, page_h = layout.page_size_mm
    last_row_top = layout.top_margin_mm + (layout.rows - 1) * layout.vertical_pitch_mm
    margin_top = last_row_top + layout.label_height_mm
    if page_h - margin_top >= 7.5:
        top, bottom = margin_top + 0.5, page_h - 1
    else:
        top, bottom = last_row_top + layout.label_height_mm / 2 + arm_mm + 0.5, page_h - 1
    leading = (bottom - top) * MM / len(lines)
    size = min(8.0, leading / 1.3)
    width = page_w * 0.9 * MM
    ops = ["0 g\n"]
    for index, text in enumerate(lines):
        baseline = (page_h - top) * MM - (index + 1) * leading + size * 0.25
        ops.append(_centred(page_w * MM / 2, baseline, width, text, "F2" if index == 0 else "F1", size))
    return "".join(ops)


def calibration_pdf(layout: Layout, caption: Sequence[str]) -> Iterator[bytes]:
    def page() -> Iterator[tuple[float, float, str]]:
        # Drawn when the stream is first read (off the event loop, as label sheets are), not when it is made.
        yield calibration_page(layout, caption)

    return stream_pages(page(), producer=f"Lending calibration ({layout.name})")
