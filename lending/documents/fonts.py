"""Fonts for the scripts Birmingham's families read: Urdu/Arabic and Bengali, beside Latin.

Latin text stays in Helvetica (no embedding, fast). A paragraph written mostly in Arabic script is set in Noto Naskh
Arabic, shaped by HarfBuzz (uharfbuzz) and laid out right to left; one mostly in Bengali in Noto Sans Bengali. Runs
of another script inside a paragraph switch font for that run. The fonts are read from LENDING_FONTS_DIR or the
system's Noto folders (Debian: fonts-noto-core); without them, or without uharfbuzz, everything falls back to
Helvetica and a warning is logged once.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph

log = logging.getLogger("lending.fonts")

SYSTEM_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"),
               Path("/usr/share/fonts/noto"))
FACES = {
    "arabic": ("Lending-Arabic", "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "bengali": ("Lending-Bengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
}
SCRIPTS = {
    "arabic": r"\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF",
    "bengali": r"\u0980-\u09FF\u0964\u0965",
}
_LETTER = {name: re.compile(f"[{chars}]") for name, chars in SCRIPTS.items()}
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


@dataclass(frozen=True)
class Faces:
    available: dict[str, str]  # script -> registered font family name


@lru_cache(maxsize=4)
def load_faces(extra_dir: Path | None = None) -> Faces:
    try:
        import uharfbuzz  # noqa: F401  (reportlab shapes complex scripts with it)
    except ImportError:
        log.warning("uharfbuzz is not installed: agreements are set in Helvetica (Latin script only)")
        return Faces({})
    folders = [d for d in (extra_dir, *SYSTEM_DIRS) if d is not None and d.is_dir()]
    available: dict[str, str] = {}
    for script, (family, regular, bold) in FACES.items():
        found = {name: next((d / name for d in folders if (d / name).is_file()), None) for name in (regular, bold)}
        if found[regular] is None:
            log.warning("font %s not found (install fonts-noto-core or set LENDING_FONTS_DIR): %s text will not "
                        "render", regular, script)
            continue
        if family not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(family, str(found[regular])))
            pdfmetrics.registerFont(TTFont(f"{family}-Bold", str(found[bold] or found[regular])))
            addMapping(family, 0, 0, family)
            addMapping(family, 1, 0, f"{family}-Bold")
            addMapping(family, 0, 1, family)
            addMapping(family, 1, 1, f"{family}-Bold")
        available[script] = family
    return Faces(available)


def letter_counts(text: str) -> dict[str, int]:
    counts = {name: len(pattern.findall(text)) for name, pattern in _LETTER.items()}
    counts["latin"] = len(_LATIN.findall(text))
    return counts


_PROTECTED = re.compile(r"(<[^>]*>|&#?\w+;)")
_LATIN_RUN = re.compile(r"([0-9A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F0-9'’@.\- ]*[A-Za-z0-9\u00C0-\u024F]|"
                        r"[A-Za-z\u00C0-\u024F])")


def _on_text(markup: str, change: Callable[[str], str]) -> str:
    """Apply `change` to the text between tags and entities, never inside them."""
    return "".join(part if _PROTECTED.fullmatch(part) else change(part) for part in _PROTECTED.split(markup))


def _runs(markup: str, faces: Faces, base: str) -> str:
    """Wrap each run of a script other than the paragraph's own in a <font> tag naming its face."""
    for script, family in faces.available.items():
        if script == base:
            continue
        run = re.compile(f"([{SCRIPTS[script]}][{SCRIPTS[script]}\\s\\d.,:;،؛]*)")
        markup = _on_text(markup, lambda text, run=run, family=family: run.sub(
            lambda m: f'<font face="{family}">{m.group(1)}</font>', text))
    if base != "latin":
        # Latin runs (names, places) in Helvetica, kept as one unbreakable piece so a right-to-left line does not
        # reverse their words.
        markup = _on_text(markup, lambda text: _LATIN_RUN.sub(
            lambda m: '<font face="Helvetica">' + m.group(1).replace(" ", "\u00a0") + "</font>", text))
    return markup


