"""Languages: which ones we ship, their templates with a review status, their words, dates, digits and phone numbers.

A family's preferred language picks every text it receives (reminders, the agreement, an addendum); English is the
fallback for a language we do not ship, or for a text not yet translated. Templates are Markdown files named
`<name>.<language>.md` with front matter whose `status` is `reviewed` or `draft`: a draft agreement prints the English
beside it. Short strings (headings, table labels) are gettext catalogues, `locale/<language>.po`, read with Babel, so
a translator can work in any PO editor. Dates, numbers and phone numbers come from CLDR through Babel and phonenumbers,
in the digits the language writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import frontmatter
import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LONDON = ZoneInfo("Europe/London")
Status = Literal["reviewed", "draft"]
STATUSES: tuple[Status, ...] = ("reviewed", "draft")
DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    code: str
    english_name: str
    native_name: str
    right_to_left: bool
    # The CLDR locale for dates and digits (Babel); en-GB so that English dates read "3 December 2026".
    cldr: str


def _language(code: str, cldr: str | None = None) -> Language:
    locale = Locale.parse(cldr or code)
    return Language(
        code=code,
        english_name=Locale.parse(code.replace("-", "_")).english_name or code,
        native_name=(locale.language_name or code) if code == DEFAULT else (locale.display_name or code),
        right_to_left=locale.character_order == "right-to-left",
        cldr=str(locale),
    )


# The languages Birmingham's families speak most, beyond English (Census 2021). Punjabi is Gurmukhi here (pa);
# a centre whose families read Shahmukhi adds `pa-Arab` as a language of its own (README: adding a language).
SHIPPED = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps")


@lru_cache(maxsize=64)
def language(code: str | None) -> Language:
    """The language for a family's preference, English when it is empty or not one CLDR knows."""
    code = (code or DEFAULT).strip().replace("_", "-")
    try:
        return _language(code, "en_GB" if code == "en" else code.replace("-", "_"))
    except (ValueError, LookupError, UnknownLocaleError):
        return _language(DEFAULT, "en_GB")


def shipped() -> list[Language]:
    return [language(code) for code in SHIPPED]


# ------------------------------------------------------------------ templates


@dataclass(frozen=True)
class Template:
    name: str
    requested: str  # the language asked for
    language: str  # the language found (English when the requested one has no such file)
    status: Status
    body: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


class TemplateError(ValueError):
    """A template file without a valid front-matter status: refused rather than sent or printed unreviewed."""


def _candidates(code: str) -> list[str]:
    base = code.split("-")[0]
    return list(dict.fromkeys([code, base, DEFAULT]))


def find_template(folder: Path, name: str, code: str, extra_dir: Path | None = None) -> Path:
    """`<name>.<language>.md` from the charity's own folder first, then ours; English when neither has it."""
    for candidate in _candidates(code):
        for where in (extra_dir, folder):
            if where is not None and (where / f"{name}.{candidate}.md").is_file():
                return where / f"{name}.{candidate}.md"
    raise FileNotFoundError(f"no template {name}.{code}.md or {name}.en.md in {folder}")


@lru_cache(maxsize=256)
def _read(path: Path, mtime_ns: int) -> tuple[dict[str, Any], str]:
    post = frontmatter.load(str(path))
    return dict(post.metadata), post.content


def read_template(path: Path, requested: str) -> Template:
    meta, body = _read(path, path.stat().st_mtime_ns)
    status = meta.get("status")
    if status not in STATUSES:
        raise TemplateError(f"{path.name}: front matter must say `status: reviewed` or `status: draft`")
    name, found = path.name.removesuffix(".md").rsplit(".", 1)
    return Template(name=name, requested=requested, language=found, status=status, body=body.strip(), meta=meta)


def load_template(folder: Path, name: str, code: str | None, extra_dir: Path | None = None) -> Template:
    requested = language(code).code
    return read_template(find_template(folder, name, requested, extra_dir), requested)


# ------------------------------------------------------------------ words


@lru_cache(maxsize=32)
def _catalogue(code: str) -> dict[str, str]:
    for candidate in _candidates(code):
        path = LOCALE_DIR / f"{candidate}.po"
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=None)
            # A fuzzy entry is a translator's guess: the English is safer until someone confirms it.
            return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
    return {}


def gettext(code: str | None, message: str, **values: Any) -> str:
    """`message` in the language (English when not translated), with `{placeholders}` filled."""
    text = _catalogue(language(code).code).get(message, message)
    return text.format(**values) if values else text


# ------------------------------------------------------------------ dates, digits, phone numbers


# The zero of each CLDR numbering system our languages use; the other nine follow it in Unicode.
ZEROS = {"latn": "0", "arab": "\u0660", "arabext": "\u06f0", "beng": "\u09e6", "guru": "\u0a66", "deva": "\u0966"}


@lru_cache(maxsize=32)
def _digits(code: str) -> str:
    system = Locale.parse(language(code).cldr).default_numbering_system
    zero = ord(ZEROS.get(system, "0"))
    return "".join(chr(zero + n) for n in range(10))


def digits(text: str, code: str | None) -> str:
    """ASCII digits in `text` written as the language writes them (Bengali ০-৯, Pashto ۰-۹; most use 0-9)."""
    native = _digits(language(code).code)
    return text if native == "0123456789" else text.translate(str.maketrans("0123456789", native))


def format_date(day: date, code: str | None, form: str = "long") -> str:
    lang = language(code)
    return digits(babel_date(day, form, locale=lang.cldr), lang.code)


def format_datetime(moment: datetime, code: str | None) -> str:
    """A date and time as the family's clock shows it: Europe/London (GMT or BST), not UTC."""
    lang = language(code)
    local = moment.astimezone(LONDON)
    text = f"{babel_date(local.date(), 'long', locale=lang.cldr)}, {babel_time(local, 'short', locale=lang.cldr)}"
    return digits(text, lang.code)


def format_phone(number: str, code: str | None) -> str:
    """A UK number in its national form (07911 123456), in the language's digits; as given when unparseable."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return number
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return digits(national, code)
