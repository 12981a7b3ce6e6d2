"""The addendum for an extension made after the agreement was signed: one page in the family's language, signed on
the pad once, frozen byte for byte with its SHA-256, reachable only as the loan is, and withdrawn by erasure."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date as babel_date
from pypdf import PdfReader
from sqlalchemy import select

from lending.accounts.models import Role
from lending.audit.models import AuditEntry
from tests.documents.conftest import decode, pdf_text, rasterise
from tests.loans.conftest import other_centre  # noqa: F401  (a shared fixture)
from tests.loans.test_after_issue import png
from tests.support import assert_problem

REASON = "Exams moved to the summer term; the laptop is needed for revision"
# Polish months in the genitive, as a date is written ("3 marca 2027"): one of them must be on a Polish addendum.
POLISH_MONTHS = (
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
)


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


async def signed_loan(client, staff, volunteer, stock, issue, family, language: str = "en") -> dict:
    """A laptop lent to the family (who read `language`) under a signed agreement."""
    changed = await client.patch(
        f"/api/v1/families/{family['id']}", json={"preferred_language": language}, headers=staff.headers
    )
    assert changed.status_code == 200, changed.text
    (tag,) = await stock("laptop")
    issued = await issue(tag)
    assert issued.status_code == 201, issued.text
    loan = issued.json()
    signed = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent"},
        headers=volunteer.headers,
    )
    assert signed.status_code == 201, signed.text
    return signed.json()


async def extend(client, actor, loan: dict, days: int = 60, reason: str = REASON) -> dict:
    due = date.fromisoformat(loan["due_on"]) + timedelta(days=days)
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/extension",
        json={"due_on": due.isoformat(), "reason": reason},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def addendum_url(loan: dict, extension: dict) -> str:
    return f"/api/v1/loans/{loan['id']}/extensions/{extension['id']}/addendum.pdf"


async def fetch(client, actor, loan: dict, extension: dict) -> bytes:
    response = await client.get(addendum_url(loan, extension), headers=actor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


async def sign_addendum(client, actor, loan: dict, extension: dict, **body):
    return await client.post(
        f"/api/v1/loans/{loan['id']}/extensions/{extension['id']}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent", **body},
        headers=actor.headers,
    )


@pytest.mark.parametrize("language", ["en", "pl"])
async def test_an_extension_after_signing_has_a_one_page_addendum_in_the_familys_language(
    client, staff, volunteer, stock, issue, family, settings, tmp_path, language
):
    loan = await signed_loan(client, staff, volunteer, stock, issue, family, language)
    extended = await extend(client, volunteer, loan)
    [extension] = extended["extensions"]
    assert extension["addendum"]["status"] == "awaiting_signature"
    assert extension["addendum"]["signed_pdf_sha256"] is None

    first = await fetch(client, volunteer, loan, extension)
    assert await fetch(client, staff, loan, extension) == first  # unsigned: the same bytes every time
    assert len(PdfReader(io.BytesIO(first)).pages) == 1
    text = flat(pdf_text(first, tmp_path))
    cldr = "en_GB" if language == "en" else language
    previous, new = date.fromisoformat(extension["previous_due_on"]), date.fromisoformat(extension["due_on"])
    for needle in (
        settings.org_name,
        loan["reference"],
        REASON,
        "Amina Khan",
        "Sparkbrook Hub",
        babel_date(previous, "long", locale=cldr),
        babel_date(new, "long", locale=cldr),
    ):
        assert needle in text, (needle, text)
    if language == "pl":
        assert any(month in text for month in POLISH_MONTHS), text
    else:
        assert new.strftime("%-d %B %Y") in text
        assert f"Addendum to loan agreement {loan['reference']}" in text
        assert "Previous due date" in text and "New due date" in text and "Reason" in text
        assert "Every other term of the agreement stays the same." in text
        assert loan["reference"] in decode(rasterise(first, tmp_path, dpi=200))


async def test_an_urdu_addendum_embeds_the_arabic_script_font(client, staff, volunteer, stock, issue, family, tmp_path):
    await client.patch(f"/api/v1/families/{family['id']}", json={"lead_name": "امینہ خان"}, headers=staff.headers)
    loan = await signed_loan(client, staff, volunteer, stock, issue, family, "ur")
    [extension] = (await extend(client, volunteer, loan, reason="امتحانات کی وجہ سے"))["extensions"]
    pdf = await fetch(client, volunteer, loan, extension)
    path = tmp_path / "urdu.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line for line in fonts.splitlines() if "NotoNaskhArabic" in line]
    assert embedded and all(" yes " in line for line in embedded), fonts
    assert loan["reference"] in pdf_text(pdf, tmp_path)


async def test_an_extension_before_the_agreement_is_signed_needs_no_addendum(
    client, staff, volunteer, stock, issue, family, tmp_path
):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    extended = await extend(client, volunteer, loan)
    [extension] = extended["extensions"]
    assert extension["addendum"] is None
    body = assert_problem(await client.get(addendum_url(loan, extension), headers=volunteer.headers), 404)
    assert "before the agreement was signed" in body["detail"]
    assert_problem(await sign_addendum(client, volunteer, loan, extension), 404)
    # The agreement itself shows the new date.
    agreement = (await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)).content
    new = date.fromisoformat(extension["due_on"])
    assert new.strftime("%-d %B %Y") in flat(pdf_text(agreement, tmp_path))


async def test_signing_freezes_the_addendum_byte_for_byte_once(
    client, staff, volunteer, stock, issue, family, sessions, tmp_path
):
    loan = await signed_loan(client, staff, volunteer, stock, issue, family)
    [extension] = (await extend(client, volunteer, loan))["extensions"]
    unsigned = await fetch(client, volunteer, loan, extension)
    when = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    signed = await sign_addendum(
        client,
        volunteer,
        loan,
        extension,
        relationship="guardian",
        signed_at=when.isoformat(),
        signature_png=base64.b64encode(png(60, 20)).decode(),
    )
    assert signed.status_code == 201, signed.text
    addendum = signed.json()["extensions"][0]["addendum"]
    assert addendum["status"] == "signed" and addendum["signer_name"] == "Amina Khan"
    assert addendum["relationship"] == "guardian" and addendum["witnessed_by_id"] == volunteer.id
    assert addendum["has_signature_image"] is True
    digest = addendum["signed_pdf_sha256"]

    first = await fetch(client, volunteer, loan, extension)
    again = await fetch(client, staff, loan, extension)
    assert first == again != unsigned
    assert hashlib.sha256(first).hexdigest() == digest
    assert len(PdfReader(io.BytesIO(first)).pages) == 1
    assert any("/XObject" in page["/Resources"] for page in PdfReader(io.BytesIO(first)).pages)
    text = flat(pdf_text(first, tmp_path))
    assert "Amina Khan (guardian)" in text and "Witnessed" in text
    london = when.astimezone(ZoneInfo("Europe/London"))
    assert f"Signed {babel_date(london.date(), 'long', locale='en_GB')}, {london:%H:%M}" in text

    # Once: a second signature is refused and changes nothing.
    assert_problem(await sign_addendum(client, volunteer, loan, extension, signer_name="Someone Else"), 409)
    assert await fetch(client, volunteer, loan, extension) == first
    shown = (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff.headers)).json()
    assert shown["extensions"][0]["addendum"]["signed_pdf_sha256"] == digest
    assert shown["extensions"][0]["addendum"]["signer_name"] == "Amina Khan"

    # Audited through the one mechanism, with the signer's name and image redacted.
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "loan_addendum").order_by(AuditEntry.id)
            )
        ).all()
    assert rows[0].action == "create" and "update" in [r.action for r in rows]
    assert all(r.actor_id == volunteer.id for r in rows)
    updates = [r.after for r in rows if r.action == "update"]
    assert any(after.get("signer_name") == "[redacted]" for after in updates)
    assert any(after.get("signed_pdf_sha256") == digest for after in updates)
    assert "Amina" not in str([r.after for r in rows])


async def test_bad_signatures_are_named_and_nothing_is_written(
    client, staff, volunteer, stock, issue, family, make_user, other_centre, sessions
):
    loan = await signed_loan(client, staff, volunteer, stock, issue, family)
    [extension] = (await extend(client, volunteer, loan))["extensions"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    elsewhere = await make_user(Role.volunteer, home_centre_id=other_centre["id"])
    for actor, body, field in (
        (volunteer, {"signer_name": ""}, "signer_name"),
        (volunteer, {"relationship": "neighbour"}, "relationship"),
        (volunteer, {"signature_png": "not base64!"}, "signature_png"),
        (volunteer, {"signature_png": base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()}, "signature_png"),
        (volunteer, {"signed_at": future}, "signed_at"),
        (volunteer, {"signed_at": "2001-01-01T00:00:00Z"}, "signed_at"),
        (volunteer, {"witnessed_by_id": 999999}, "witnessed_by_id"),
        # A volunteer of another centre cannot witness a signature at this loan's centre.
        (elsewhere, {}, "witnessed_by_id"),
    ):
        assert_problem(await sign_addendum(client, actor, loan, extension, **body), 422, field)
    shown = (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff.headers)).json()
    assert shown["extensions"][0]["addendum"]["status"] == "awaiting_signature"
    async with sessions() as session:
        updates = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "loan_addendum", AuditEntry.action == "update")
            )
        ).all()
    assert updates == []


async def test_an_addendum_is_reached_only_as_its_loan_is(client, staff, volunteer, stock, issue, family, make_user):
    loan = await signed_loan(client, staff, volunteer, stock, issue, family)
    [extension] = (await extend(client, volunteer, loan))["extensions"]
    other = await signed_loan(client, staff, volunteer, stock, issue, family)
    [other_extension] = (await extend(client, volunteer, other))["extensions"]
    school = await make_user("school")
    # A school never reaches loans (the roles table), as for the agreement.
    assert_problem(await client.get(addendum_url(loan, extension), headers=school.headers), 403)
    assert_problem(await sign_addendum(client, school, loan, extension), 403)
    # Another loan's extension, an unknown one, an unknown loan: 404 alike, for reading and signing.
    crossed = {"id": other_extension["id"]}
    assert_problem(await client.get(addendum_url(loan, crossed), headers=volunteer.headers), 404)
    assert_problem(await sign_addendum(client, volunteer, loan, crossed), 404)
    assert_problem(await client.get(addendum_url(loan, {"id": 999999}), headers=volunteer.headers), 404)
    assert_problem(await client.get(addendum_url({"id": 999999}, extension), headers=volunteer.headers), 404)
    assert_problem(await sign_addendum(client, volunteer, {"id": 999999}, extension), 404)
    shown = (await client.get(f"/api/v1/loans/{other['id']}", headers=staff.headers)).json()
    assert shown["extensions"][0]["addendum"]["status"] == "awaiting_signature"


async def test_erasure_withdraws_the_signed_addendum_and_keeps_its_hash(
    client, admin, staff, volunteer, stock, issue, family
):
    loan = await signed_loan(client, staff, volunteer, stock, issue, family)
    [extension] = (await extend(client, volunteer, loan))["extensions"]
    signed = await sign_addendum(
        client, volunteer, loan, extension, signature_png=base64.b64encode(png(60, 20)).decode()
    )
    assert signed.status_code == 201, signed.text
    digest = signed.json()["extensions"][0]["addendum"]["signed_pdf_sha256"]
    [item] = signed.json()["items"]
    returned = await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={"items": [{"tag": item["tag"], "condition": "good"}]},
        headers=volunteer.headers,
    )
    assert returned.status_code == 200, returned.text
    erased = await client.post(f"/api/v1/families/{family['id']}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text

    gone = assert_problem(await client.get(addendum_url(loan, extension), headers=staff.headers), 410)
    assert gone["signed_pdf_sha256"] == digest and "withdrawn" in gone["detail"]
    addendum = (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff.headers)).json()["extensions"][0][
        "addendum"
    ]
    assert addendum["signer_name"] == "" and addendum["has_signature_image"] is False
    assert addendum["signed_pdf_sha256"] == digest and addendum["signed_pdf_withdrawn_at"]
    export = (await client.get(f"/api/v1/families/{family['id']}/export", headers=admin.headers)).json()
    kept = export["loans"][0]["extensions"][0]["addendum"]
    assert kept["signed_pdf_sha256"] == digest and kept["signed_pdf_withdrawn_at"] and kept["signer_name"] == ""
    entry = next(a for a in export["audit"] if a["action"] == "erase")
    assert entry["after"]["addenda_withdrawn"] == 1 and entry["after"]["agreements_withdrawn"] == 1
    # A withdrawn addendum cannot be signed again.
    assert_problem(await sign_addendum(client, volunteer, loan, extension), 409)
