"""Fonts and text direction for the scripts Birmingham's families read: Latin, Arabic script (Urdu, Arabic, Pashto),
Bengali and Gurmukhi (Punjabi).

Every face is an embedded TrueType font, so a PDF shows the same letters on every reader: Noto Sans for Latin
(with the diacritics of Polish, Romanian and Somali that Helvetica lacks), Noto Naskh Arabic, Noto Sans Bengali and
Noto Sans Gurmukhi. Arabic script is set in Naskh rather than Urdu's usual Nastaliq: Nastaliq's letters climb along a
slanted baseline through glyph offsets that reportlab's text output places only roughly. The fonts are read from
LENDING_FONTS_DIR or the system's Noto folders (Debian: fonts-noto-core); without one, its script falls back to
Helvetica (which cannot show it) and a warning is logged once.

Complex scripts are shaped by HarfBuzz (uharfbuzz, through reportlab). Text holding letters other than Latin, or
set in a right-to-left document, is laid out by `BidiParagraph`: lines are broken in reading order, then each line
is put in display order by the Unicode bidirectional algorithm (python-bidi), so a Latin name in an Urdu sentence
or an Urdu name in an English one stands where a reader expects it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bidi import algorithm as bidi
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeStr
from reportlab.platypus import Flowable

log = logging.getLogger("lending.fonts")

Direction = Literal["L", "R"]
SYSTEM_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto"),
)
LATIN_FACE = ("Lending-Sans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
FACES = {
    "arabic": ("Lending-Arabic", "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"),
    "bengali": ("Lending-Bengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    "gurmukhi": ("Lending-Gurmukhi", "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf"),
}
SCRIPTS = {
    "arabic": r"\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF",
    "bengali": r"\u0980-\u09FF",  # the dandas (U+0964, U+0965) are shared with Gurmukhi: no script's own
    "gurmukhi": r"\u0A00-\u0A7F",
}
_LETTER = {name: re.compile(f"[{chars}]") for name, chars in SCRIPTS.items()}
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
# Embedding marks (LRE ... PDF) keep a phone number's digit groups in order inside Urdu text; never drawn.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u200e\u200f")
_STRONG_RTL = re.compile(r"[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
# Scripts HarfBuzz must shape (joining, conjuncts, vowel signs); Latin after NFC needs none.
COMPLEX = frozenset(FACES)


@dataclass(frozen=True)
class Faces:
    available: dict[str, str]  # script -> registered font family name
    latin: str = "Helvetica"  # the Latin face: Noto Sans when found, else the unembedded standard font

    def bold(self, font: str) -> str:
        if font == "Helvetica":
            return "Helvetica-Bold"
        # A bold style's own font (a heading's) is bold already: `**…**` inside it stays that face.
        return font if font.endswith("-Bold") else f"{font}-Bold"

    @property
    def complex_fonts(self) -> frozenset[str]:
        return frozenset(self.available.values()) | frozenset(self.bold(f) for f in self.available.values())


def _register(family: str, regular: Path, bold: Path | None) -> None:
    if family in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(family, str(regular)))
    pdfmetrics.registerFont(TTFont(f"{family}-Bold", str(bold or regular)))
    addMapping(family, 0, 0, family)
    addMapping(family, 1, 0, f"{family}-Bold")
    addMapping(family, 0, 1, family)
    addMapping(family, 1, 1, f"{family}-Bold")


@lru_cache(maxsize=4)
def load_faces(extra_dir: Path | None = None) -> Faces:
    folders = [d for d in (extra_dir, *SYSTEM_DIRS) if d is not None and d.is_dir()]

    def find(name: str) -> Path | None:
        return next((d / name for d in folders if (d / name).is_file()), None)

    latin = "Helvetica"
    family, regular, bold = LATIN_FACE
    if (found := find(regular)) is not None:
        _register(family, found, find(bold))
        latin = family
    else:
        log.warning(
            "font %s not found (install fonts-noto-core or set LENDING_FONTS_DIR): Latin text in Helvetica", regular
        )
    try:
        import uharfbuzz  # noqa: F401  (reportlab shapes complex scripts with it)
    except ImportError:
        log.warning("uharfbuzz is not installed: documents are set in Latin script only")
        return Faces({}, latin)
    available: dict[str, str] = {}
    for script, (family, regular, bold) in FACES.items():
        found = find(regular)
        if found is None:
            log.warning(
                "font %s not found (install fonts-noto-core or set LENDING_FONTS_DIR): %s text will not render",
                regular,
                script,
            )
            continue
        _register(family, found, find(bold))
        available[script] = family
    return Faces(available, latin)


def letter_counts(text: str) -> dict[str, int]:
    counts = {name: len(pattern.findall(text)) for name, pattern in _LETTER.items()}
    counts["latin"] = len(_LATIN.findall(text))
    return counts


def has_right_to_left(text: str) -> bool:
    """Whether `text` holds a letter of a right-to-left script (Arabic, Hebrew, Syriac, Thaana, N'Ko); Arabic-Indic
    digits alone do not make text right to left."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in _STRONG_RTL.findall(text))


def base_direction(text: str) -> Direction:
    """The direction of a paragraph by its first strong letter (Unicode rules P2 and P3), for text whose document
    gives none: an Urdu donor's name in a report reads right to left."""
    return "R" if bidi.get_base_level(text) == 1 else "L"


_SPACES = re.compile(r"(\s+)")


def _letter_font(char: str, faces: Faces) -> str | None:
    """The font that sets a letter: its script's face, or the Latin face (also for letters no face here has); None
    for a character of no script (digits, punctuation, symbols, emoji)."""
    for script, family in faces.available.items():
        if _LETTER[script].match(char):
            return family
    return faces.latin if char.isalpha() else None


@lru_cache(maxsize=8192)
def _has_glyph(font: str, char: str) -> bool:
    if font.startswith("Helvetica"):
        try:
            char.encode("cp1252")  # the standard fonts' encoding
        except UnicodeEncodeError:
            return False
        return char.isprintable()
    return ord(char) in pdfmetrics.getFont(font).face.charToGlyph


def _segments(word: str, faces: Faces, base: str) -> list[tuple[str, str]]:
    """`word` cut into runs that each one font sets, as (font, text).

    A letter takes its script's font. A character of no script takes the font of the letters beside it when that
    font has a glyph for it (the Arabic face has no Latin digits' neighbours such as '@'), else the paragraph's font,
    else the Latin face; one no font has (an emoji) takes the paragraph's font, which shows a blank box rather than
    failing. A combining mark or joiner stays with the letter before it.
    """
    fonts = [_letter_font(char, faces) for char in word]
    chosen: list[str] = []
    for index, char in enumerate(word):
        own = fonts[index]
        if own is not None:
            chosen.append(own)
            continue
        if chosen and unicodedata.category(char) in ("Mn", "Me", "Mc", "Cf"):
            chosen.append(chosen[-1])
            continue
        before = next((f for f in reversed(fonts[:index]) if f is not None), None)
        after = next((f for f in fonts[index + 1 :] if f is not None), None)
        # Then any face with the glyph: a danda (।) after a Latin reference in Bengali text.
        candidates = [f for f in (before, after, base, faces.latin, *faces.available.values()) if f is not None]
        chosen.append(next((f for f in candidates if _has_glyph(f, char)), base))
    segments: list[list[str]] = []
    for font, char in zip(chosen, word, strict=True):
        if segments and segments[-1][0] == font:
            segments[-1][1] += char
        else:
            segments.append([font, char])
    return [(font, text) for font, text in segments]


def needs_layout(text: str, faces: Faces) -> bool:
    """Whether `text` needs `BidiParagraph`: it holds right-to-left letters, or letters of a script HarfBuzz must
    shape (reportlab's own Paragraph shapes a word with one font only, and would part `Bank-এর` with a space)."""
    return has_right_to_left(text) or any(_LETTER[script].search(text) for script in faces.available)


# ------------------------------------------------------------------ bidirectional layout


def visual_order(text: str, base: Direction) -> list[tuple[int, str]]:
    """`text` (one line) in display order, left to right, by the Unicode bidirectional algorithm: each character's
    index in `text` and the character shown (a bracket in right-to-left text mirrored).

    The steps are python-bidi's own, those `bidi.algorithm.get_display` runs; only the index each character came from
    is kept as well, because fonts and bold were chosen per character in reading order.
    """
    storage = bidi.get_empty_storage()
    storage["base_level"] = bidi.PARAGRAPH_LEVELS[base]
    storage["base_dir"] = base
    bidi.get_embedding_levels(text, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    bidi.explicit_embed_and_overrides(storage)
    bidi.resolve_weak_types(storage)
    bidi.resolve_neutral_types(storage, False)
    bidi.resolve_implicit_levels(storage, False)
    bidi.reorder_resolved_levels(storage, False)
    bidi.apply_mirroring(storage, False)
    return [(char["index"], char["ch"]) for char in storage["chars"]]


@lru_cache(maxsize=4096)
def _shaped_right_to_left(char: str) -> bool:
    """Whether HarfBuzz, guessing from the script as reportlab lets it, sets `char` right to left (Arabic letters
    and Arabic-Indic digits: it then reverses them)."""
    try:
        import uharfbuzz
    except ImportError:  # nothing is shaped, so nothing is reversed
        return False
    buffer = uharfbuzz.Buffer()
    buffer.add_str(char)
    buffer.guess_segment_properties()
    return buffer.direction == "rtl"


@dataclass(frozen=True)
class _Run:
    font: str
    text: Any  # str, or reportlab's ShapedStr carrying HarfBuzz's glyph positions
    width: float


@lru_cache(maxsize=16384)
def _run(text: str, font: str, size: float, complex_script: bool) -> _Run:
    if not complex_script:
        return _Run(font, text, stringWidth(text, font, size))
    shaped = shapeStr(text, font, size)
    if isinstance(shaped, ShapedStr):
        return _Run(font, shaped, sum(d.x_advance for d in shaped.__shapeData__) * size / 1000)
    return _Run(font, text, stringWidth(text, font, size))


@dataclass
class _Line:
    runs: list[_Run] = field(default_factory=list)

    @property
    def width(self) -> float:
        return sum(run.width for run in self.runs)


class BidiParagraph(Flowable):
    """A paragraph laid out by the bidirectional algorithm: `direction` is the paragraph's (its document's), right
    to left for Urdu, Arabic and Pashto, where lines are right-aligned and start at the right.

    Lines are broken in reading order, each then put in display order (`visual_order`) and drawn run by run, a run
    being characters of one font, weight and HarfBuzz direction. A run HarfBuzz sets right to left is handed to it in
    reading order (it reverses it back), so Arabic letters join as they should.
    """

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        faces: Faces,
        direction: Direction,
        bullet: str | None = None,
        *,
        align: Direction | None = None,
        _lines: list[_Line] | None = None,
    ) -> None:
        super().__init__()
        # The side lines start from: the paragraph's direction, or the page's for a Latin address on an Urdu page.
        self.align = align or direction
        self.text = unicodedata.normalize("NFC", text)
        self.style = style
        self.faces = faces
        self.direction = direction
        self.bullet = bullet
        self.size = float(style.fontSize)
        complex_present = any(_LETTER[s].search(self.text) for s in faces.available)
        self.leading = float(style.leading) * (1.35 if complex_present else 1)
        self._fixed = _lines
        self._lines: list[_Line] = _lines or []
        self._for_width: float | None = None
        self._chars, self._fonts = self._characters()

    # -- characters: plain text and each one's font, in reading order

    def _characters(self) -> tuple[str, list[str]]:
        base = self.style.fontName if self.style.fontName in pdfmetrics.getRegisteredFontNames() else self.faces.latin
        base = self.faces.latin if base.startswith("Helvetica") else base
        chars: list[str] = []
        fonts: list[str] = []
        for index, piece in enumerate(self.text.split("**")):
            bold = index % 2 == 1 or "Bold" in self.style.fontName
            for token in _SPACES.split(piece):
                if not token:
                    continue
                if token.isspace():
                    chars += [" "] * len(token)
                    fonts += [fonts[-1] if fonts else (self.faces.bold(base) if bold else base)] * len(token)
                    continue
                for font, segment in _segments(token, self.faces, base):
                    chars += list(segment)
                    fonts += [self.faces.bold(font) if bold else font] * len(segment)
        return "".join(chars), fonts

    # -- lines

    def _measure(self, start: int, end: int) -> float:
        width = 0.0
        pieces: list[list[str]] = []
        for position in range(start, end):
            char, font = self._chars[position], self._fonts[position]
            if char in BIDI_CONTROLS:
                continue
            if pieces and pieces[-1][0] == font:
                pieces[-1][1] += char
            else:
                pieces.append([font, char])
        for font, text in pieces:
            width += _run(text, font, self.size, font in self.faces.complex_fonts).width
        return width

    def _break(self, width: float) -> list[tuple[int, int]]:
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", self._chars)]
        lines: list[tuple[int, int]] = []
        start = end = None
        for word_start, word_end in words:
            if start is None:
                start, end = word_start, word_end
            elif self._measure(start, word_end) <= width:
                end = word_end
            else:
                lines.append((start, end))  # type: ignore[arg-type]
                start, end = word_start, word_end
        if start is not None:
            lines.append((start, end))  # type: ignore[arg-type]
        return lines

    def _line(self, start: int, end: int) -> _Line:
        text = self._chars[start:end]
        order = visual_order(text, self.direction)
        keyed: list[tuple[tuple[str, bool], str]] = []
        for index, char in order:
            if char in BIDI_CONTROLS:
                continue
            font = self._fonts[start + index]
            keyed.append(((font, _shaped_right_to_left(char)), char))
        line = _Line()
        pieces: list[list[Any]] = []
        for key, char in keyed:
            if pieces and pieces[-1][0] == key:
                pieces[-1][1] += char
            else:
                pieces.append([key, char])
        for (font, reversed_by_harfbuzz), visual in pieces:
            if not any(char.isalpha() for char in visual):
                # Digits need no shaping, and HarfBuzz would swap Urdu's ۴ ۶ ۷ for glyphs that no longer say
                # which digit they are to a text reader.
                line.runs.append(_run(visual, font, self.size, False))
                continue
            logical = visual[::-1] if reversed_by_harfbuzz else visual
            line.runs.append(_run(logical, font, self.size, font in self.faces.complex_fonts))
        return line

    def _indents(self) -> tuple[float, float]:
        """(start, end) indents: a bullet's indent is at the start side, the left in English, the right in Urdu."""
        return float(self.style.leftIndent), float(self.style.rightIndent)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._fixed is None and self._for_width != available_width:
            start, end = self._indents()
            room = max(available_width - start - end, 1.0)
            self._lines = [self._line(a, b) for a, b in self._break(room)]
            self._for_width = available_width
        self.width = available_width
        self.height = self.leading * max(len(self._lines), 1)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        self.wrap(available_width, available_height)
        fit = int(available_height // self.leading)
        if fit <= 0:
            return []
        if fit >= len(self._lines):
            return [self]
        first, rest = (
            BidiParagraph(self.text, self.style, self.faces, self.direction, bullet, align=self.align, _lines=lines)
            for bullet, lines in ((self.bullet, self._lines[:fit]), (None, self._lines[fit:]))
        )
        first.width = rest.width = available_width
        return [first, rest]

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)

    def draw(self) -> None:
        canvas = self.canv
        start, end = self._indents()
        canvas.setFillColor(self.style.textColor)
        for number, line in enumerate(self._lines):
            baseline = self.height - number * self.leading - (self.leading + self.size) / 2 + self.size * 0.15
            if self.align == "R":
                x = self.width - (start if self.direction == "R" else end) - line.width
            elif self.style.alignment == TA_RIGHT:
                x = self.width - end - line.width
            elif self.style.alignment == TA_CENTER:
                x = (self.width - line.width) / 2
            else:
                x = start
            if number == 0 and self.bullet:
                bullet_x = (
                    self.width - float(self.style.bulletIndent) - stringWidth(self.bullet, self.faces.latin, self.size)
                    if self.direction == "R"
                    else float(self.style.bulletIndent)
                )
                canvas.setFont(self.faces.latin, self.size)
                canvas.drawString(bullet_x, baseline, self.bullet)
            for run in line.runs:
                text = canvas.beginText(x, baseline)
                text.setFont(run.font, self.size)
                text.textOut(run.text)
                canvas.drawText(text)
                x += run.width
