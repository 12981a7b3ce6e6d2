"""Issuing a loan at the desk over HTTP: the desk's nomination lookup, the basket checked as each item is scanned,
issuing, and recording the signature with its image; nothing written when a scan or a form is refused."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, timedelta

import pytest

from lending.accounts.models import Role
from lending.inventory.tags import Tag
from tests.loans.test_after_issue import png
from tests.support import count_rows
from tests.web import issue_data as data
from tests.web.conftest import csrf, sign_in

DESK_FIELDS = {
    "id",
    "family_id",
    "family_name",
    "phone",
    "school_id",
    "school_name",
    "laptops",
    "tablets",
    "sims",
    "urgency",
    "status",
    "decided_at",
}


@pytest.fixture
async def world(pages, staff, make_user):
    """Two centres with stock, a school with an approved, a submitted and a declined nomination, and a volunteer
    whose home is the first centre. The API is called through `pages` too: a second test client entering the same
    app's lifespan breaks its PostgreSQL pool (connections tied to another event loop)."""
    here = await data.centre(pages, staff, "Sparkbrook Hub")
    there = await data.centre(pages, staff, "Aston Hub", "B6 4AA")
    school = await data.school(pages, staff)
    approved = await data.nomination(pages, staff, school["id"], "Amina Khan", "07911 123456", sims=1)
    submitted = await data.nomination(pages, staff, school["id"], "Bella Jones", "07911 123457", decision=None)
    declined = await data.nomination(pages, staff, school["id"], "Carys Price", "07911 123458", decision="decline")
    volunteer = await make_user(Role.volunteer, home_centre_id=here["id"])
    return {
        "here": here,
        "there": there,
        "school": school,
        "approved": approved,
        "submitted": submitted,
        "declined": declined,
        "volunteer": volunteer,
        "laptop": (await data.stock(pages, staff, "Sparkbrook Hub", "laptop"))[0],
        "sim": (await data.stock(pages, staff, "Sparkbrook Hub", "sim"))[0],
        "elsewhere": (await data.stock(pages, staff, "Aston Hub", "laptop"))[0],
        "unready": (await data.stock(pages, staff, "Sparkbrook Hub", "laptop", status="received"))[0],
    }


async def for_desk(pages, actor, q: str = ""):
    return await pages.get("/api/v1/nominations/for-desk", params={"q": q} if q else None, headers=actor.headers)


# --- the nomination lookup ------------------------------------------------------------------------------------


async def test_the_desk_finds_approved_nominations_by_name_phone_or_school_and_sees_no_evidence(pages, world):
    volunteer = world["volunteer"]
    for q in ("khan", "07911 123456", "+447911123456", "anderton", ""):
        response = await for_desk(pages, volunteer, q)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [n["family_name"] for n in body["items"]] == ["Amina Khan"], q
        assert body["total"] == 1
        (found,) = body["items"]
        assert set(found) == DESK_FIELDS
        assert found["school_name"] == "Anderton Park Primary"
        assert (found["laptops"], found["tablets"], found["sims"]) == (1, 0, 1)
        assert data.EVIDENCE not in response.text and "priority" not in response.text
    # Submitted and declined nominations are not lent against.
    assert (await for_desk(pages, volunteer, "jones")).json()["items"] == []
    assert (await for_desk(pages, volunteer, "price")).json()["items"] == []


async def test_a_school_may_not_use_the_desk_lookup(pages, world, make_user):
    teacher = await make_user(Role.school, school_id=world["school"]["id"])
    response = await for_desk(pages, teacher, "khan")
    assert response.status_code == 403
    assert "loans.find_nomination" in response.json()["detail"]


async def test_the_issue_page_lists_what_the_desk_may_see(pages, world):
    await sign_in(pages, world["volunteer"])
    page = await pages.get("/desk/loans/new", params={"q": "anderton"})
    assert page.status_code == 200
    assert "Amina Khan" in page.text and "+447911123456" in page.text
    assert "Lend to Amina Khan" in page.text
    for hidden in ("Bella Jones", "Carys Price", data.EVIDENCE, "Dad works nights"):
        assert hidden not in page.text
    # An unapproved nomination cannot be chosen by its id either.
    refused = await pages.get("/desk/loans/new", params={"nomination_id": world["submitted"]["id"]})
    assert refused.status_code == 404


async def test_a_school_user_cannot_open_the_issue_page(pages, world, make_user):
    await sign_in(pages, await make_user(Role.school, school_id=world["school"]["id"]))
    assert (await pages.get("/desk/loans/new")).status_code == 403


# --- the basket -----------------------------------------------------------------------------------------------


async def scan(pages, world, tag: str, basket: list[str] = (), *, htmx: bool = False, **extra):
    token = await csrf(pages, "/desk/loans/new")
    form = {
        "_csrf_token": token,
        "nomination_id": world["approved"]["id"],
        "centre_id": world["here"]["id"],
        "item": list(basket),
        "scan": tag,
        "action": "scan",
        **extra,
    }
    headers = {"hx-request": "true"} if htmx else {}
    return await pages.post("/desk/loans/new", data=form, headers=headers)


