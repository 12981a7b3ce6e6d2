from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess

from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from lending import i18n
from lending.app import create_app
from tests.documents.conftest import decode, pdf_text, rasterise, readable
from tests.loans.test_after_issue import png
from tests.support import assert_problem, days_ago


async def lend(client, staff, stock, issue, family, *kinds, school=True):
    tags = await stock(*kinds)
    extra = {}
    if school:
        school_row = (
            await client.post(
                "/api/v1/schools", json={"name": "Anderton Park Primary", "urn": "103245"}, headers=staff.headers
            )
        ).json()
        nomination = (
            await client.post(
                "/api/v1/nominations",
                json={"family_id": family["id"], "school_id": school_row["id"], "laptops": 1},
                headers=staff.headers,
            )
        ).json()
        await client.post(
            f"/api/v1/nominations/{nomination['id']}/decision", json={"decision": "approve"}, headers=staff.headers
        )
        extra["nomination_id"] = nomination["id"]
    response = await issue(*tags, **extra)
    assert response.status_code == 201, response.text
    return response.json(), tags


async def agreement(client, actor, loan_id):
    response = await client.get(f"/api/v1/loans/{loan_id}/agreement.pdf", headers=actor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


async def test_the_unsigned_agreement_has_everything_and_the_same_bytes_each_time(
    client, staff, volunteer, stock, issue, family, settings, tmp_path
):
    loan, tags = await lend(client, staff, stock, issue, family, "laptop", "sim", "accessory")
    first = await agreement(client, volunteer, loan["id"])
    assert await agreement(client, staff, loan["id"]) == first
    assert len(PdfReader(io.BytesIO(first)).pages) >= 1
    text = readable(pdf_text(first, tmp_path))
    language = family["preferred_language"]
    for needle in (
        settings.org_name,
        loan["reference"],
        "Amina Khan",
        "1 Ladypool Road",
        "B12 9QT",
        "Anderton Park Primary",
        "Sparkbrook Hub",
        *tags,
        "ICCID",
        # Less lam-alef: reportlab maps that ligature's glyph to no text, so pdftotext cannot give it back (it is
        # drawn; README, Languages: known limits).
        i18n.gettext(language, "unlimited data").replace("\u0644\u0627", ""),
        i18n.gettext(language, "Accessories"),
        "USB-C charger 65W",
        "Terms of this loan",
        "stays Test Lending Network's property",
        "Privacy",
    ):
        assert needle in text, needle
    for item in loan["items"]:
        if item["serial_number"]:
            assert item["serial_number"] in text
        if item["iccid"]:
            assert item["iccid"] in text
    due = loan["due_on"]
    assert str(int(due[8:])) in text and "{" not in text and "}" not in text  # every placeholder filled
    assert loan["reference"] in decode(rasterise(first, tmp_path))


async def test_signing_freezes_the_signed_agreement_byte_for_byte(
    client, staff, volunteer, stock, issue, family, tmp_path
):
    loan, _ = await lend(client, staff, stock, issue, family, "laptop", school=False)
    unsigned = await agreement(client, volunteer, loan["id"])
    accepted = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={
            "signer_name": "Amina Khan",
            "relationship": "parent",
            "signature_png": base64.b64encode(png(60, 20)).decode(),
        },
        headers=volunteer.headers,
    )
    assert accepted.status_code == 201, accepted.text
    digest = accepted.json()["acceptance"]["signed_pdf_sha256"]
    signed = await agreement(client, volunteer, loan["id"])
    assert signed != unsigned
    assert hashlib.sha256(signed).hexdigest() == digest
    text = readable(pdf_text(signed, tmp_path))
    language = family["preferred_language"]
    assert "Amina Khan" in text and i18n.gettext(language, "parent") in text
    # The label's word, whatever punctuation the language puts after it.
    assert re.sub(r"[^\w\s]", "", i18n.gettext(language, "Signed {when}", when="")).split()[0] in text
    reader = PdfReader(io.BytesIO(signed))
    assert any("/XObject" in page["/Resources"] for page in reader.pages)  # the signature image
    assert "1 Ladypool Road" in text
    # Later changes to the family do not touch the signed copy, though an unsigned agreement shows them.
    moved = await client.patch(
        f"/api/v1/families/{family['id']}", json={"address": "9 New Street"}, headers=staff.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["address"] == "9 New Street"
    (tag,) = await stock("laptop")
    later = await issue(tag)
    assert later.status_code == 201, later.text
    later_text = " ".join(pdf_text(await agreement(client, volunteer, later.json()["id"]), tmp_path).split())
    assert "9 New Street" in later_text and "1 Ladypool Road" not in later_text
    assert await agreement(client, staff, loan["id"]) == signed
    shown = (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff.headers)).json()
    assert shown["acceptance"]["signed_pdf_sha256"] == digest


