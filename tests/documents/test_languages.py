"""The whole agreement follows the family's language: every shipped language renders, through the API, an agreement
whose fonts are all embedded, whose Latin parts read in order, whose dates, digits and SIM details are the
language's, laid out right to left where the language is, with the English beside a draft translation."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from lending import i18n
from lending.app import create_app
from tests.documents.conftest import pdf_text
from tests.loans.test_after_issue import png

# One small terms file per language, in its own script; the status says whether the English must be printed too.
TERMS = {
    "ur": (
        "draft",
        "## شرائط\n\nیہ سامان {org_name} کی ملکیت ہے۔ براہ کرم اسے {due_date} تک {centre_name} واپس کریں۔ "
        "حوالہ {loan_reference} ہے۔ فون {org_phone} پر کریں۔",
    ),
    "ar": (
        "reviewed",
        "## الشروط\n\nهذه المعدات ملك {org_name}. يرجى إعادتها إلى {centre_name} بحلول {due_date}. "
        "المرجع {loan_reference}. اتصل على {org_phone}.",
    ),
    "ps": (
        "draft",
        "## شرایط\n\nدا سامان د {org_name} ملکیت دی. مهرباني وکړئ تر {due_date} پورې یې {centre_name} ته ورسوئ. "
        "حواله {loan_reference} ده. په {org_phone} زنګ ووهئ.",
    ),
    "bn": (
        "draft",
        "## শর্তাবলী\n\nএই যন্ত্রটি {org_name}-এর সম্পত্তি। অনুগ্রহ করে {due_date}-এর মধ্যে {centre_name}-এ ফেরত দিন। "
        "রেফারেন্স {loan_reference}। ফোন {org_phone}।",
    ),
    "pa": (
        "reviewed",
        "## ਸ਼ਰਤਾਂ\n\nਇਹ ਸਾਮਾਨ {org_name} ਦੀ ਮਲਕੀਅਤ ਹੈ। ਕਿਰਪਾ ਕਰਕੇ ਇਸਨੂੰ {due_date} ਤੱਕ {centre_name} ਵਾਪਸ ਕਰੋ। "
        "ਹਵਾਲਾ {loan_reference}। ਫ਼ੋਨ {org_phone}।",
    ),
    "so": (
        "draft",
        "## Shuruudaha\n\nQalabkani waa hanti {org_name}. Fadlan ku soo celi {centre_name} ilaa {due_date}. "
        "Tixraaca waa {loan_reference}. Soo wac {org_phone}.",
    ),
    "pl": (
        "reviewed",
        "## Warunki użyczenia\n\nSprzęt pozostaje własnością {org_name}. Zwróć go do {centre_name} do {due_date}. "
        "Numer umowy: {loan_reference}. Zażółć gęślą jaźń. Telefon: {org_phone}.",
    ),
    "ro": (
        "reviewed",
        "## Condițiile împrumutului\n\nEchipamentul rămâne proprietatea {org_name}. Returnați-l la {centre_name} "
        "până la {due_date}. Referință: {loan_reference}. Țară și șase. Telefon: {org_phone}.",
    ),
}
RIGHT_TO_LEFT = {"ur", "ar", "ps"}
LATIN_SCRIPT = {"en", "so", "pl", "ro"}
MSISDN = "07912 345678"
STANDARD_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
}
A4_WIDTH = 595.2756
# Where text starts and ends: the page's 16 mm margins and the 6 pt inside them that reportlab's frame keeps.
LEFT = 16 * 72 / 25.4 + 6
RIGHT = A4_WIDTH - LEFT
ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


def test_the_fixture_covers_every_shipped_language():
    assert set(TERMS) | {"en"} == set(i18n.SHIPPED)


def write_terms(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for code, (status, body) in TERMS.items():
        (folder / f"terms.{code}.md").write_text(f"---\nstatus: {status}\n---\n{body}\n", encoding="utf-8")
        # The privacy notice with the same status: a shipped draft one would make a reviewed language's agreement
        # a draft too (either text unreviewed prints the English).
        privacy = body.split("\n\n", 1)[1].split(" ", 3)[-1]
        (folder / f"privacy.{code}.md").write_text(f"---\nstatus: {status}\n---\n{privacy}\n", encoding="utf-8")
    return folder


@pytest.fixture
async def agreement_in(settings, make_user, tmp_path) -> AsyncIterator[Callable[[int], Awaitable[bytes]]]:
    """The agreement of a loan as an app whose charity folder holds the TERMS fetches it (twice: same bytes)."""
    app = create_app(settings.model_copy(update={"terms_dir": write_terms(tmp_path / "terms")}))
    user = await make_user("volunteer")
    headers = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=str(user.id))}"}
    # One client for the test: the app's database connections belong to the client's event loop.
    async with AsyncTestClient(app=app) as custom:

        async def fetch(loan_id: int) -> bytes:
            first = await custom.get(f"/api/v1/loans/{loan_id}/agreement.pdf", headers=headers)
            again = await custom.get(f"/api/v1/loans/{loan_id}/agreement.pdf", headers=headers)
            assert first.status_code == 200, first.text
            assert first.content == again.content, "the unsigned agreement is not deterministic"
            return first.content

        yield fetch


async def lend_in(language: str, client, staff, stock, issue, family, *, name: str = "Amina Khan") -> tuple[dict, dict]:
    changed = await client.patch(
        f"/api/v1/families/{family['id']}",
        json={"preferred_language": language, "lead_name": name},
        headers=staff.headers,
    )
    assert changed.status_code == 200, changed.text
    laptop, sim = await stock("laptop", "sim")
    numbered = await client.patch(f"/api/v1/assets/{sim}", json={"msisdn": MSISDN}, headers=staff.headers)
    assert numbered.status_code == 200, numbered.text
    response = await issue(laptop, sim)
    assert response.status_code == 201, response.text
    return response.json(), numbered.json()


def fonts_of(pdf: bytes) -> list[DictionaryObject]:
    fonts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts += [d.get_object() for d in font["/DescendantFonts"]] if "/DescendantFonts" in font else [font]
    return fonts


def words(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, str]]:
    """Every word pdftotext finds: (xMin, xMax, yMin, text)."""
    boxes = pdf_text(pdf, tmp_path, "-bbox")
    return [
        (float(x0), float(x1), float(y0), html_unescape(word))
        for x0, y0, x1, word in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]+)<', boxes)
    ]


def html_unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


@pytest.mark.parametrize("language", i18n.SHIPPED)
async def test_every_shipped_language_renders_a_whole_agreement_in_that_language(
    language, client, staff, stock, issue, family, agreement_in, tmp_path
):
    loan, sim = await lend_in(language, client, staff, stock, issue, family)
    pdf = await agreement_in(loan["id"])
    status = TERMS[language][0] if language in TERMS else "reviewed"

    # Every font is embedded (a TrueType subset), none is one of the standard 14 a reader substitutes.
    fonts = fonts_of(pdf)
    assert fonts
    for font in fonts:
        assert str(font["/BaseFont"]).lstrip("/") not in STANDARD_14, font
        descriptor = font["/FontDescriptor"].get_object()
        assert {"/FontFile2", "/FontFile3", "/FontFile"} & set(descriptor), font["/BaseFont"]
    names = " ".join(str(font["/BaseFont"]) for font in fonts)
    assert "NotoSans-Regular" in names
    script_font = {"ur": "NotoNaskhArabic", "ar": "NotoNaskhArabic", "ps": "NotoNaskhArabic"}
    script_font |= {"bn": "NotoSansBengali", "pa": "NotoSansGurmukhi"}
    if language in script_font:
        assert script_font[language] in names

    # The Latin parts read in order: the reference, the asset tags, the family's and the organisation's names.
    text = " ".join(pdf_text(pdf, tmp_path).replace("\u00a0", " ").split())
    for latin in (loan["reference"], *(item["tag"] for item in loan["items"]), "Amina Khan", "Test Lending Network"):
        assert latin in text, (language, latin)
    assert "Sparkbrook Hub" in text

    # Dates in the language: its month names, its digits; the SIM's number and expiry.
    due = date.fromisoformat(loan["due_on"])
    expires = date.fromisoformat(sim["expires_on"])
    if language in LATIN_SCRIPT:
        assert i18n.format_date(due, language) in text, (language, i18n.format_date(due, language))
        assert i18n.format_date(expires, language) in text
    assert i18n.digits(str(due.year), language) in text
    assert i18n.digits(str(expires.year), language) in text
    assert i18n.format_phone(MSISDN, language) in text
    if language == "pl":
        assert i18n.format_date(due, "pl").split()[1] in {
            "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
            "października", "listopada", "grudnia",
        }  # fmt: skip
    if language == "bn":
        assert re.search("[\u09e6-\u09ef]{4}", text) and not re.search(r"\b20\d\d\b", text.split("Terms")[0])

    # A draft translation prints the notice and the English, which governs; a reviewed one stands alone.
    draft = status == "draft"
    assert ("English version (this version governs)" in text) is draft
    # The notice in the language, and in English too, which governs.
    assert ("This translation has not yet been reviewed." in text) is draft
    assert ("stays Test Lending Network's property" in text) is (draft or language == "en")
    if draft:
        assert text.index("This translation has not yet been reviewed.") < text.index("English version")

    # The page's direction: an Urdu, Arabic or Pashto page right-aligned and its tables mirrored; others left. The
    # SIM's row: its tag in the first column, its ICCID (ASCII, as on the card) in the details column.
    boxes = words(pdf, tmp_path)
    (asset_tag,) = [x0 for x0, _, _, word in boxes if word == loan["items"][1]["tag"]]
    (details,) = [x0 for x0, _, _, word in boxes if sim["iccid"] in word]
    title_y = next(y for _, _, y, word in boxes if word == loan["reference"])
    title = [(x0, x1) for x0, x1, y, _ in boxes if abs(y - title_y) < 3]
    if language in RIGHT_TO_LEFT:
        assert asset_tag > details
        assert max(x1 for _, x1 in title) == pytest.approx(RIGHT, abs=1)
        line_ends: dict[float, float] = {}
        for _, x1, y, word in boxes:
            if ARABIC.search(word):
                line_ends[round(y)] = max(x1, line_ends.get(round(y), 0))
        # The terms' heading and lines end at the right edge (table cells end a cell's padding inside it).
        assert sum(1 for end in line_ends.values() if end == pytest.approx(RIGHT, abs=1)) >= 2
    else:
        assert asset_tag < details
        assert min(x0 for x0, _ in title) == pytest.approx(LEFT, abs=1)
    if draft and language in RIGHT_TO_LEFT:
        english_heading = next(x0 for x0, _, _, word in boxes if word == "Terms")
        assert english_heading == pytest.approx(LEFT, abs=1)  # the English version reads left to right


async def test_a_latin_name_in_an_urdu_agreement_and_an_urdu_name_in_an_english_one_are_laid_out_in_order(
    client, staff, stock, issue, family, agreement_in, tmp_path
):
    loan, _ = await lend_in("ur", client, staff, stock, issue, family, name="Amina Khan امینہ خان")
    urdu = await agreement_in(loan["id"])
    text = " ".join(pdf_text(urdu, tmp_path).split())
    assert "Amina Khan" in text
    # Right to left: the Latin name (read first) stands right of the Urdu name, whose two words swap places.
    boxes = words(urdu, tmp_path)
    line = [(x0, word) for x0, _, y, word in boxes if abs(y - next(y0 for _, _, y0, w in boxes if w == "Amina")) < 1]
    amina = next(x for x, w in line if w == "Amina")
    khan = next(x for x, w in line if w == "Khan")
    # The name's cell only: its label ("Borrower", in Urdu) stands right of it on a right-to-left page.
    urdu_words = sorted(x for x, w in line if ARABIC.search(w) and x < khan)
    assert len(urdu_words) == 2 and urdu_words[-1] < amina < khan

    loan, _ = await lend_in("en", client, staff, stock, issue, family, name="امینہ خان Amina")
    english = await agreement_in(loan["id"])
    boxes = words(english, tmp_path)
    line = [(x0, word) for x0, _, y, word in boxes if abs(y - next(y0 for _, _, y0, w in boxes if w == "Amina")) < 1]
    urdu_words = sorted(x for x, w in line if ARABIC.search(w))
    amina = next(x for x, w in line if w == "Amina")
    # Left to right: the Urdu name first (at the left), then "Amina".
    assert len(urdu_words) == 2 and urdu_words[-1] < amina


async def test_the_signed_agreement_shows_the_signing_time_in_london_in_the_language(
    client, staff, volunteer, stock, issue, family, tmp_path
):
    loan, _ = await lend_in("pl", client, staff, stock, issue, family)
    signature = base64.b64encode(png(60, 20)).decode()
    accepted = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent", "signature_png": signature},
        headers=volunteer.headers,
    )
    assert accepted.status_code == 201, accepted.text
    signed_at = datetime.fromisoformat(accepted.json()["acceptance"]["signed_at"])
    signed = (await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)).content
    text = " ".join(pdf_text(signed, tmp_path).split())
    london = signed_at.astimezone(ZoneInfo("Europe/London"))
    when = i18n.format_datetime(signed_at, "pl")
    signed_label, witnessed_label = (
        i18n.gettext("pl", label, when=when) for label in ("Signed {when}", "Witnessed {when}")
    )
    assert signed_label in text and witnessed_label in text and when in signed_label
    assert london.strftime("%H:%M") in when and i18n.format_date(london.date(), "pl") in when
    assert "UTC" not in text and f"Amina Khan ({i18n.gettext('pl', 'parent')})" in text


@pytest.mark.parametrize("language", i18n.SHIPPED)
def test_every_shipped_language_renders_with_the_terms_we_ship(language: str, tmp_path: Path) -> None:
    """The fixture terms above are small; the shipped ones have headings, bold openings and placeholders in every
    script, as a family gets them: each renders, all its fonts embedded, the reference and tags in logical order,
    and a draft carries the English, which governs."""
    from tests.documents.pictures import agreement

    pdf = agreement(language)
    assert all("/FontFile2" in f.get("/FontDescriptor", {}) for f in fonts_of(pdf))
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "LAP-000101-K" in text and "SIM-000102-M" in text and f"LN-{date.today().year}-000123" in text
    terms = i18n.load_template(i18n.LOCALE_DIR.parent.parent / "documents" / "terms", "terms", language)
    if terms.is_draft:
        assert "English version (this version governs)" in text and "Terms of this loan" in text
    else:
        assert "English version" not in text
