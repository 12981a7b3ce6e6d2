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

SYSTEM_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto"),
)
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
            log.warning(
                "font %s not found (install fonts-noto-core or set LENDING_FONTS_DIR): %s text will not render",
                regular,
                script,
            )
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


_LATIN_RUN = re.compile(
    r"([0-9A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F0-9'’@.\- ]*[A-Za-z0-9\u00C0-\u024F]|"
    r"[A-Za-z\u00C0-\u024F])"
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_SPACES = re.compile(r"(\s+)")
# What parts two scripts that touch inside one word: reportlab breaks words only at ASCII whitespace.
_WORD_BREAK = " "


def _letter_font(char: str, faces: Faces) -> str | None:
    """The font that sets a letter: its script's face, or Helvetica (also for letters no face here has); None for
    a character of no script (digits, punctuation, symbols, emoji)."""
    for script, family in faces.available.items():
        if _LETTER[script].match(char):
            return family
    return "Helvetica" if char.isalpha() else None


@lru_cache(maxsize=4096)
def _has_glyph(font: str, char: str) -> bool:
    if font == "Helvetica":
        try:
            char.encode("cp1252")  # the standard fonts' encoding
        except UnicodeEncodeError:
            return False
        return char.isprintable()
    return ord(char) in pdfmetrics.getFont(font).face.charToGlyph


def _segments(word: str, faces: Faces, base: str) -> list[tuple[str, str]]:
    """`word` cut into runs that each one font sets, as (font, text).

    A letter takes its script's font. A character of no script takes the font of the letters beside it when that
    font has a glyph for it (the Arabic face has no brackets or hyphen), else the paragraph's font, else Helvetica;
    one no font has (an emoji) takes the paragraph's font, which shows a blank box rather than failing.
    """
    fonts = [_letter_font(char, faces) for char in word]
    chosen: list[str] = []
    for index, char in enumerate(word):
        own = fonts[index]
        if own is not None:
            chosen.append(own)
            continue
        before = next((f for f in reversed(fonts[:index]) if f is not None), None)
        after = next((f for f in fonts[index + 1 :] if f is not None), None)
        candidates = [f for f in (before, after, base, "Helvetica") if f is not None]
        chosen.append(next((f for f in candidates if _has_glyph(f, char)), base))
    segments: list[list[str]] = []
    for font, char in zip(chosen, word, strict=True):
        if segments and segments[-1][0] == font:
            segments[-1][1] += char
        else:
            segments.append([font, char])
    return [(font, text) for font, text in segments]


def _words(text: str, faces: Faces, base: str) -> str:
    """Markup for plain `text` in which every word (between spaces) is set in exactly one font.

    reportlab shapes a word with the HarfBuzz font of its first piece and then looks each glyph up in each piece's
    own font, so a word mixing fonts crashes (Helvetica has no glyph table: `Ali (علی) (parent)` failed the signed
    agreement) or comes out with wrong glyphs. A word mixing scripts (`Ali-علی`) is therefore parted with a space.
    """
    pieces: list[tuple[str | None, str]] = []
    for token in _SPACES.split(text):
        if not token:
            continue
        if token.isspace():
            pieces.append((pieces[-1][0] if pieces else None, token))
            continue
        for index, (font, segment) in enumerate(_segments(token, faces, faces.available.get(base, "Helvetica"))):
            face = None if font == faces.available.get(base) else font
            if index:
                pieces.append((face, _WORD_BREAK))
            pieces.append((face, segment))
    merged: list[list] = []
    for face, piece in pieces:
        if merged and merged[-1][0] == face:
            merged[-1][1] += piece
        else:
            merged.append([face, piece])
    return "".join(
        html.escape(piece, quote=False)
        if face is None
        else f'<font face="{face}">{html.escape(piece, quote=False)}</font>'
        for face, piece in merged
    )


def _runs(plain: str, faces: Faces, base: str) -> str:
    """Markup for `plain` (with **bold**) in a paragraph based on `base`'s font: each word in its script's font."""
    parts, position = [], 0
    for match in _BOLD.finditer(plain):
        parts += [_words(plain[position : match.start()], faces, base), f"<b>{_words(match.group(1), faces, base)}</b>"]
        position = match.end()
    parts.append(_words(plain[position:], faces, base))
    return "".join(parts)


def right_to_left(plain: str, faces: Faces) -> bool:
    """Whether `plain` is mostly Arabic script (at least a third of its letters), so it reads right to left."""
    counts = letter_counts(plain)
    return "arabic" in faces.available and counts["arabic"] > 0 and counts["arabic"] * 2 >= counts["latin"]


def styled(markup: str, plain: str, style: ParagraphStyle, faces: Faces) -> tuple[str, ParagraphStyle]:
    """The markup and style to set `plain` (whose markup is `markup`) in the right fonts and direction.

    Shaping is decided per paragraph by its base font, so a paragraph with any Arabic or Bengali letters is based
    on that script's font (the one with more letters), with every other word switched to its own script's font
    (Latin to Helvetica). `markup` is then rebuilt from `plain` word by word. Paragraphs that read right to left
    (see `right_to_left`) are set by RightToLeft instead.
    """
    counts = letter_counts(plain)
    present = [script for script in faces.available if counts[script]]
    if not present:
        return markup, style
    script = max(present, key=lambda name: counts[name])
    style = ParagraphStyle(
        f"{style.name}-{script}",
        parent=style,
        fontName=faces.available[script],
        shaping=1,
        leading=style.leading * 1.35,
    )
    return _runs(plain, faces, script), style


class RightToLeft(Flowable):
    """A paragraph in an Arabic-script language that also holds Latin runs (names, places, dates).

    reportlab's own right-to-left layout needs a bidi library that is not on PyPI, and without it a line mixing
    scripts comes out with its runs left to right. This does the small part of the bidi algorithm such text needs:
    break lines in reading order, then set each line's words right to left, each Arabic word shaped by HarfBuzz and
    each Latin run kept whole and left to right.
    """

    def __init__(self, text: str, style: ParagraphStyle, faces: Faces, bullet: str | None = None) -> None:
        super().__init__()
        self.style = ParagraphStyle(
            f"{style.name}-rtl-lines",
            parent=style,
            fontName=faces.available["arabic"],
            shaping=1,
            leading=style.leading * 1.35,
            alignment=TA_RIGHT,
        )
        self.bullet = bullet
        self.faces = faces
        self.tokens = self._tokens(text, style)
        self.inner: Paragraph | None = None

    def _tokens(self, text: str, style: ParagraphStyle) -> list[tuple[str, float]]:
        tokens: list[tuple[str, float]] = []

        def add(word: str, font: str) -> None:
            tokens.append(
                (
                    f'<font face="{font}">{html.escape(word).replace(" ", "&nbsp;")}</font>',
                    stringWidth(word, font, style.fontSize),
                )
            )

        for index, piece in enumerate(text.split("**")):
            bold = index % 2 == 1
            position = 0
            words: list[str] = []
            for match in _LATIN_RUN.finditer(piece):
                words += [*piece[position : match.start()].split(), match.group(1)]
                position = match.end()
            words += piece[position:].split()
            for word in words:
                # One font per token (see `_words`): a word mixing scripts becomes a token per script.
                for font, segment in _segments(word, self.faces, self.faces.available["arabic"]):
                    add(segment, (f"{font}-Bold" if font != "Helvetica" else "Helvetica-Bold") if bold else font)
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