async def test_terms_follow_the_family_language_with_english_as_fallback(
    settings, engine, make_user, client, staff, stock, issue, family, tmp_path
):
    loan, _ = await lend(client, staff, stock, issue, family, "laptop", school=False)  # the family prefers "ur"
    terms = tmp_path / "terms"
    terms.mkdir()
    (terms / "terms.ur.md").write_text(
        "---\nstatus: reviewed\n---\n## Sharait\n\nYeh samaan {org_name} ka hai. Wapsi: {due_date}.\n"
    )
    app = create_app(settings.model_copy(update={"terms_dir": terms}))
    user = await make_user("volunteer")
    headers = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=str(user.id))}"}
    async with AsyncTestClient(app=app) as custom:
        urdu = (await custom.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=headers)).content
    text = " ".join(pdf_text(urdu, tmp_path).split())
    assert "Sharait" in text and "ka hai" in text and "Terms of this loan" not in text
    await client.patch(f"/api/v1/families/{family['id']}", json={"preferred_language": "pl"}, headers=staff.headers)
    english = " ".join(pdf_text(await agreement(client, staff, loan["id"]), tmp_path).split())
    assert "Terms of this loan" in english


async def test_who_may_fetch_an_agreement(client, make_user, stock, issue, family, staff):
    loan, _ = await lend(client, staff, stock, issue, family, "laptop", school=False)
    school = await make_user("school")
    assert_problem(await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=school.headers), 403)
    assert_problem(await client.get("/api/v1/loans/424242/agreement.pdf", headers=staff.headers), 404)


URDU_TERMS = """---
status: reviewed
---
## شرائط

یہ سامان {org_name} کی ملکیت ہے۔ براہ کرم اسے {due_date} تک {centre_name} واپس کریں۔

**گم یا چوری ہونے کی صورت میں** فوراً {org_phone} پر فون کریں۔
"""
BENGALI_TERMS = """---
status: reviewed
---
## শর্তাবলী

এই যন্ত্রটি {org_name}-এর সম্পত্তি। অনুগ্রহ করে {due_date}-এর মধ্যে {centre_name}-এ ফেরত দিন।
"""


async def test_urdu_and_bengali_agreements_embed_fonts_for_their_scripts(
    settings, engine, make_user, client, staff, stock, issue, family, tmp_path
):
    terms = tmp_path / "terms"
    terms.mkdir()
    (terms / "terms.ur.md").write_text(URDU_TERMS)
    (terms / "terms.bn.md").write_text(BENGALI_TERMS)
    await client.patch(f"/api/v1/families/{family['id']}", json={"lead_name": "امینہ خان"}, headers=staff.headers)
    urdu_loan, _ = await lend(client, staff, stock, issue, family, "laptop", school=False)
    bengali_family = (
        await client.post(
            "/api/v1/families",
            json={
                **{
                    k: v
                    for k, v in family.items()
                    if k in ("address", "children", "school_age_children", "has_broadband")
                },
                "lead_name": "আমিনা খাতুন",
                "phone": "07911 222222",
                "postcode": "B10 0AA",
                "preferred_language": "bn",
                "consent_given_on": days_ago(21),
            },
            headers=staff.headers,
        )
    ).json()
    (tag,) = await stock("laptop")
    bengali_loan = (
        await client.post(
            "/api/v1/loans",
            json={"family_id": bengali_family["id"], "centre_id": urdu_loan["centre_id"], "items": [tag]},
            headers=staff.headers,
        )
    ).json()
    app = create_app(settings.model_copy(update={"terms_dir": terms}))
    user = await make_user("volunteer")
    headers = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=str(user.id))}"}
    async with AsyncTestClient(app=app) as custom:
        pdfs = {}
        for name, loan in (("urdu", urdu_loan), ("bengali", bengali_loan)):
            first = (await custom.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=headers)).content
            again = (await custom.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=headers)).content
            assert first == again, f"{name} agreement is not deterministic"
            pdfs[name] = first
    for name, font in (("urdu", "NotoNaskhArabic"), ("bengali", "NotoSansBengali")):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdfs[name])
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        embedded = [line for line in fonts.splitlines() if font in line]
        assert embedded and all(" yes " in line for line in embedded), fonts
        text = pdf_text(pdfs[name], tmp_path)
        assert "Test Lending Network" in text.replace("\u00a0", " ")  # the Latin name in Noto Sans, in order
    # Right to left: in the Urdu sentence "{org_name} … {centre_name}", the centre (later) stands left of the
    # organisation (earlier), and each Latin run keeps its own words left to right.
    boxes = pdf_text(pdfs["urdu"], tmp_path, "-bbox")
    lines: dict[float, dict[str, float]] = {}
    for x, y, word in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)<', boxes):
        lines.setdefault(round(float(y)), {})[word] = float(x)
    [line] = [w for w in lines.values() if {"Sparkbrook", "Test", "Lending", "Network"} <= w.keys()]
    assert line["Sparkbrook"] < line["Test"] < line["Lending"] < line["Network"]
    urdu_text = pdf_text(pdfs["urdu"], tmp_path)
    assert sum(1 for ch in urdu_text if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff") > 40
    bengali_text = pdf_text(pdfs["bengali"], tmp_path)
    assert sum(1 for ch in bengali_text if "\u0980" <= ch <= "\u09ff") > 20
