"""Every shipped translation, read as the application reads it, and lending.i18n's own rules: no database needed."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import frontmatter
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import lending
from lending import i18n
from lending.i18n import check
from tests.clock import child_environment

ROOT = Path(lending.__file__).resolve().parent.parent
TRANSLATED = [code for code in i18n.SHIPPED if code != "en"]
TERMS, MESSAGES = check.TERMS, check.MESSAGES
KINDS = dict(check.KINDS)
# The script each language is written in, to catch an English paragraph left in a translation.
SCRIPTS = {
    "ur": "\u0600-\u06ff",
    "ar": "\u0600-\u06ff",
    "ps": "\u0600-\u06ff",
    "pa": "\u0a00-\u0a7f",
    "bn": "\u0980-\u09ff",
}
SAMPLE = {
    "org_name": "Test Lending Network",
    "org_phone": "0121 496 0000",
    "org_email": "help@example.org",
    "centre_name": "Sparkbrook Hub",
    "due_date": "3 December",
    "loan_reference": "LN-000042",
    "items": "Laptop LAP-000123-K",
}


def names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def pot() -> Catalog:
    with check.POT.open("rb") as handle:
        return read_po(handle)


def po(code: str) -> Catalog:
    with (i18n.LOCALE_DIR / f"{code}.po").open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def english(kind: str) -> frontmatter.Post:
    return frontmatter.load(str(KINDS[kind] / f"{kind}.en.md"))


def translation(kind: str, code: str) -> i18n.Template:
    path = KINDS[kind] / f"{kind}.{code}.md"
    assert path.is_file(), f"{path.name} is missing"
    return i18n.read_template(path, code)


# ------------------------------------------------------------------ catalogues


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_translates_every_msgid_keeping_its_placeholders(code):
    catalog, source = po(code), pot()
    assert str(catalog.locale) == code
    # Babel's own plural rule for the language (Polish has three forms, Arabic six), not a copy of English's.
    assert catalog.plural_forms == Catalog(locale=code).plural_forms
    header = (i18n.LOCALE_DIR / f"{code}.po").read_text(encoding="utf-8")
    assert re.search(r'^"X-Lending-Status: (draft|reviewed)\\n"$', header, re.MULTILINE)
    translated = {str(m.id): m for m in catalog if m.id}
    assert set(translated) == {str(m.id) for m in source if m.id}  # nothing missing, nothing the code never asks for
    for msgid, message in translated.items():
        assert message.string, f"{code}: {msgid!r} untranslated"
        assert not message.fuzzy, f"{code}: {msgid!r} is fuzzy (ignored: the family would read English)"
        assert names(str(message.string)) == names(msgid), f"{code}: {msgid!r}"
        values = dict.fromkeys(names(msgid), "X-1")
        # Read through lending.i18n as the agreement and messages read it: the translation, not the English.
        assert i18n.gettext(code, msgid, **values) == str(message.string).format(**values)
        if msgid not in ("ICCID", "SIM", "Laptop", "Chromebook", "Tablet") and code not in ("pl", "ro", "so"):
            assert i18n.gettext(code, msgid, **values) != msgid.format(**values)


@pytest.mark.parametrize("code", ["ur", "pa", "bn", "ar", "ps"])
def test_catalogues_in_other_scripts_are_written_in_them(code):
    for message in po(code):
        if message.id and message.id not in ("ICCID",):
            letters = re.sub(r"\{\w+\}|[\s\d\W]", "", str(message.string))
            assert re.fullmatch(f"[{SCRIPTS[code]}A-Za-z\u200c\u200d]*", letters), message.id
            assert re.search(f"[{SCRIPTS[code]}]", str(message.string)), message.id


# ------------------------------------------------------------------ templates


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("code", TRANSLATED)
def test_every_template_is_translated_with_a_status_and_the_english_placeholders(code, kind):
    template, source = translation(kind, code), english(kind)
    assert template.status in i18n.STATUSES
    assert template.status == "draft"  # no native speaker has reviewed these yet: they must not claim otherwise
    assert template.meta["language"] == code and template.meta["translated_from"] == f"{kind}.en.md"
    assert names(template.body) == names(source.content)
    filled = template.body.format_map(SAMPLE)
    assert "{" not in filled and "}" not in filled
    assert template.body != source.content.strip()
    if code in SCRIPTS:
        assert re.search(f"[{SCRIPTS[code]}]", template.body)
    if "subject" in source.metadata:
        subject = str(template.meta["subject"])
        assert names(subject) == names(str(source.metadata["subject"])) and subject != source.metadata["subject"]
        assert "{" not in subject.format_map(SAMPLE)
    else:
        assert "subject" not in template.meta


@pytest.mark.parametrize("kind", ["terms", "privacy"])
@pytest.mark.parametrize("code", TRANSLATED)
def test_an_agreement_translation_keeps_the_english_markdown(code, kind):
    """The same headings, paragraphs and bold openings, so the printed agreement has the English one's shape."""
    ours, source = translation(kind, code).body, english(kind).content

    def shape(text: str) -> list[tuple[bool, int]]:
        blocks = [block.strip() for block in re.split(r"\n\s*\n", text.strip())]
        return [(block.startswith("#"), block.count("**")) for block in blocks]

    assert shape(ours) == shape(source)
    assert all(block.startswith("**") for block in re.split(r"\n\s*\n", ours.strip()) if not block.startswith("#"))


