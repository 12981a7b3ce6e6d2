"""Names mixing scripts (a borrower's name as typed at the desk) render in the agreement, text kept."""

from __future__ import annotations

import base64
import re
import unicodedata

import pytest

from tests.documents.conftest import pdf_text
from tests.loans.test_after_issue import png

# The three from the issue, then mixes a desk meets: Latin and Bengali, digits, punctuation touching another
# script, Arabic-Indic and Bengali digits, emoji, accents typed as combining marks.
NAMES = [
    "Ali (علی)",
    "Maryam مریم",
    "বাংলা",
    "Rahim রহিম",
    "জন-John",
    "Ayesha 2 আয়েশা (মা)",
    "Ali-علی",
    "علی&Co",
    "«مریم» – Maryam!",
    "Zoë O'Neil-Smith, 3rd",
    "مریم 😀 Maryam",
    "Ali 😀",
    "১২৩ ١٢٣ 123",
    "Jose\u0301 Ali",
    "مریم (Maryam) رحیم",
    "**Ali** <b>علی</b>",
]
ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
BENGALI = re.compile(r"[\u0980-\u09ff]")


@pytest.mark.parametrize("name", NAMES)
async def test_a_mixed_script_name_renders_in_the_unsigned_and_the_signed_agreement(
    client, staff, volunteer, stock, issue, family, tmp_path, name
):
    renamed = await client.patch(f"/api/v1/families/{family['id']}", json={"lead_name": name}, headers=staff.headers)
    assert renamed.status_code == 200, renamed.text
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    unsigned = await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)
    assert unsigned.status_code == 200, unsigned.text
    accepted = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": name, "relationship": "parent", "signature_png": base64.b64encode(png(60, 20)).decode()},
        headers=volunteer.headers,
    )
    assert accepted.status_code == 201, accepted.text
    signed = await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF")
    for pdf in (unsigned.content, signed.content):
        text = pdf_text(pdf, tmp_path).replace("\u00a0", " ")
        # Every Latin word and digit run of the name is there as typed; Arabic and Bengali letters are there
        # (pdftotext gives shaped Arabic as presentation forms, in visual order).
        for word in re.findall(r"[A-Za-z0-9À-ɏ]+", unicodedata.normalize("NFC", name)):
            assert word in text, (name, word)
        if ARABIC.search(name):
            assert ARABIC.search(text), name
        if BENGALI.search(name):
            assert len(BENGALI.findall(text)) >= len(BENGALI.findall(name)) - 1, name