def right_to_left(plain: str, faces: Faces) -> bool:
    """Whether `plain` is mostly Arabic script (at least a third of its letters), so it reads right to left."""
    counts = letter_counts(plain)
    return "arabic" in faces.available and counts["arabic"] > 0 and counts["arabic"] * 2 >= counts["latin"]


def styled(markup: str, plain: str, style: ParagraphStyle, faces: Faces) -> tuple[str, ParagraphStyle]:
    """The markup and style to set `plain` (whose markup is `markup`) in the right fonts and direction.

    Shaping is decided per paragraph by its base font, so a paragraph with any Arabic or Bengali letters is based
    on that script's font (the one with more letters), with Latin runs switched to Helvetica. Paragraphs that read
    right to left (see `right_to_left`) are set by RightToLeft instead.
    """
    counts = letter_counts(plain)
    present = [script for script in faces.available if counts[script]]
    if not present:
        return markup, style
    script = max(present, key=lambda name: counts[name])
    style = ParagraphStyle(f"{style.name}-{script}", parent=style, fontName=faces.available[script], shaping=1,
                           leading=style.leading * 1.35)
    return _runs(markup, faces, script), style


class RightToLeft(Flowable):
    """A paragraph in an Arabic-script language that also holds Latin runs (names, places, dates).

    reportlab's own right-to-left layout needs a bidi library that is not on PyPI, and without it a line mixing
    scripts comes out with its runs left to right. This does the small part of the bidi algorithm such text needs:
    break lines in reading order, then set each line's words right to left, each Arabic word shaped by HarfBuzz and
    each Latin run kept whole and left to right.
    """

    def __init__(self, text: str, style: ParagraphStyle, faces: Faces, bullet: str | None = None) -> None:
        super().__init__()
        self.style = ParagraphStyle(f"{style.name}-rtl-lines", parent=style, fontName=faces.available["arabic"],
                                    shaping=1, leading=style.leading * 1.35, alignment=TA_RIGHT)
        self.bullet = bullet
        self.tokens = self._tokens(text, style)
        self.inner: Paragraph | None = None

    def _tokens(self, text: str, style: ParagraphStyle) -> list[tuple[str, float]]:
        arabic = self.style.fontName
        tokens: list[tuple[str, float]] = []
        for index, piece in enumerate(text.split("**")):
            bold = index % 2 == 1
            latin_font = "Helvetica-Bold" if bold else "Helvetica"
            arabic_font = f"{arabic}-Bold" if bold else arabic
            position = 0
            for match in _LATIN_RUN.finditer(piece):
                for word in piece[position:match.start()].split():
                    tokens.append((f'<font face="{arabic_font}">{html.escape(word)}</font>',
                                   stringWidth(word, arabic_font, style.fontSize)))
                run = match.group(1)
                tokens.append((f'<font face="{latin_font}">{html.escape(run).replace(" ", "&nbsp;")}</font>',
                               stringWidth(run, latin_font, style.fontSize)))
                position = match.end()
            for word in piece[position:].split():
                tokens.append((f'<font face="{arabic_font}">{html.escape(word)}</font>',
                               stringWidth(word, arabic_font, style.fontSize)))
        return tokens

    def _lines(self, width: float) -> list[list[str]]:
        space = stringWidth(" ", "Helvetica", self.style.fontSize)
        lines: list[list[str]] = [[]]
        used = 0.0
        for markup, measure in self.tokens:
            if lines[-1] and used + space + measure > width * 0.97:
                lines.append([])
                used = 0.0
            used += (space if lines[-1] else 0) + measure
            lines[-1].append(markup)
        return lines

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        indent = self.style.leftIndent + self.style.rightIndent
        visual = [" ".join(reversed(line)) for line in self._lines(available_width - indent)]
        self.inner = Paragraph("<br/>".join(visual), self.style, bulletText=self.bullet)
        return self.inner.wrap(available_width, available_height)

    def draw(self) -> None:
        assert self.inner is not None
        self.inner.drawOn(self.canv, 0, 0)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        self.wrap(available_width, available_height)
        assert self.inner is not None
        return self.inner.split(available_width, available_height)