@pytest.mark.parametrize("kind", ["reminder.sms", "extension.sms"])
@pytest.mark.parametrize("code", i18n.SHIPPED)
def test_an_sms_template_leaves_room_for_the_items(code, kind):
    # A Unicode SMS segment holds 70 characters: the fixed words stay under two, the items and names take the rest.
    body = translation(kind, code).body if code != "en" else english(kind).content
    fixed = body.format_map(dict.fromkeys(names(body), ""))
    assert len(fixed) < 120, fixed
    assert "\n" not in body.strip()


# ------------------------------------------------------------------ lending.i18n


def test_an_unknown_or_empty_language_is_english():
    for code in ("zz", "", None, "not a language"):
        assert i18n.language(code).code == "en"
        assert i18n.gettext(code, "Due back") == "Due back"
    template = i18n.load_template(MESSAGES, "reminder", "zz")
    assert (template.requested, template.language, template.status) == ("en", "en", "reviewed")


def test_a_language_is_found_however_its_code_is_written():
    assert i18n.language("UR").code == "ur" and i18n.language("ur").right_to_left
    assert i18n.language("pa_arab").code == "pa-Arab" and i18n.language("pa-Arab").right_to_left
    assert i18n.language("bn").native_name == "বাংলা" and not i18n.language("bn").right_to_left
    assert i18n.load_template(MESSAGES, "reminder", "UR").language == "ur"


def test_a_missing_translation_falls_back_to_english(tmp_path):
    (tmp_path / "reminder.en.md").write_text("---\nstatus: reviewed\n---\nHello {org_name}\n")
    template = i18n.load_template(tmp_path, "reminder", "ur")
    assert (template.requested, template.language, template.body) == ("ur", "en", "Hello {org_name}")
    # A language CLDR knows but we do not ship asks for its own file, then reads English.
    tigrinya = i18n.load_template(MESSAGES, "reminder", "ti")
    assert (tigrinya.requested, tigrinya.language) == ("ti", "en")
    with pytest.raises(FileNotFoundError):
        i18n.load_template(tmp_path, "no-such-template", "ur")


def test_a_region_reads_its_language_but_another_script_does_not(tmp_path):
    (tmp_path / "reminder.en.md").write_text("---\nstatus: reviewed\n---\nEnglish\n")
    (tmp_path / "reminder.pt.md").write_text("---\nstatus: draft\n---\nPortuguês\n")
    assert i18n.load_template(tmp_path, "reminder", "pt-BR").language == "pt"
    # Shahmukhi readers cannot read Gurmukhi: pa-Arab without its own file gets English, not our pa.
    assert i18n.load_template(MESSAGES, "reminder", "pa-Arab").language == "en"
    assert i18n.gettext("pa-Arab", "Due back") == "Due back"
    assert i18n.load_template(MESSAGES, "reminder", "pa").language == "pa"


def test_a_charitys_own_translation_replaces_ours(tmp_path):
    (tmp_path / "reminder.ur.md").write_text("---\nstatus: reviewed\nsubject: '{org_name}'\n---\nہمارا {items}\n")
    template = i18n.load_template(MESSAGES, "reminder", "ur", extra_dir=tmp_path)
    assert (template.language, template.status, template.body) == ("ur", "reviewed", "ہمارا {items}")
    # Languages the charity has not written still come from us.
    assert i18n.load_template(MESSAGES, "reminder", "pl", extra_dir=tmp_path).body == translation("reminder", "pl").body
    assert i18n.load_template(MESSAGES, "reminder", "en", extra_dir=tmp_path).status == "reviewed"


