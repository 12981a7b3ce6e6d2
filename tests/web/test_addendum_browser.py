"""Sign an addendum on the pad in Debian's Chromium: from the loan's page to the signed PDF, with axe on each state."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta

import httpx
from pypdf import PdfReader

from lending import i18n
from lending.accounts.models import Role
from tests.web import issue_data as data
from tests.web.conftest import TABLET, assert_accessible, draw_signature


async def test_the_family_signs_the_addendum_on_the_pad(open_page, live_server, make_user):
    staff = await make_user(Role.staff)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        hub = await data.centre(api, staff, "Sparkbrook Hub")
        school = await data.school(api, staff)
        nomination = await data.nomination(api, staff, school["id"], "Amina Khan", "07911 123456")
        (laptop,) = await data.stock(api, staff, "Sparkbrook Hub", "laptop")
        loan = (
            await api.post(
                "/api/v1/loans",
                json={
                    "family_id": nomination["family_id"],
                    "nomination_id": nomination["id"],
                    "centre_id": hub["id"],
                    "items": [laptop],
                },
                headers=staff.headers,
            )
        ).json()
        await api.patch(
            f"/api/v1/families/{nomination['family_id']}", json={"preferred_language": "pl"}, headers=staff.headers
        )
        signed = await api.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={"signer_name": "Amina Khan", "relationship": "parent"},
            headers=staff.headers,
        )
        assert signed.status_code == 201, signed.text
        due = date.fromisoformat(loan["due_on"]) + timedelta(days=45)
        extended = await api.post(
            f"/api/v1/loans/{loan['id']}/extension",
            json={"due_on": due.isoformat(), "reason": "Egzaminy"},
            headers=staff.headers,
        )
        assert extended.status_code == 200, extended.text
    volunteer = await make_user(Role.volunteer, home_centre_id=hub["id"])
    desk = await open_page(volunteer, viewport=TABLET)
    page = desk.page

    await desk.go(f"/desk/loans/{loan['id']}")
    await page.get_by_role("link", name="Sign the addendum").click()
    await page.wait_for_url(re.compile(r"/extensions/\d+/addendum$"))
    # The addendum's words as the family reads them: Polish.
    heading = i18n.gettext("pl", "Addendum to loan agreement {reference}", reference=loan["reference"])
    assert await page.get_by_role("heading", name=heading).is_visible()
    assert await page.get_by_text("Egzaminy").is_visible()
    await assert_accessible(page, "addendum: unsigned")

    await draw_signature(page)
    await page.get_by_label("Signer's name").fill("Amina Khan")
    await page.get_by_role("button", name="Record signature").click()
    await page.get_by_role("status").filter(has_text="Signed by Amina Khan (parent)").wait_for()
    await assert_accessible(page, "addendum: signed")

    href = await page.get_by_role("link", name="Download the signed addendum").get_attribute("href")
    answer = await page.context.request.get(href or "")
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    pdf = await answer.body()
    assert sum(len(p.images) for p in PdfReader(io.BytesIO(pdf)).pages) == 1  # the drawn signature
    async with desk.api() as api:
        shown = (await api.get(f"/api/v1/loans/{loan['id']}")).json()
    addendum = shown["extensions"][0]["addendum"]
    assert addendum["status"] == "signed" and addendum["has_signature_image"] is True
    assert addendum["signed_pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
