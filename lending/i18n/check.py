"""`python -m lending.i18n.check` (or `lending languages`): each language's words and templates and their status.

Prints a Markdown table, one row a language (the README's language-status table is this output), then every problem
that would keep a family from reading a text as written: a template without a valid `status` (refused, never sent),
placeholders that differ from the English, a catalogue entry whose placeholders differ from its msgid. It reads the
charity's own folders (LENDING_TERMS_DIR, LENDING_MESSAGES_DIR) as the application does, so a language a charity adds
there is listed too. Exits 1 when there is a problem: run it after adding or editing a translation.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
from babel.messages.pofile import PoFileError, read_po

from lending.i18n import (
    DEFAULT,
    LOCALE_DIR,
    SHIPPED,
    STATUSES,
    Language,
    TemplateError,
    find_template,
    language,
    read_template,
)

PACKAGE = Path(__file__).resolve().parent.parent
TERMS = PACKAGE / "documents" / "terms"
MESSAGES = PACKAGE / "messages" / "templates"
POT = LOCALE_DIR / "lending.pot"
# Every template a family may receive, with the folder we ship it in; the charity's folder for each is in settings.
KINDS: tuple[tuple[str, Path], ...] = (
    ("terms", TERMS),
    ("privacy", TERMS),
    ("reminder", MESSAGES),
    ("reminder.sms", MESSAGES),
    ("extension", MESSAGES),
    ("extension.sms", MESSAGES),
)
EMAILS = ("reminder", "extension")
# GNU gettext's own header style for our one custom field: a PO editor keeps it, Babel's Catalog does not read it.
STATUS_HEADER = re.compile(r'^"X-Lending-Status:\s*([A-Za-z-]+)\s*\\n"\s*$', re.MULTILINE)


def placeholders(text: str) -> set[str]:
    """The `{names}` str.format fills in `text` (`{{` is a literal brace); ValueError when braces are unbalanced."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class TemplateState:
    kind: str
    status: str  # reviewed | draft | English (not translated: the family gets English) | refused (no valid status)
    path: Path | None
    yours: bool = False  # found in the charity's folder rather than ours

    def __str__(self) -> str:
        return f"{self.status} (yours)" if self.yours else self.status


@dataclass
class CatalogueState:
    status: str  # reviewed | draft | source (English) | none (no .po: every word in English) | unmarked
    untranslated: list[str] = field(default_factory=list)  # msgids without a confirmed translation (fuzzy included)


@dataclass
class LanguageReport:
    language: Language
    catalogue: CatalogueState
    templates: list[TemplateState]
    problems: list[str]

    @property
    def direction(self) -> str:
        return "right-to-left" if self.language.right_to_left else "left-to-right"


def msgids() -> list[str]:
    with POT.open("rb") as handle:
        return [str(m.id) for m in read_po(handle) if m.id]


def catalogue_status(path: Path) -> str:
    match = STATUS_HEADER.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match and match.group(1) in STATUSES else "unmarked"


def check_catalogue(
    code: str, wanted: Sequence[str], locale_dir: Path = LOCALE_DIR
) -> tuple[CatalogueState, list[str]]:
    if code == DEFAULT:
        return CatalogueState("source"), []
    path = locale_dir / f"{code}.po"
    if not path.is_file():
        return CatalogueState("none", list(wanted)), []
    problems: list[str] = []
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        return CatalogueState("unreadable", list(wanted)), [f"{path.name}: {exc}"]
    translated: set[str] = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        msgid, msgstr = str(message.id), str(message.string)
        try:
            found, expected = placeholders(msgstr), placeholders(msgid)
        except ValueError:
            problems.append(f"{path.name}: {msgid!r}: unbalanced braces in the translation")
            continue
        if found != expected:
            problems.append(f"{path.name}: {msgid!r} has {sorted(found)}, the msgid {sorted(expected)}")
            continue
        if not message.fuzzy:
            translated.add(msgid)
    status = catalogue_status(path)
    if status == "unmarked":
        problems.append(f"{path.name}: no header X-Lending-Status: draft (or reviewed)")
    return CatalogueState(status, [m for m in wanted if m not in translated]), problems