def test_a_charity_that_rewrites_the_english_gets_none_of_our_translations_of_it(tmp_path):
    """Ours translate our English: beside the charity's own English terms they would be a different agreement."""
    (tmp_path / "terms.en.md").write_text("---\nstatus: reviewed\n---\nOur own terms, {org_name}.\n")
    (tmp_path / "terms.pl.md").write_text("---\nstatus: draft\n---\nNasze warunki, {org_name}.\n")
    assert i18n.load_template(TERMS, "terms", "ur", extra_dir=tmp_path).body == "Our own terms, {org_name}."
    assert i18n.load_template(TERMS, "terms", "pl", extra_dir=tmp_path).body == "Nasze warunki, {org_name}."
    # Another template the charity left alone keeps our translations.
    privacy = i18n.load_template(TERMS, "privacy", "ur", extra_dir=tmp_path)
    assert privacy.language == "ur" and privacy.body == translation("privacy", "ur").body


@pytest.mark.parametrize(
    "front",
    ["", "---\nsubject: Hello\n---\n", "---\nstatus: approved\n---\n", "---\nstatus: Reviewed\n---\n"],
    ids=["no front matter", "no status", "unknown status", "status in capitals"],
)
def test_a_template_without_a_valid_status_is_refused(tmp_path, front):
    (tmp_path / "reminder.en.md").write_text("---\nstatus: reviewed\n---\nHello\n")
    (tmp_path / "reminder.ur.md").write_text(front + "ہیلو {items}\n")
    with pytest.raises(i18n.TemplateError, match=r"reminder\.ur\.md"):
        i18n.load_template(tmp_path, "reminder", "ur")


def test_digits_are_written_as_the_language_writes_them():
    assert i18n.digits("LN-2026 07", "bn") == "LN-২০২৬ ০৭"
    assert i18n.digits("LN-2026 07", "ps") == "LN-۲۰۲۶ ۰۷"
    for code in ("en", "ur", "ar", "pl", "pa"):  # CLDR's default for these is 0-9
        assert i18n.digits("2026", code) == "2026"
    year = date.today().year
    assert re.search("[০-৯]{4}", i18n.format_date(date(year, 12, 3), "bn"))
    assert not re.search("[0-9]", i18n.format_date(date(year, 12, 3), "ps"))


def test_dates_are_in_the_language_and_its_grammar():
    day = date(date.today().year, 12, 3)  # any year's December
    assert i18n.format_date(day, "pl") == f"3 grudnia {day.year}"  # the genitive, as a Polish date says it
    assert i18n.format_date(day, "en") == f"3 December {day.year}"
    assert i18n.format_date(day, "ro") == f"3 decembrie {day.year}"
    assert i18n.format_date(day, "en", form="short") == f"03/12/{day.year}"


def last_sunday(year: int, month: int) -> date:
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_times_are_london_time_across_bst_and_gmt():
    year = date.today().year
    summer = datetime(year, 7, 1, 11, 30, tzinfo=UTC)
    winter = datetime(year, 1, 15, 11, 30, tzinfo=UTC)
    assert i18n.format_datetime(summer, "en") == f"1 July {year}, 12:30"  # BST, UTC+1
    assert i18n.format_datetime(winter, "en") == f"15 January {year}, 11:30"  # GMT
    # The night the clocks go forward: 00:59 UTC is 00:59 GMT, a minute later it is 02:00 BST.
    change = datetime.combine(last_sunday(year, 3), datetime.min.time(), UTC)
    assert i18n.format_datetime(change + timedelta(minutes=59), "en").endswith("00:59")
    assert i18n.format_datetime(change + timedelta(hours=1), "en").endswith("02:00")
    # Lending stores UTC: a naive value is UTC, not the server's zone.
    assert i18n.format_datetime(summer.replace(tzinfo=None), "en") == f"1 July {year}, 12:30"
    assert "১২:৩০" in i18n.format_datetime(summer, "bn")  # CLDR: Bengali digits, a 12-hour clock
    assert "lipca" in i18n.format_datetime(summer, "pl") and i18n.format_datetime(summer, "pl").endswith("12:30")