def basket_of(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="item" value="([^"]+)">', html)


async def test_a_ready_item_here_goes_into_the_basket_with_what_it_meets(pages, world, sessions):
    await sign_in(pages, world["volunteer"])
    added = await scan(pages, world, world["laptop"].lower())
    assert added.status_code == 200, added.text
    assert f"Added {world['laptop']}" in added.text
    assert basket_of(added.text) == [world["laptop"]]
    assert "Asked for (laptops)" in added.text
    both = await scan(pages, world, world["sim"], [world["laptop"]], htmx=True)
    assert both.status_code == 200
    assert "<html" not in both.text and 'id="basket"' in both.text  # only the basket part, for htmx
    assert basket_of(both.text) == [world["laptop"], world["sim"]]
    assert await count_rows(sessions, "loan") == 0


@pytest.mark.parametrize(
    ("which", "words"),
    [
        ("unready", "is received, not ready to lend"),
        ("elsewhere", "is at another centre"),
        ("unknown", "No asset tagged"),
        ("garbage", "is not an asset tag"),
        ("twice", "is already in the basket"),
    ],
)
async def test_a_scan_the_loan_rules_refuse_says_why_and_changes_nothing(pages, world, sessions, which, words):
    await sign_in(pages, world["volunteer"])
    tag = {
        "unready": world["unready"],
        "elsewhere": world["elsewhere"],
        "unknown": str(Tag("LAP", 999_999)),
        "garbage": "hello",
        "twice": world["laptop"],
    }[which]
    audit_before = await count_rows(sessions, "audit_entry")
    for htmx in (False, True):
        refused = await scan(pages, world, tag, [world["laptop"]], htmx=htmx)
        assert refused.status_code == 422, refused.text
        assert "Not added." in refused.text and words in refused.text, refused.text
        assert 'role="alert"' in refused.text
        assert basket_of(refused.text) == [world["laptop"]]
    assert await count_rows(sessions, "loan") == 0
    assert await count_rows(sessions, "audit_entry") == audit_before


async def test_the_asset_card_starts_the_basket_and_another_centre_can_be_chosen(pages, world):
    await sign_in(pages, world["volunteer"])
    started = await pages.get("/desk/loans/new", params={"tag": world["elsewhere"]})
    assert started.status_code == 200
    assert "Not added." in started.text and "at another centre" in started.text
    there = await pages.get("/desk/loans/new", params={"tag": world["elsewhere"], "centre_id": world["there"]["id"]})
    assert basket_of(there.text) == [world["elsewhere"]]
    assert "lending from Aston Hub" in there.text


async def test_a_basket_item_is_checked_again_and_can_be_removed(pages, world, staff):
    await sign_in(pages, world["volunteer"])
    # Someone else lent the laptop since it was scanned: the basket says so when it is next posted.
    body = {"family_id": world["approved"]["family_id"], "centre_id": world["here"]["id"], "items": [world["laptop"]]}
    lent = await pages.post("/api/v1/loans", json=body, headers=staff.headers)
    assert lent.status_code == 201
    again = await scan(pages, world, world["sim"], [world["laptop"]])
    assert "on loan" in again.text and basket_of(again.text) == [world["laptop"], world["sim"]]
    removed = await scan(pages, world, "", [world["laptop"], world["sim"]], remove=world["laptop"])
    assert basket_of(removed.text) == [world["sim"]]


# --- issuing --------------------------------------------------------------------------------------------------


async def issue(pages, world, items: list[str], *, htmx: bool = False, **extra):
    token = await csrf(pages, "/desk/loans/new")
    form = {
        "_csrf_token": token,
        "nomination_id": world["approved"]["id"],
        "centre_id": world["here"]["id"],
        "item": items,
        "action": "issue",
        "due_on": "",
        **extra,
    }
    return await pages.post("/desk/loans/new", data=form, headers={"hx-request": "true"} if htmx else {})


async def test_issuing_creates_the_loan_as_the_api_does_and_goes_to_its_page(pages, world, settings):
    await sign_in(pages, world["volunteer"])
    issued = await issue(pages, world, [world["laptop"], world["sim"]])
    assert issued.status_code == 303, issued.text
    where = issued.headers["location"]
    loan_id = int(where.rsplit("/", 1)[1])
    loan = (await pages.get(f"/api/v1/loans/{loan_id}", headers=world["volunteer"].headers)).json()
    assert [i["tag"] for i in loan["items"]] == [world["laptop"], world["sim"]]
    assert loan["family_id"] == world["approved"]["family_id"]
    assert loan["nomination_id"] == world["approved"]["id"]
    assert loan["centre_id"] == world["here"]["id"]
    assert loan["issued_by_id"] == world["volunteer"].id
    assert loan["due_on"] == (date.today() + timedelta(days=settings.loan_days)).isoformat()
    assert loan["agreement"] == "unsigned"
    # The loan met what was asked: the nomination is fulfilled and no longer offered to the desk.
    assert (await for_desk(pages, world["volunteer"], "khan")).json()["items"] == []
    shown = await pages.get(where)
    assert shown.status_code == 200
    assert "Amina Khan" in shown.text and world["laptop"] in shown.text
    assert f'href="/desk/loans/{loan_id}/agreement.pdf"' in shown.text
    assert "Record signature" in shown.text and "Signer&#39;s name" in shown.text


