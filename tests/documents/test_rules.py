"""Text fitting and choosing a direction, as pure functions: no database, no PDF read back."""

from __future__ import annotations

import pytest
from bidi.algorithm import get_display
from reportlab.pdfbase.pdfmetrics import stringWidth

from lending.documents.agreement import agreement_texts, left_to_right
from lending.documents.fonts import Faces, base_direction, has_right_to_left, letter_counts, visual_order
from lending.documents.labels import ELLIPSIS, MIN_FONT_PT, describe, fit
from lending.documents.pdfstream import FONTS, pdf_text
from lending.i18n import TemplateError

HELVETICA = {"F1": FONTS["F1"], "F2": FONTS["F2"]}


def width(text: str, font: str, size: float) -> float:
    return stringWidth(text, HELVETICA[font], size)


@pytest.mark.parametrize("font", ["F1", "F2"])
def test_text_that_fits_keeps_its_size_and_every_character(font):
    text = "LAP-000123-K"
    room = width(text, font, 10) + 0.01
    assert fit(text, font, 10, room) == (text, 10)


@pytest.mark.parametrize("font", ["F1", "F2"])
def test_text_too_wide_shrinks_just_enough_to_fit_whole(font):
    text = "Laptop Lenovo ThinkPad X1 Carbon"
    room = width(text, font, 10) * 0.8  # fits at 8 pt, above the minimum
    fitted, size = fit(text, font, 10, room)
    assert fitted == text
    assert MIN_FONT_PT <= size < 10
    assert width(fitted, font, size) <= room + 1e-6
    assert size == pytest.approx(8, abs=0.01)  # no smaller than it must be


@pytest.mark.parametrize("font", ["F1", "F2"])
def test_text_too_long_even_at_the_smallest_size_is_cut_with_an_ellipsis(font):
    text = "ThinkPad X1 Carbon Gen 11 Intel Evo vPro Platform Special Edition with Extra Long Name"
    room = 30.0
    fitted, size = fit(text, font, 10, room)
    assert size == MIN_FONT_PT
    assert fitted.endswith(ELLIPSIS) and text.startswith(fitted[:-1]) and len(fitted) < len(text)
    assert width(fitted, font, size) <= room
    # As much as fits: one more character would not.
    longer = text[: len(fitted)] + ELLIPSIS
    assert width(longer, font, size) > room


def test_nothing_fits_in_no_room_and_empty_text_stays_empty():
    assert fit("LAP-000123-K", "F1", 10, 0.5) == ("", MIN_FONT_PT)
    assert fit("", "F1", 10, 50) == ("", 10)


def test_a_label_describes_a_device_by_kind_make_and_model_and_a_sim_by_network_and_iccid_tail():
    assert describe("laptop", "Dell", "Latitude 5490", None, None) == "Laptop Dell Latitude 5490"
    assert describe("tablet", None, "iPad", None, None) == "Tablet iPad"
    assert describe("accessory", None, None, None, None) == "Accessory"
    assert describe("sim", None, None, "EE", "8944100000000000019") == "SIM EE \u20260019"
    assert describe("sim", None, None, None, None) == "SIM \u2026"


def test_label_text_is_a_safe_pdf_string():
    assert pdf_text("plain") == "(plain)"
    assert pdf_text("a (b) \\ c") == "(a \\(b\\) \\\\ c)"
    assert pdf_text("caf\u00e9 \u2026") == "(caf\u00e9 \u2026)".encode("cp1252").decode("latin-1")
    assert pdf_text("\u0627") == "(?)"  # Helvetica has no Arabic: never a broken string


ARABIC_AND_BENGALI = Faces({"arabic": "NotoNaskhArabic", "bengali": "NotoSansBengali"})
ALI = "\u0639\u0644\u06cc"  # علی
SAMAN = "\u0633\u0627\u0645\u0627\u0646"  # سامان


def test_letters_are_counted_by_script():
    counts = letter_counts("Amina \u0627\u0645\u06cc\u0646\u06c1 \u0986\u09ae\u09bf\u09a8\u09be 123")
    assert counts["latin"] == 5 and counts["arabic"] == 5 and counts["bengali"] == 5