def test_phone_numbers_in_the_national_form_and_the_languages_digits():
    assert i18n.format_phone("+447700900123", "en") == "07700 900123"
    assert i18n.format_phone("0121 496 0000", "ur") == "0121 496 0000"
    assert i18n.format_phone("+447700900123", "bn") == "০৭৭০০ ৯০০১২৩"
    assert i18n.format_phone("+447700900123", "ps") == "۰۷۷۰۰ ۹۰۰۱۲۳"
    # A number from abroad keeps its country code, or it could not be dialled from here.
    assert i18n.format_phone("+48 601 234 567", "pl") == "+48 601 234 567"
    assert i18n.format_phone("not a number", "bn") == "not a number"


def test_gettext_fills_placeholders_in_the_language():
    assert i18n.gettext("pl", "Page {page}", page=2) == "Strona 2"
    assert i18n.gettext("ur", "Page {page}", page=2) == "صفحہ 2"
    assert i18n.gettext("zz", "Page {page}", page=2) == "Page 2"
    assert i18n.gettext("pl", "A sentence nobody translated") == "A sentence nobody translated"


# ------------------------------------------------------------------ the checker


def test_the_checker_finds_a_broken_catalogue(tmp_path):
    (tmp_path / "xx.po").write_text(
        "\n".join(
            [
                'msgid ""',
                'msgstr ""',
                '"Content-Type: text/plain; charset=utf-8\\n"',
                "",
                'msgid "Page {page}"',
                'msgstr "Seite {seite}"',
                "",
                "#, fuzzy",
                'msgid "Due back"',
                'msgstr "Rückgabe"',
                "",
                'msgid "Borrower"',
                'msgstr "Entleiher"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    state, problems = check.check_catalogue("xx", ["Page {page}", "Due back", "Borrower", "Reason"], tmp_path)
    assert state.status == "unmarked"
    assert state.untranslated == ["Page {page}", "Due back", "Reason"]
    assert any("'Page {page}'" in problem and "seite" in problem for problem in problems)
    assert any("X-Lending-Status" in problem for problem in problems)


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": "/usr/bin:/bin", **child_environment(), **env}
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=60
    )


def rows(output: str) -> dict[str, list[str]]:
    lines = [line for line in output.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0]: row for row in table[1:]}


def test_the_checker_prints_every_language_and_its_status():
    result = run("lending.i18n.check")
    table = rows(result.stdout)
    assert list(table)[: len(i18n.SHIPPED)] == list(i18n.SHIPPED)
    for code in TRANSLATED:
        lang = i18n.language(code)
        direction = "right-to-left" if code in ("ur", "ar", "ps") else "left-to-right"
        assert table[code] == [code, lang.english_name, lang.native_name, direction, "draft", "0", *["draft"] * 6]
    assert table["en"][4:6] == ["source", "–"] and table["en"][8:] == ["reviewed"] * 4
    # Nothing wrong with any translation (the English terms' own status is h-agreement's front matter).
    problems = [line for line in result.stdout.splitlines() if line.startswith("- ") and not line.startswith("- en:")]
    assert problems == []


def test_the_checker_shows_a_charitys_own_language_and_what_it_replaced(tmp_path):
    terms, messages = tmp_path / "terms", tmp_path / "messages"
    terms.mkdir()
    messages.mkdir()
    (terms / "terms.en.md").write_text("---\nstatus: reviewed\n---\nOur terms, {org_name}.\n")
    (terms / "privacy.en.md").write_text("---\nstatus: reviewed\n---\nOur privacy, {org_phone}.\n")
    (terms / "terms.ti.md").write_text("---\nstatus: draft\n---\nውዕል {org_name}.\n")
    (messages / "reminder.ur.md").write_text("---\nstatus: reviewed\nsubject: '{org_name}'\n---\n{org_name} {items}\n")
    (messages / "reminder.sms.pl.md").write_text("---\nstatus: draft\n---\n{org_name}: {items} {oops}\n")
    result = run("lending", "languages", LENDING_TERMS_DIR=str(terms), LENDING_MESSAGES_DIR=str(messages))
    table = rows(result.stdout)
    assert table["ti"][:6] == ["ti", "Tigrinya", "ትግርኛ", "left-to-right", "none", str(len(check.msgids()))]
    assert table["ti"][6:] == ["draft (yours)", "English (yours)", *["English"] * 4]
    # The charity's English terms replace our translations of ours; its reviewed Urdu reminder replaces our draft.
    assert table["ur"][6:9] == ["English (yours)", "English (yours)", "reviewed (yours)"]
    assert table["en"][6:8] == ["reviewed (yours)", "reviewed (yours)"]
    assert "- pl: reminder.sms.pl.md: placeholders ['items', 'oops', 'org_name']" in result.stdout
    assert result.returncode == 1
