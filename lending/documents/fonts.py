"""Fonts for the scripts Birmingham's families read: Urdu/Arabic and Bengali, beside Latin.

Latin text stays in Helvetica (no embedding, fast). A paragraph written mostly in Arabic script is set in Noto Naskh
Arabic, shaped by HarfBuzz (uharfbuzz) and laid out right to left; one mostly in Bengali in Noto Sans Bengali. Runs
of another script inside a paragraph switch font for that run. The fonts are read from LENDING_FONTS_DIR or the
system's Noto folders (Debian: fonts-noto-core); without them, or without uharfbuzz, everything falls back to
Helvetica and a warning is logged once.
"""

from __future__ import annotations

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
from reportlab.pdfbase.ttfonts import TTFont

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


def styled(markup: str, plain: str, style: ParagraphStyle, faces: Faces) -> tuple[str, ParagraphStyle]:
    """The markup and style to set `plain` (whose markup is `markup`) in the right fonts and direction.

    Shaping is decided per paragraph by its base font, so a paragraph with any Arabic or Bengali letters is based
    on that script's font (the one with more letters), with Latin runs switched to Helvetica. It reads right to left
    when Arabic script is at least a third of its letters: an Urdu sentence naming "Birmingham Device Bank" does,
    an English one quoting an Urdu name does not.
    """
    counts = letter_counts(plain)
    present = [script for script in faces.available if counts[script]]
    if not present:
        return markup, style
    script = max(present, key=lambda name: counts[name])
    extra = {}
    if script == "arabic" and counts["arabic"] * 2 >= counts["latin"]:
        extra = {"alignment": TA_RIGHT, "wordWrap": "RTL"}
    style = ParagraphStyle(f"{style.name}-{script}-{'rtl' if extra else 'ltr'}", parent=style,
                           fontName=faces.available[script], shaping=1, leading=style.leading * 1.35, **extra)
    return _runs(markup, faces, script), style
