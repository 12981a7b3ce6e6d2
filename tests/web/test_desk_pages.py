"""The desk's scan box, asset card and returns over HTTP, signed in by cookie, as a browser without JavaScript."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from markupsafe import escape

from lending.accounts.models import Role
from lending.inventory.tags import Tag
from tests.support import count_rows
from tests.web.conftest import csrf, sign_in
from tests.web.desk_data import DeskData


@pytest.fixture
async def data(pages: AsyncTestClient, staff) -> DeskData:
    # Through `pages`, not a second test client: two clients on one app share its engine across event loops,
    # which asyncpg refuses.
    return DeskData(pages, staff.headers)


def basket_tags(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="item" value="([^"]+)">', html)


async def test_scan_box_is_labelled_and_focused(pages: AsyncTestClient, volunteer) -> None:
    await sign_in(pages, volunteer)
    answer = await pages.get("/desk")
    assert answer.status_code == 200
    assert '<label for="scan-tag">Scan a tag</label>' in answer.text
    assert re.search(r'<input id="scan-tag" name="tag"[^>]*data-scan-input data-autofocus', answer.text)
    assert 'method="get" action="/desk"' in answer.text and "data-scan-form" in answer.text
    assert "/static/camera.js" in answer.text


async def test_card_of_a_ready_asset(pages: AsyncTestClient, data: DeskData, make_user) -> None:
    centre = await data.centre()
    other = await data.centre("Aston Hub", "B6 4AA")
    [tag] = await data.stock(1)
    volunteer = await make_user(Role.volunteer, home_centre_id=other["id"])
    await sign_in(pages, volunteer)
    answer = await pages.get(f"/desk?tag={tag.lower()}")
    assert answer.status_code == 200
    card = answer.text.split('data-asset-card="', 1)[1]
    assert card.startswith(tag)
    assert ">ready<" in card and "Laptop: Dell Latitude 5490" in card and centre["name"] in card
    assert "Wiped " in card and "by Workshop (nwipe" in card
    assert f'href="/desk/loans/new?tag={tag}"' in card
    assert f'href="/desk/labels?tags={tag}"' in card
    assert "/desk/returns?tag=" not in card and "On loan" not in card
    assert f'action="/desk/assets/{tag}/move"' in card  # the records say Sparkbrook; this volunteer is at Aston
    same = await pages.get(f"/desk/assets/{tag}")
    assert same.status_code == 200 and f'data-asset-card="{tag}"' in same.text


async def test_move_to_my_centre(pages: AsyncTestClient, data: DeskData, make_user, staff) -> None:
    await data.centre()
    other = await data.centre("Aston Hub", "B6 4AA")
    [tag] = await data.stock(1)
    volunteer = await make_user(Role.volunteer, home_centre_id=other["id"])
    await sign_in(pages, volunteer)
    token = await csrf(pages, f"/desk/assets/{tag}")
    answer = await pages.post(f"/desk/assets/{tag}/move", data={"_csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == f"/desk/assets/{tag}"
    asset = (await pages.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()
    assert asset["centre_id"] == other["id"]
    card = (await pages.get(f"/desk/assets/{tag}")).text
    assert "Aston Hub" in card and "/move" not in card


async def test_an_unwiped_asset_needs_a_wipe(pages: AsyncTestClient, data: DeskData, volunteer) -> None:
    await data.centre()
    [tag] = await data.stock(1, wiped=False)
    await sign_in(pages, volunteer)
    card = (await pages.get(f"/desk/assets/{tag}")).text
    assert "Needs a wipe" in card and ">received<" in card
    assert "/desk/loans/new" not in card.split('data-asset-card="', 1)[1]


@pytest.mark.parametrize("role", [Role.volunteer, Role.staff])
async def test_card_of_a_lent_asset_shows_the_loan_and_family_not_evidence(
    pages: AsyncTestClient, data: DeskData, make_user, volunteer, role: Role
) -> None:
    centre = await data.centre()
    family = await data.family("Amina Khan", "07911 123456", notes="Dad works nights")
    tags = await data.stock(2)
    loan = await data.lend(family, centre, tags, volunteer.headers)
    await sign_in(pages, await make_user(role))
    answer = await pages.get(f"/desk/assets/{tags[1]}")
    card = answer.text.split('data-asset-card="', 1)[1]
    assert ">on loan<" in card
    assert f"Loan {loan['reference']} (id {loan['id']})" in card
    assert "Amina Khan" in card and family["phone"] in card
    assert f'href="/desk/returns?tag={tags[1]}"' in card and "/desk/loans/new" not in card
    # Why the family qualifies is never on the desk's card, whoever looks.
    assert "Dad works nights" not in answer.text and "free_school_meals" not in answer.text


def mistyped(tag: str) -> str:
    """The tag with another check character: one slip of a finger."""
    last = tag[-1]
    return tag[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize("kind", ["wrong check character", "not a tag", "nobody's tag"])
async def test_unknown_or_mistyped_tag_says_so_and_keeps_the_box(
    pages: AsyncTestClient, data: DeskData, volunteer, staff, kind: str
) -> None:
    await data.centre()
    [tag] = await data.stock(1)
    typed = {
        "wrong check character": mistyped(tag),
        "not a tag": "not a tag",
        "nobody's tag": str(Tag(tag.split("-")[0], 900000)),
    }[kind]
    await sign_in(pages, volunteer)
    api = await pages.get(f"/api/v1/assets/{typed}", headers=staff.headers)
    assert api.status_code == 404
    for headers in ({}, {"HX-Request": "true"}):
        answer = await pages.get("/desk", params={"tag": typed}, headers=headers)
        assert answer.status_code == 404
        assert escape(api.json()["detail"]) in answer.text  # the API's words
        assert 'role="alert"' in answer.text and "data-asset-card" not in answer.text
        if headers:
            assert "<html" not in answer.text  # htmx gets the part under the box; the box stays as it is
        else:
            assert 'id="scan-tag"' in answer.text


async def test_htmx_scan_gets_the_card_part(pages: AsyncTestClient, data: DeskData, volunteer) -> None:
    await data.centre()
    [tag] = await data.stock(1)
    await sign_in(pages, volunteer)
    answer = await pages.get(f"/desk?tag={tag}", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert f'data-asset-card="{tag}"' in answer.text and "<html" not in answer.text


# --- returns ----------------------------------------------------------------------------------------------------


@pytest.fixture
async def two_loans(data: DeskData, volunteer) -> dict:
    centre = await data.centre()
    amina = await data.family("Amina Khan", "07911 123456")
    bilal = await data.family("Bilal Ahmed", "07922 654321", postcode="b11 1aa")
    a_tags = await data.stock(2)
    b_tags = await data.stock(2)
    return {
        "a": await data.lend(amina, centre, a_tags, volunteer.headers),
        "b": await data.lend(bilal, centre, b_tags, volunteer.headers),
        "a_tags": a_tags,
        "b_tags": b_tags,
    }


async def test_returns_across_two_loans(pages: AsyncTestClient, two_loans: dict, volunteer, data: DeskData) -> None:
    a_tags, b_tags = two_loans["a_tags"], two_loans["b_tags"]
    await sign_in(pages, volunteer)
    token = await csrf(pages, "/desk/returns")
    form: dict[str, object] = {"_csrf_token": token, "item": []}
    html = ""
    for tag in [b_tags[0], a_tags[0].lower(), a_tags[1]]:
        answer = await pages.post("/desk/returns", data={**form, "tag": tag})
        assert answer.status_code == 200, answer.text
        html = answer.text
        form["item"] = basket_tags(html)
    assert form["item"] == [b_tags[0], a_tags[0], a_tags[1]]
    assert f"Loan {two_loans['a']['reference']} · Amina Khan" in html
    assert f"Loan {two_loans['b']['reference']} · Bilal Ahmed" in html
    # The same tag again is not added twice.
    again = await pages.post("/desk/returns", data={**form, "tag": a_tags[1]})
    assert basket_tags(again.text) == form["item"] and "already in the basket" in again.text

    confirm = {
        **form,
        f"condition-{a_tags[0]}": "damaged",
        f"charger-{a_tags[0]}": "no",
        f"charger-{a_tags[1]}": "yes",
        f"condition-{b_tags[0]}": "faulty",
        "confirm": "1",
    }
    answer = await pages.post("/desk/returns", data=confirm)
    assert answer.status_code == 303, answer.text
    done = await pages.get(answer.headers["location"])
    assert done.status_code == 200
    assert f"Loan {two_loans['a']['reference']}</strong> · Amina Khan:" in done.text
    assert "nothing still out, the loan is returned." in done.text
    assert f"still out: {b_tags[1]}" in done.text

    a = await data.loan(two_loans["a"]["id"])
    b = await data.loan(two_loans["b"]["id"])
    assert a["status"] == "returned" and b["status"] == "active"
    items = {i["tag"]: i for i in a["items"] + b["items"]}
    assert (items[a_tags[0]]["return_condition"], items[a_tags[0]]["charger_returned"]) == ("damaged", False)
    assert (items[a_tags[1]]["return_condition"], items[a_tags[1]]["charger_returned"]) == ("good", True)
    assert (items[b_tags[0]]["return_condition"], items[b_tags[0]]["charger_returned"]) == ("faulty", None)
    assert items[b_tags[1]]["ended_at"] is None


async def test_returns_refuses_a_tag_not_on_loan(pages: AsyncTestClient, two_loans: dict, volunteer, data) -> None:
    [ready] = await data.stock(1)
    await sign_in(pages, volunteer)
    token = await csrf(pages, "/desk/returns")
    a0 = two_loans["a_tags"][0]
    answer = await pages.post("/desk/returns", data={"_csrf_token": token, "item": [a0], "tag": ready})
    assert answer.status_code == 404
    assert f"{ready} is not on loan (it is ready)." in answer.text
    assert 'id="return-tag-error" role="alert"' in answer.text
    assert basket_tags(answer.text) == [a0]  # the basket is kept
    bad = await pages.post("/desk/returns", data={"_csrf_token": token, "item": [a0], "tag": "LAP-1"})
    assert bad.status_code == 422 and "is not an asset tag" in bad.text and basket_tags(bad.text) == [a0]


async def test_a_refused_basket_writes_nothing(
    pages: AsyncTestClient, two_loans: dict, volunteer, data: DeskData, sessions
) -> None:
    a_tags = two_loans["a_tags"]
    await sign_in(pages, volunteer)
    token = await csrf(pages, "/desk/returns")
    basket = {"_csrf_token": token, "item": [a_tags[0], two_loans["b_tags"][0]], "confirm": "1"}
    # Meanwhile another desk takes the second loan's item back through the API.
    took = await pages.post(
        f"/api/v1/loans/{two_loans['b']['id']}/returns",
        json={"items": [{"tag": two_loans["b_tags"][0], "condition": "good"}]},
        headers=volunteer.headers,
    )
    assert took.status_code == 200
    events = await count_rows(sessions, "audit_entry")
    answer = await pages.post("/desk/returns", data=basket)
    assert answer.status_code == 409
    assert f"{two_loans['b_tags'][0]} was taken out of the basket" in answer.text
    assert basket_tags(answer.text) == [a_tags[0]]
    assert (await data.loan(two_loans["a"]["id"]))["items"][0]["ended_at"] is None
    assert await count_rows(sessions, "audit_entry") == events


async def test_returns_started_from_a_card_and_empty_confirm(
    pages: AsyncTestClient, two_loans: dict, volunteer
) -> None:
    await sign_in(pages, volunteer)
    tag = two_loans["b_tags"][1]
    answer = await pages.get(f"/desk/returns?tag={tag}")
    assert answer.status_code == 200 and basket_tags(answer.text) == [tag]
    assert "Bilal Ahmed" in answer.text
    token = await csrf(pages, "/desk/returns")
    empty = await pages.post("/desk/returns", data={"_csrf_token": token, "confirm": "1"})
    assert empty.status_code == 422 and "Scan at least one item to return." in empty.text
    removed = await pages.post("/desk/returns", data={"_csrf_token": token, "item": [tag], "remove": tag})
    assert removed.status_code == 200 and basket_tags(removed.text) == [] and f"Took {tag} out" in removed.text


async def test_a_labels_qr_address_takes_the_desk_to_the_card(
    pages: AsyncTestClient, data: DeskData, volunteer
) -> None:
    await data.centre()
    [tag] = await data.stock(1)
    await sign_in(pages, volunteer)
    found = await pages.get(f"/a/{tag.lower()}")
    assert found.status_code == 303 and found.headers["location"] == f"/desk/assets/{tag}"
    card = await pages.get(found.headers["location"])
    assert card.status_code == 200 and f'data-asset-card="{tag}"' in card.text
