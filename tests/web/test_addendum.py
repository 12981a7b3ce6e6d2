"""An addendum at the desk over HTTP: the loan's page offers it once the due date moved after signing, its page shows
the family's words and the pad, signing freezes the same PDF the API gives, and refusals write nothing."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta

from sqlalchemy import func, select

from lending.loans.models import LoanAddendum
from tests.loans.test_after_issue import png
from tests.web.conftest import csrf
from tests.web.test_issue import loan, sign, world  # noqa: F401  (shared fixtures)

REASON = "Exams moved to the summer term"


async def extend(pages, world, loan_id: int, days: int = 60) -> dict:
    volunteer = world["volunteer"]
    shown = (await pages.get(f"/api/v1/loans/{loan_id}", headers=volunteer.headers)).json()
    due = date.fromisoformat(shown["due_on"]) + timedelta(days=days)
    response = await pages.post(
        f"/api/v1/loans/{loan_id}/extension",
        json={"due_on": due.isoformat(), "reason": REASON},
        headers=volunteer.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["extensions"][-1]


async def sign_addendum(pages, loan_id: int, extension_id: int, **form):
    where = f"/desk/loans/{loan_id}/extensions/{extension_id}/addendum"
    body = {"_csrf_token": await csrf(pages, where), "signer_name": "Amina Khan", "relationship": "parent", **form}
    return await pages.post(f"{where}/signature", data=body)


async def signed_rows(sessions) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(select(func.count(LoanAddendum.id)).where(LoanAddendum.signed_at.is_not(None))) or 0
        )


async def test_the_loan_page_leads_to_the_addendum_and_the_pad_signs_it(pages, world, loan):
    assert (await sign(pages, loan)).status_code == 303
    extension = await extend(pages, world, loan)
    where = f"/desk/loans/{loan}/extensions/{extension['id']}/addendum"
    shown = await pages.get(f"/desk/loans/{loan}")
    assert "Sign the addendum" in shown.text and f'href="{where}"' in shown.text

    page = await pages.get(where)
    assert page.status_code == 200
    # The family reads Urdu (tests/families/conftest.py): the page shows the addendum's words as printed for them.
    assert "In Urdu, the family's language" in page.text and 'lang="ur" dir="rtl"' in page.text
    assert REASON in page.text and "Record signature" in page.text and f'href="{where}.pdf"' in page.text
    unsigned = await pages.get(f"{where}.pdf")
    assert unsigned.status_code == 200 and unsigned.headers["content-type"] == "application/pdf"

    image = "data:image/png;base64," + base64.b64encode(png(300, 100)).decode()
    signed = await sign_addendum(pages, loan, extension["id"], signature_png=image)
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == where
    addendum = (await pages.get(f"/api/v1/loans/{loan}", headers=world["volunteer"].headers)).json()["extensions"][0][
        "addendum"
    ]
    assert addendum["status"] == "signed" and addendum["has_signature_image"] is True
    assert addendum["witnessed_by_id"] == world["volunteer"].id
    page = await pages.get(where)
    assert "Signed by Amina Khan (parent)" in page.text and "Download the signed addendum" in page.text
    assert "Record signature" not in page.text
    pdf = await pages.get(f"{where}.pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == addendum["signed_pdf_sha256"]
    api_pdf = await pages.get(
        f"/api/v1/loans/{loan}/extensions/{extension['id']}/addendum.pdf", headers=world["volunteer"].headers
    )
    assert api_pdf.content == pdf.content != unsigned.content
    assert "Addendum signed by Amina Khan" in (await pages.get(f"/desk/loans/{loan}")).text
    again = await sign_addendum(pages, loan, extension["id"])
    assert again.status_code == 409 and "already signed" in again.text


async def test_a_bad_addendum_signature_is_named_and_nothing_is_recorded(pages, world, loan, sessions):
    assert (await sign(pages, loan)).status_code == 303
    extension = await extend(pages, world, loan)
    missing = await sign_addendum(pages, loan, extension["id"], signer_name="")
    assert missing.status_code == 422 and "signer name" in missing.text
    broken = await sign_addendum(pages, loan, extension["id"], signature_png=base64.b64encode(b"no png").decode())
    assert broken.status_code == 422 and "signature png" in broken.text
    assert await signed_rows(sessions) == 0


async def test_addendum_pages_answer_404_where_the_api_does(pages, world, loan):
    # Extended before the agreement is signed: the agreement shows the date, and there is no addendum.
    early = await extend(pages, world, loan)
    base = f"/desk/loans/{loan}/extensions"
    assert (await pages.get(f"/desk/loans/{loan}")).text.count("there is no addendum") == 1
    for path in (f"{base}/{early['id']}/addendum", f"{base}/{early['id']}/addendum.pdf", f"{base}/999999/addendum"):
        assert (await pages.get(path)).status_code == 404, path
    assert (await sign_addendum(pages, loan, 999999)).status_code == 404
    assert (await pages.get(f"/desk/loans/999999/extensions/{early['id']}/addendum")).status_code == 404
