"""Scan → issue → sign on the pad → signed PDF, in Debian's Chromium at tablet and phone sizes, with axe on every
state of both pages. The signature is drawn with the mouse on the canvas, as a finger or pen would draw it."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess

import httpx
import pytest
from pypdf import PdfReader

from lending import i18n
from lending.accounts.models import Role
from tests.documents.conftest import readable
from tests.web import issue_data as data
from tests.web.conftest import PHONE, TABLET, assert_accessible, draw_signature


def images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
async def test_scan_issue_sign_on_the_pad_and_download_the_signed_pdf(open_page, live_server, make_user, viewport):
    staff = await make_user(Role.staff)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        hub = await data.centre(api, staff, "Sparkbrook Hub")
        school = await data.school(api, staff)
        await data.nomination(api, staff, school["id"], "Amina Khan", "07911 123456", sims=1, urgency="urgent")
        await data.nomination(api, staff, school["id"], "Bella Jones", "07911 123457")
        laptop, sim = await data.stock(api, staff, "Sparkbrook Hub", "laptop", "sim")
        (unready,) = await data.stock(api, staff, "Sparkbrook Hub", "laptop", status="received")
    volunteer = await make_user(Role.volunteer, home_centre_id=hub["id"])
    desk = await open_page(volunteer, viewport=viewport)
    page = desk.page

    # Find the family's approved nomination.
    await desk.go("/desk/loans/new")
    assert await page.get_by_role("button", name="Lend to Bella Jones").is_visible()
    await assert_accessible(page, "issue: approved nominations waiting")
    await page.get_by_label("family name, phone or school").fill("khan")
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.wait_for_url("**q=khan**")
    assert not await page.get_by_role("button", name="Lend to Bella Jones").count()
    await assert_accessible(page, "issue: search results")
    await page.get_by_role("button", name="Lend to Amina Khan").click()
    await page.wait_for_url(re.compile(r"nomination_id="))
    assert await page.get_by_text("Nominated by Anderton Park Primary").is_visible()

    # Scan: the scanner types the tag and Enter; htmx swaps only the basket, and the scan box is ready again.
    scan = page.get_by_label("Scan a tag")
    await page.evaluate("window.stillThisPage = true")
    await scan.fill(laptop)
    await scan.press("Enter")
    await page.get_by_role("status").filter(has_text=f"Added {laptop}").wait_for()
    assert await scan.input_value() == ""
    assert await scan.evaluate("el => el === document.activeElement")
    await scan.fill(unready)
    await scan.press("Enter")
    refused = page.get_by_role("alert").filter(has_text="Not added.")
    await refused.wait_for()
    assert "not ready to lend" in await refused.inner_text()
    await assert_accessible(page, "issue: a scan refused")
    await scan.fill(sim)
    await scan.press("Enter")
    await page.get_by_role("status").filter(has_text=f"Added {sim}").wait_for()
    assert await page.evaluate("window.stillThisPage === true"), "a scan must not reload the page"
    basket = page.get_by_role("table").filter(has_text="Basket: 2 items")
    assert await basket.get_by_role("row").count() == 3
    assert unready not in await basket.inner_text()
    await assert_accessible(page, "issue: a basket of two")

    await page.get_by_role("button", name="Issue loan").click()
    await page.wait_for_url(re.compile(r"/desk/loans/\d+$"))
    loan_id = int(page.url.rsplit("/", 1)[1])
    assert await page.get_by_role("heading", name=re.compile(r"Loan LN-\d+")).is_visible()
    await assert_accessible(page, "loan: unsigned")
    unsigned = await page.context.request.get(f"/desk/loans/{loan_id}/agreement.pdf")
    assert unsigned.ok and unsigned.headers["content-type"] == "application/pdf"

    # An empty pad is not a signature.
    await page.get_by_label("Signer's name").fill("Amina Khan")
    await page.get_by_label("Relationship to the family").select_option("parent")
    await page.get_by_role("button", name="Record signature").click()
    assert await page.get_by_role("alert").filter(has_text="the signature is empty").is_visible()
    await assert_accessible(page, "loan: empty signature refused")

    # Sign: a stroke drawn with the mouse across the canvas.
    await draw_signature(page)
    await page.get_by_role("button", name="Record signature").click()
    await page.get_by_role("status").filter(has_text="Signed by Amina Khan (parent)").wait_for()
    assert await page.get_by_role("link", name="Download the signed agreement").is_visible()
    await assert_accessible(page, "loan: signed")

    # The signed PDF over HTTP, as the volunteer (the page's cookie), read back.
    href = await page.get_by_role("link", name="Download the signed agreement").get_attribute("href")
    signed = await page.context.request.get(href or "")
    assert signed.ok and signed.headers["content-type"] == "application/pdf"
    pdf = await signed.body()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    # The family reads Urdu (tests/families/conftest.py): the relationship in its words, Arabic letters folded
    # back from the joined forms a PDF holds.
    text = readable(text)
    assert "Amina Khan" in text and i18n.gettext("ur", "parent") in text
    assert "without an image" not in text
    assert images_in(pdf) > images_in(await unsigned.body())  # the drawn signature is in it
    poppler = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Amina Khan" in poppler and i18n.gettext("ur", "parent") in readable(poppler)
    async with desk.api() as api:
        loan = (await api.get(f"/api/v1/loans/{loan_id}")).json()
    assert loan["agreement"] == "signed"
    assert loan["acceptance"]["has_signature_image"] is True
    assert loan["acceptance"]["signed_pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert [i["tag"] for i in loan["items"]] == [laptop, sim]