@pytest.mark.parametrize(
    ("text", "rtl", "direction"),
    [
        (f"{SAMAN} Test Lending Network {ALI}", True, "R"),
        ("Terms of this loan", False, "L"),
        (f"Return it to Sparkbrook Hub {SAMAN}", True, "L"),  # an Urdu word in an English sentence
        ("\u0986\u09ae\u09bf\u09a8\u09be \u0996\u09be\u09a4\u09c1\u09a8", False, "L"),  # Bengali: left to right
        ("\u0661\u0662\u0663 \u06f4\u06f5", False, "L"),  # Arabic-Indic digits alone carry no direction
        ("", False, "L"),
    ],
)
def test_text_is_right_to_left_by_its_letters_and_a_paragraph_takes_its_first_strong_letter(text, rtl, direction):
    assert has_right_to_left(text) is rtl
    assert base_direction(text) == direction


@pytest.mark.parametrize(
    "text",
    [
        f"{SAMAN} Test Lending Network {ALI}",
        f"Ali ({ALI}) 07911 123456",
        f"{ALI}, 12 Ladypool Road (B12) {SAMAN}\u06d4",
        "\u0661\u0662 \u0645\u0627\u0631\u0633 \u0662\u0660\u0662\u0667",
    ],
)
@pytest.mark.parametrize("base", ["L", "R"])
def test_the_display_order_is_python_bidis_and_remembers_where_each_character_came_from(text, base):
    order = visual_order(text, base)
    assert "".join(char for _, char in order) == get_display(text, base_dir=base)
    assert sorted(index for index, _ in order) == list(range(len(text)))


def test_in_an_urdu_line_a_latin_name_keeps_its_words_in_order_and_the_urdu_words_run_right_to_left():
    shown = "".join(char for _, char in visual_order(f"{SAMAN} Test Lending Network {ALI}", "R"))
    assert shown == f"{ALI[::-1]} Test Lending Network {SAMAN[::-1]}"
    # An Urdu name in an English line: the name's two words swap places, the English stays put.
    shown = "".join(char for _, char in visual_order(f"Borrower: {ALI} {SAMAN}", "L"))
    assert shown == f"Borrower: {SAMAN[::-1]} {ALI[::-1]}"


def test_a_phone_number_embedded_left_to_right_keeps_its_digit_groups_in_order_in_urdu_text():
    bare = "".join(char for _, char in visual_order(f"{ALI} 0121 496 0000", "R"))
    assert "0000 496 0121" in bare  # the bidi algorithm on its own reverses the groups
    embedded = "".join(char for _, char in visual_order(f"{ALI} {left_to_right('0121 496 0000')}", "R"))
    assert "0121 496 0000" in embedded


def test_terms_come_from_the_family_language_then_its_base_language_then_english(tmp_path):
    (tmp_path / "terms.ur.md").write_text("---\nstatus: reviewed\n---\nUrdu terms")
    # Reviewed privacy too: a draft one (ours, for now) would make the whole agreement a draft.
    (tmp_path / "privacy.ur.md").write_text("---\nstatus: reviewed\n---\nUrdu privacy")
    (tmp_path / "terms.pt.md").write_text("---\nstatus: reviewed\n---\nPortuguese terms")
    texts = agreement_texts("ur", tmp_path)
    assert texts.terms.body == "Urdu terms" and texts.terms.language == "ur" and not texts.draft
    assert agreement_texts("pt-BR", tmp_path).terms.body == "Portuguese terms"
    english = agreement_texts("de", tmp_path)  # a language we do not ship
    assert english.terms.language == "en" and "{org_name}" in english.terms.body and not english.draft
    assert english.privacy.language == "en" and english.privacy.status == "reviewed"


def test_a_draft_translation_brings_the_english_that_governs(tmp_path):
    (tmp_path / "terms.bn.md").write_text("---\nstatus: draft\n---\nBengali terms")
    (tmp_path / "privacy.bn.md").write_text("---\nstatus: reviewed\n---\nBengali privacy")
    texts = agreement_texts("bn", tmp_path)
    assert texts.draft and texts.terms.is_draft
    assert texts.english_terms is not None and texts.english_terms.language == "en"
    assert texts.english_privacy is None  # the privacy notice was reviewed: it stands alone


def test_a_terms_file_without_a_review_status_is_refused(tmp_path):
    (tmp_path / "terms.so.md").write_text("Somali terms, status unknown")
    with pytest.raises(TemplateError):
        agreement_texts("so", tmp_path)