async def test_issuing_by_htmx_is_told_where_to_go(pages, world):
    await sign_in(pages, world["volunteer"])
    due = (date.today() + timedelta(days=30)).isoformat()
    issued = await issue(pages, world, [world["laptop"]], htmx=True, due_on=due)
    assert issued.status_code == 200
    assert issued.headers["hx-redirect"].startswith("/desk/loans/")


async def test_issuing_refused_names_the_problem_and_writes_nothing(pages, world, sessions):
    await sign_in(pages, world["volunteer"])
    past = await issue(pages, world, [world["laptop"]], due_on=date.today().isoformat())
    assert past.status_code == 422
    assert "must be after today" in past.text
    unready = await issue(pages, world, [world["laptop"], world["unready"]])
    assert unready.status_code == 409
    assert "not ready to lend" in unready.text
    nobody = await issue(pages, world, [world["laptop"]], nomination_id="")
    assert nobody.status_code == 422 and "choose the family" in nobody.text
    empty = await issue(pages, world, [])
    assert empty.status_code == 422
    assert await count_rows(sessions, "loan") == 0
    assert await count_rows(sessions, "loan_item") == 0


# --- signing --------------------------------------------------------------------------------------------------


@pytest.fixture
async def loan(pages, world) -> int:
    await sign_in(pages, world["volunteer"])
    issued = await issue(pages, world, [world["laptop"]])
    assert issued.status_code == 303, issued.text
    return int(issued.headers["location"].rsplit("/", 1)[1])


async def sign(pages, loan_id: int, **form):
    token = await csrf(pages, f"/desk/loans/{loan_id}")
    body = {"_csrf_token": token, "signer_name": "Amina Khan", "relationship": "parent", **form}
    return await pages.post(f"/desk/loans/{loan_id}/signature", data=body)


async def test_the_signature_is_recorded_with_its_png_and_the_signed_pdf_is_offered(pages, world, loan):
    image = png(300, 100)
    signed = await sign(pages, loan, signature_png="data:image/png;base64," + base64.b64encode(image).decode())
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"/desk/loans/{loan}"
    view = (await pages.get(f"/api/v1/loans/{loan}", headers=world["volunteer"].headers)).json()
    assert view["agreement"] == "signed"
    acceptance = view["acceptance"]
    assert acceptance["has_signature_image"] is True
    assert acceptance["signer_name"] == "Amina Khan"
    assert acceptance["witnessed_by_id"] == world["volunteer"].id
    page = await pages.get(f"/desk/loans/{loan}")
    assert "Signed by Amina Khan (parent)" in page.text
    assert "Download the signed agreement" in page.text and "Record signature" not in page.text
    pdf = await pages.get(f"/desk/loans/{loan}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == acceptance["signed_pdf_sha256"]
    api_pdf = await pages.get(f"/api/v1/loans/{loan}/agreement.pdf", headers=world["volunteer"].headers)
    assert api_pdf.content == pdf.content
    again = await sign(pages, loan)
    assert again.status_code == 409 and "already signed" in again.text


async def test_without_javascript_the_typed_name_is_the_acceptance(pages, world, loan):
    page = await pages.get(f"/desk/loans/{loan}")
    assert "<noscript>" in page.text and "typed name only" in page.text
    signed = await sign(pages, loan, signature_png="")
    assert signed.status_code == 303
    view = (await pages.get(f"/api/v1/loans/{loan}", headers=world["volunteer"].headers)).json()
    assert view["acceptance"]["has_signature_image"] is False
    assert "by typed name" in (await pages.get(f"/desk/loans/{loan}")).text


async def test_a_bad_signature_is_named_and_nothing_is_recorded(pages, world, loan, sessions):
    missing_name = await sign(pages, loan, signer_name="")
    assert missing_name.status_code == 422 and "signer name" in missing_name.text
    broken = await sign(pages, loan, signature_png=base64.b64encode(b"not a png at all").decode())
    assert broken.status_code == 422 and "signature png" in broken.text
    assert await count_rows(sessions, "loan_acceptance") == 0


async def test_pages_of_a_loan_that_does_not_exist_are_404(pages, world):
    await sign_in(pages, world["volunteer"])
    assert (await pages.get("/desk/loans/999999")).status_code == 404
    assert (await pages.get("/desk/loans/999999/agreement.pdf")).status_code == 404
    assert (await sign(pages, 999999)).status_code == 404