def _check_text(label: str, text: str, english: str) -> list[str]:
    try:
        found, expected = placeholders(text), placeholders(english)
        text.format_map(dict.fromkeys(found, "x"))
    except (ValueError, IndexError, KeyError) as exc:
        return [f"{label}: cannot be filled in ({exc})"]
    if found != expected:
        return [f"{label}: placeholders {sorted(found)}, the English has {sorted(expected)}"]
    return []


def check_template(kind: str, folder: Path, code: str, extra_dir: Path | None) -> tuple[TemplateState, list[str]]:
    try:
        path = find_template(folder, kind, code, extra_dir)
    except FileNotFoundError:
        return TemplateState(kind, "missing", None), [f"{kind}: no {kind}.{code}.md and no English either"]
    yours = extra_dir is not None and path.parent == extra_dir
    found = path.name.removesuffix(".md").rsplit(".", 1)[1]
    if found == DEFAULT and code != DEFAULT:
        return TemplateState(kind, "English", path, yours), []
    try:
        template = read_template(path, code)
    except TemplateError as exc:
        return TemplateState(kind, "refused", path, yours), [str(exc)]
    problems: list[str] = []
    if code != DEFAULT:
        # The English's own status is the English row's business: compare with its text whatever it says.
        english = frontmatter.load(str(find_template(folder, kind, DEFAULT, extra_dir)))
        problems += _check_text(path.name, template.body, english.content)
        if kind in EMAILS:
            problems += _check_text(
                f"{path.name} subject", str(template.meta.get("subject", "")), str(english.metadata.get("subject", ""))
            )
    return TemplateState(kind, template.status, path, yours), problems


def _codes_in(folder: Path | None, pattern: str) -> set[str]:
    if folder is None or not folder.is_dir():
        return set()
    return {path.name.removesuffix(pattern).rsplit(".", 1)[-1] for path in folder.glob(f"*{pattern}")}


def languages(terms_dir: Path | None = None, messages_dir: Path | None = None) -> list[Language]:
    """Ours, then any language the charity's folders or our catalogues add (in the order of their codes)."""
    found = _codes_in(terms_dir, ".md") | _codes_in(messages_dir, ".md") | _codes_in(LOCALE_DIR, ".po")
    codes = list(SHIPPED) + sorted(language(code).code for code in found)
    return [language(code) for code in dict.fromkeys(codes)]


def report(terms_dir: Path | None = None, messages_dir: Path | None = None) -> list[LanguageReport]:
    wanted = msgids()
    reports = []
    for lang in languages(terms_dir, messages_dir):
        catalogue, problems = check_catalogue(lang.code, wanted)
        states = []
        for kind, folder in KINDS:
            state, found = check_template(kind, folder, lang.code, terms_dir if folder == TERMS else messages_dir)
            states.append(state)
            problems += found
        reports.append(LanguageReport(lang, catalogue, states, problems))
    return reports


def table(reports: Sequence[LanguageReport]) -> str:
    head = ["Code", "Language", "Native name", "Direction", "Words", "Untranslated", *(kind for kind, _ in KINDS)]
    rows = [head, ["---"] * len(head)]
    for r in reports:
        untranslated = "–" if r.language.code == DEFAULT else str(len(r.catalogue.untranslated))
        rows.append(
            [
                r.language.code,
                r.language.english_name,
                r.language.native_name,
                r.direction,
                r.catalogue.status,
                untranslated,
                *(str(state) for state in r.templates),
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from lending.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m lending.i18n.check", description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list each language's untranslated msgids")
    args = parser.parse_args(argv)
    settings = get_settings()
    reports = report(settings.terms_dir, settings.messages_dir)
    print(table(reports))
    if args.missing:
        for r in reports:
            for msgid in r.catalogue.untranslated:
                print(f"{r.language.code}: untranslated: {msgid}")
    problems = [f"{r.language.code}: {problem}" for r in reports for problem in r.problems]
    if problems:
        print("\nProblems (a family would get English, or nothing, until they are fixed):")
        print("\n".join(f"- {problem}" for problem in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
