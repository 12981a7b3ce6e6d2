"""Text fitting and choosing a direction, as pure functions: no database, no PDF read back."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from lending.documents.agreement import load_template
from lending.documents.fonts import Faces, letter_counts, right_to_left
from lending.documents.labels import ELLIPSIS, MIN_FONT_PT, describe, fit
from lending.documents.pdfstream import FONTS, pdf_text

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


def test_letters_are_counted_by_script():
    counts = letter_counts("Amina \u0627\u0645\u06cc\u0646\u06c1 \u0986\u09ae\u09bf\u09a8\u09be 123")
    assert counts["latin"] == 5 and counts["arabic"] == 5 and counts["bengali"] == 5


@pytest.mark.parametrize(
    ("text", "rtl"),
    [
        (
            "\u06cc\u06c1 \u0633\u0627\u0645\u0627\u0646 Test Lending Network "
            "\u06a9\u06cc \u0645\u0644\u06a9\u06cc\u062a",
            True,
        ),
        ("Terms of this loan", False),
        ("Return it to Sparkbrook Hub \u0634\u06a9\u0631\u06cc\u06c1", False),  # mostly Latin: left to right
        ("\u0986\u09ae\u09bf\u09a8\u09be \u0996\u09be\u09a4\u09c1\u09a8", False),  # Bengali reads left to right
        ("", False),
    ],
)
def test_a_paragraph_reads_right_to_left_when_it_is_mostly_arabic_script(text, rtl):
    assert right_to_left(text, ARABIC_AND_BENGALI) is rtl


def test_without_an_arabic_font_nothing_is_set_right_to_left():
    assert right_to_left("\u06cc\u06c1 \u0633\u0627\u0645\u0627\u0646", Faces({})) is False


def test_terms_come_from_the_family_language_then_its_base_language_then_english(tmp_path):
    (tmp_path / "terms.ur.md").write_text("Urdu terms")
    (tmp_path / "terms.pt.md").write_text("Portuguese terms")
    assert load_template("terms", "ur", tmp_path) == "Urdu terms"
    assert load_template("terms", "pt-BR", tmp_path) == "Portuguese terms"
    english = load_template("terms", "pl", tmp_path)
    assert english == load_template("terms", "en", None) and "{org_name}" in english
    assert load_template("no-such-template", "en", tmp_path) == ""
