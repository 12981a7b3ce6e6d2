"""The donor impact and funder PDFs: the figures are there as text, people are not, and charts are vectors."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from lending.app import create_app
from lending.documents.agreement import Organisation
from lending.reports.pdfs import render_donor_impact, render_funder
from lending.reports.schemas import Bar, DonorImpact, FunderReport, LoanFigures, LoanGroup, Period, Reach
from tests.core.availability_support import concurrent_client
from tests.documents.test_off_loop import heavy_logo
from tests.reports.conftest import SECRET_NAME, SECRET_POSTCODES, Known
from tests.support import add_months, assert_problem, days_ago

ORG = Organisation("Sparkbrook Laptops", "0121 496 0000", "hello@example.org", "1 Ladypool Road", "1190001")


@pytest.fixture(scope="module", autouse=True)
def poppler() -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("the report PDF tests need pdftotext: run `apt-get install poppler-utils`", pytrace=False)


def text_of(pdf: bytes, tmp_path: Path, *, right_half: bool = False) -> str:
    """The PDF's text as pdftotext reads it, with runs of whitespace made single spaces. `right_half` reads only
    the right half of each page: the tables that stand beside their charts, without the charts' labels."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    half = str(int(A4[0] / 2))
    # Cropped to the right half and read line by line as laid out (pdftotext would otherwise read by columns).
    crop = ["-layout", "-x", half, "-y", "0", "-W", half, "-H", str(int(A4[1]))] if right_half else []
    out = subprocess.run(["pdftotext", *crop, str(source), "-"], capture_output=True, text=True, check=True, timeout=60)
    return " ".join(out.stdout.split())


def assert_vector_only(pdf: bytes) -> None:
    """No page draws an image: the charts are paths and text (so they print sharp and pdftotext reads them)."""
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for obj in page["/Resources"].get("/XObject", {}).values():
            assert obj.get_object()["/Subtype"] != "/Image"


def months_back(n: int) -> list[str]:
    """The last `n` months' labels as the reports give them (`2026-03`), oldest first, from today."""
    first = date.today().replace(day=1)
    return [f"{add_months(first, -k):%Y-%m}" for k in reversed(range(n))]


def a_year() -> Period:
    today = date.today()
    return Period.model_validate({"from": add_months(today.replace(day=1), -11), "to": today})


def loan_group(group: str, issued: int, families: int | str, children: int | str) -> LoanGroup:
    return LoanGroup(
        group=group,
        group_id=None,
        loans_issued=issued,
        loans_returned=issued // 2,
        families=families,
        children=children,
    )


# --- rendering, from the report shapes ----------------------------------------------------------------------


def test_the_impact_report_shows_what_was_given_and_where_it_went(tmp_path: Path) -> None:
    months = months_back(6)
    impact = DonorImpact(
        donor_id=7,
        donor_name="Midlands Widgets Ltd",
        period=a_year(),
        given=[Bar(label="laptop", value=31), Bar(label="sim", value=12)],
        devices_reached_families=27,
        families=23,
        children=41,
        districts=[Bar(label="B12", value=17), Bar(label="B11", value=6), Bar(label="B10", value="<5")],
        schools=[Bar(label="Anderton Park Primary", value=19), Bar(label="Small Heath School", value="<5")],
        loans_by_month=[Bar(label=month, value=n + 1) for n, month in enumerate(months)],
    )
    pdf = render_donor_impact(impact, ORG, generated_on=date.today())
    text = text_of(pdf, tmp_path)

    for needle in (
        "Sparkbrook Laptops",
        "Registered charity 1190001",
        "What your donation did",
        "Midlands Widgets Ltd",
        "43 devices and SIMs given",
        "27 of your devices lent to families",
        "23 families reached",
        "41 children in those families",
        "Laptop 31",
        "Sim 12",
        "B12",
        "B11",
        "B10",
        "Anderton Park Primary",
        "Small Heath School",
        "Loans of your devices, month by month",
    ):
        assert needle in text, needle
    for month in months:  # the chart labels each month, as text
        assert date.fromisoformat(f"{month}-01").strftime("%b") in text
    assert text.count("<5") >= 4  # B10 and the school, each in its chart and its table
    assert_vector_only(pdf)
    assert PdfReader(io.BytesIO(pdf)).metadata["/Title"] == "Impact report for Midlands Widgets Ltd"


