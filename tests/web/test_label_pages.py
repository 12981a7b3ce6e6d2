"""Printing labels from the desk with a start position, and calibrating a centre's printer: real PDFs read back."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from lending.accounts.models import Role
from tests.documents.conftest import decode, rasterise
from tests.loans.conftest import centre, stock  # noqa: F401
from tests.web.conftest import PHONE, TABLET, assert_accessible, csrf, sign_in

SHEET = "avery-l7160"  # 3 columns × 7 rows


def decoded(pdf: bytes, tmp_path: Path) -> list[str]:
    """The Code128 barcodes on the printed page, as zbar reads them (the QR codes are off without a public URL)."""
    return sorted(decode(rasterise(pdf, tmp_path)))


async def test_print_from_the_page_with_a_start_position(
    pages: AsyncTestClient, volunteer, stock, tmp_path: Path
) -> None:
    tags = await stock("laptop", "tablet")
    await sign_in(pages, volunteer)
    form = await pages.get(f"/desk/labels?tags={tags[0]}&tags={tags[1]}&layout={SHEET}")
    assert form.status_code == 200
    assert f"{tags[0]}\n{tags[1]}" in form.text
    assert form.text.count('name="start_position"') == 21
    token = await csrf(pages, "/desk/labels")
    pdf = await pages.post(
        "/desk/labels",
        data={"tags": "\n".join(tags), "layout": SHEET, "start_position": "21", "copies": "1", "_csrf_token": token},
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    # From the sheet's last label: the first tag there, the second on a new sheet.
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    assert decoded(pdf.content, tmp_path) == sorted(tags)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True).stdout.decode()
    assert tags[0] in text


async def test_a_bad_print_request_says_which_field(pages: AsyncTestClient, volunteer) -> None:
    await sign_in(pages, volunteer)
    token = await csrf(pages, "/desk/labels")
    answer = await pages.post(
        "/desk/labels",
        data={"tags": "", "layout": SHEET, "start_position": "1", "copies": "1", "_csrf_token": token},
    )
    assert answer.status_code == 422
    assert 'id="f-tags-error"' in answer.text
    wrong = await pages.post(
        "/desk/labels",
        data={"tags": "LAP-000999-Q", "layout": SHEET, "start_position": "1", "copies": "1", "_csrf_token": token},
    )
    assert wrong.status_code == 422 and "LAP-000999-Q" in wrong.text
    # The API's own bounds: at most 20 copies of each label.
    too_many = await pages.post(
        "/desk/labels",
        data={"tags": "LAP-000999-Q", "layout": SHEET, "start_position": "1", "copies": "21", "_csrf_token": token},
    )
    assert too_many.status_code == 422 and "less than or equal to 20" in too_many.text


async def test_calibration_is_saved_per_centre_and_moves_the_test_sheet(
    pages: AsyncTestClient, client: AsyncTestClient, volunteer, centre
) -> None:
    await sign_in(pages, volunteer)
    page = await pages.get(f"/desk/labels/calibration?centre_id={centre['id']}&layout={SHEET}")
    assert page.status_code == 200 and "Print the test sheet" in page.text
    token = await csrf(pages, "/desk/labels")
    too_far = await pages.post(
        "/desk/labels/calibration",
        data={"centre_id": str(centre["id"]), "layout": SHEET, "x_mm": "25", "y_mm": "0", "_csrf_token": token},
    )
    assert too_far.status_code == 422 and 'id="f-x_mm-error"' in too_far.text
    saved = await pages.post(
        "/desk/labels/calibration",
        data={"centre_id": str(centre["id"]), "layout": SHEET, "x_mm": "1.5", "y_mm": "-2", "_csrf_token": token},
    )
    assert saved.status_code == 303
    listed = await client.get(f"/api/v1/labels/calibrations?centre_id={centre['id']}", headers=volunteer.headers)
    assert [(c["layout"], c["x_mm"], c["y_mm"]) for c in listed.json()["items"]] == [(SHEET, 1.5, -2.0)]
    sheet = await pages.get(f"/desk/labels/calibration.pdf?layout={SHEET}&centre_id={centre['id']}")
    assert sheet.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=sheet.content, capture_output=True).stdout.decode()
    assert "+1.5 mm" in text and "-2.0 mm" in text


@pytest.mark.parametrize("role", [Role.school])
async def test_schools_cannot_print(pages: AsyncTestClient, make_user, role) -> None:
    await sign_in(pages, await make_user(role))
    assert (await pages.get("/desk/labels")).status_code == 403


async def test_label_printing_in_the_browser_with_a_start_position(open_page, volunteer, stock, tmp_path: Path) -> None:
    tags = await stock("laptop", "laptop", "tablet")
    desk = await open_page(volunteer, viewport=TABLET)
    await desk.go(f"/desk/labels?layout={SHEET}")
    await assert_accessible(desk.page, "labels page")
    await desk.page.get_by_label("Asset tags").fill("\n".join(tags))
    # Labels 1-7 of the sheet are used: click the 8th, the first still there.
    await desk.page.locator("label[for=pos-8]").click()
    assert await desk.page.locator("#pos-8").is_checked()
    used = await desk.page.locator(".cell:has(~ .cell input:checked) label").count()
    assert used == 7
    printing = desk.page.context.expect_event(
        "request", lambda r: r.method == "POST" and r.url.endswith("/desk/labels")
    )
    async with printing as sent:
        await desk.page.get_by_role("button", name="Print labels").click()
    request = await sent.value
    assert "start_position=8" in (request.post_data or "")
    # Headless Chromium hands a PDF in a new tab to its download machinery, not to the page: send exactly what the
    # browser sent again, with its cookies, and read that answer.
    answer = await desk.page.request.post(
        request.url, data=request.post_data, headers={"content-type": request.headers["content-type"]}
    )
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = await answer.body()
    # Eight to go on the first sheet from label 8: two pages would mean the start position was lost.
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert decoded(pdf, tmp_path) == sorted(tags)
    await desk.page.set_viewport_size(PHONE)
    await assert_accessible(desk.page, "labels page at phone size")
    await desk.go("/desk/labels/calibration")
    await assert_accessible(desk.page, "calibration page")
