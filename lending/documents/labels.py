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