def test_the_funder_report_is_two_pages_of_figures_even_for_two_years_and_forty_districts(tmp_path: Path) -> None:
    report = FunderReport(
        period=a_year(),
        reach=Reach(families=312, children=655, devices_lent=347, sims_lent=96, devices_gifted=14),
        loans=LoanFigures(active=188, overdue=9, due_in_14_days=23),
        loans_by_month=[loan_group(month, 10 + n, 8 + n, 15 + n) for n, month in enumerate(months_back(24))],
        pipeline=[
            Bar(label="received", value=35),
            Bar(label="in_refurbishment", value=12),
            Bar(label="ready", value=7),
        ],
        districts=[loan_group(f"B{n}", 2 * n, n if n >= 5 else "<5", 2 * n if n >= 5 else "<5") for n in range(1, 41)],
    )
    pdf = render_funder(report, ORG, generated_on=date.today())
    text = text_of(pdf, tmp_path)

    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 2
    for needle in (
        "312 families reached",
        "655 children in those families",
        "347 devices lent",
        "96 SIMs with data lent",
        "14 devices given to keep",
        "188 loans active today",
        "9 loans overdue today",
        "23 loans due back within 14 days",
        "Loans issued per month",
        "Stock pipeline",
        "In refurbishment",
        "B40 80 40 40 80",  # the districts table: loans issued, returned, families, children
        "B4 8 4 <5 <5",  # a district of under five families: counted loans, suppressed people
        "and 25 more, listed in the table",
    ):
        assert needle in text, needle
    assert_vector_only(pdf)


def test_reports_with_nothing_in_them_still_render(tmp_path: Path) -> None:
    empty = DonorImpact(
        donor_id=1,
        donor_name="A new donor",
        period=None,
        given=[],
        devices_reached_families=0,
        families=0,
        children=0,
        districts=[],
        schools=[],
        loans_by_month=[],
    )
    text = text_of(render_donor_impact(empty, ORG, generated_on=date.today()), tmp_path)
    assert "No figures for this period." in text and "Nothing recorded" in text

    none = FunderReport(
        period=a_year(),
        reach=Reach(families=0, children=0, devices_lent=0, sims_lent=0, devices_gifted=0),
        loans=LoanFigures(active=0, overdue=0, due_in_14_days=0),
        loans_by_month=[],
        pipeline=[],
        districts=[],
    )
    assert "0 families reached" in text_of(render_funder(none, ORG, generated_on=date.today()), tmp_path)


# --- over HTTP ----------------------------------------------------------------------------------------------


async def test_a_period_that_ends_before_it_starts_is_refused_naming_from(client, staff) -> None:
    today = date.today()
    query = {"from": today.isoformat(), "to": add_months(today.replace(day=1), -1).isoformat()}
    for path in ("/api/v1/reports/funder.pdf", "/api/v1/donors/1/impact.pdf"):
        assert_problem(await client.get(path, params=query, headers=staff.headers), 400, "from")


async def test_bad_dates_are_refused_naming_the_field(client, staff) -> None:
    for params, field in (
        ({"from": "yesterday"}, "from"),
        ({"to": f"{date.today().year}-02-30"}, "to"),
        ({"to": ""}, "to"),
    ):
        response = await client.get("/api/v1/reports/funder.pdf", params=params, headers=staff.headers)
        assert_problem(response, 422, field)


async def test_the_desk_and_schools_may_not_have_the_report_pdfs(client, volunteer, make_user) -> None:
    from lending.accounts.models import Role

    school = await make_user(Role.school)
    for actor in (volunteer, school):
        for path in ("/api/v1/reports/funder.pdf", "/api/v1/donors/1/impact.pdf"):
            assert_problem(await client.get(path, headers=actor.headers), 403)


async def pdf_of(client, actor, path: str, **params: str) -> bytes:
    response = await client.get(path, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    return response.content


def assert_no_family(text: str, pdf: bytes) -> None:
    """No family's name, street or full postcode, in the text or anywhere in the file (metadata included)."""
    for secret in (SECRET_NAME, "Hidden Street", *SECRET_POSTCODES):
        assert secret not in text
        assert secret.encode() not in pdf
    assert all(secret not in str(value) for value in (PdfReader(io.BytesIO(pdf)).metadata or {}).values())


async def test_a_donors_impact_report_shows_its_figures_districts_and_schools(
    client, staff, known: Known, settings, tmp_path: Path
) -> None:
    path = f"/api/v1/donors/{known.donors['D1']}/impact.pdf"
    pdf = await pdf_of(client, staff, path)
    text, tables = text_of(pdf, tmp_path), text_of(pdf, tmp_path, right_half=True)

    # Acme gave 9 assets in two donations; 6 of its devices went out on loans L1-L5 and L8, to families F1-F5
    # (1 + 2 + 3 + 1 + 2 children), all in B12 and all nominated by Oak.
    for needle in (
        settings.org_name,
        "Acme Ltd",
        "9 devices and SIMs given",
        "6 of your devices lent to families",
        "5 families reached",
        "9 children in those families",
        "Chromebook 1",
        "Desktop 1",
        "Laptop 6",
        "Tablet 1",
    ):
        assert needle in text, needle
    assert "Postcode district Families B12 5" in tables and "School Families Oak Primary 5" in tables
    assert "Elm Academy" not in text and "B11" not in text  # Jo Giver's loan, not Acme's
    assert_no_family(text, pdf)
    assert_vector_only(pdf)


async def test_over_a_short_period_a_donors_few_families_show_as_under_five(
    client, staff, known: Known, tmp_path: Path
) -> None:
    path = f"/api/v1/donors/{known.donors['D1']}/impact.pdf"
    pdf = await pdf_of(client, staff, path, **{"from": days_ago(100)})
    text, tables = text_of(pdf, tmp_path), text_of(pdf, tmp_path, right_half=True)

    # Loans L1, L2, L3 and L5 only: four families, so families and children are "<5"; devices stay exact.
    for needle in ("4 of your devices lent to families", "<5 families reached", "<5 children in those families"):
        assert needle in text, needle
    assert "Nothing recorded in this period." in text  # both donations came in earlier
    assert "Postcode district Families B12 <5" in tables and "School Families Oak Primary <5" in tables


async def test_the_funder_report_shows_the_periods_figures(client, staff, known: Known, tmp_path: Path) -> None:
    pdf = await pdf_of(client, staff, "/api/v1/reports/funder.pdf")
    text = text_of(pdf, tmp_path)

    # The last 12 months: every loan but L7, to F1-F6; B11 has one family (F6), B12 five.
    for needle in (
        "6 families reached",
        "11 children in those families",
        "7 devices lent",
        "2 SIMs with data lent",
        "1 device given to keep",
        "4 loans active today",
        "1 loan overdue today",
        "1 loan due back within 14 days",
        "Loans issued per month",
        "Stock pipeline",
        "On loan",
        "In refurbishment",
    ):
        assert needle in text, needle
    # The districts' table: loans issued, returned, families, children.
    assert "District Loans Returned Families Children B12 6 2 5 9 B11 1 0 <5 <5" in text_of(
        pdf, tmp_path, right_half=True
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 2
    assert_no_family(text, pdf)
    assert_vector_only(pdf)


async def test_an_unknown_donor_is_not_found(client, staff) -> None:
    assert_problem(await client.get("/api/v1/donors/999999/impact.pdf", headers=staff.headers), 404)


async def test_other_requests_are_answered_while_a_report_pdf_renders(settings, staff, known: Known, tmp_path) -> None:
    # A logo of noise takes reportlab a second or more to embed: long enough to see whether the loop is held.
    app = create_app(settings.model_copy(update={"org_logo": heavy_logo(tmp_path, 1200)}))
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    async with concurrent_client(app) as client:
        report = asyncio.create_task(client.get("/api/v1/reports/funder.pdf", headers=staff.headers))
        while not report.done():
            due = loop.time() + 0.1
            await asyncio.sleep(0.1)
            lookup = await client.get(f"/api/v1/donors/{known.donors['D1']}", headers=staff.headers)
            assert lookup.status_code == 200
            waits.append(loop.time() - due)
        pdf = await report
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Rendered on the event loop, no lookup would be answered until the PDF was done.
    assert len(waits) >= 3, waits
    assert max(waits) < 1.5, waits
