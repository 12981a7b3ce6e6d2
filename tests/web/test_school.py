"""The school portal over HTTP: nominate, follow and withdraw the school's own nominations, and nothing else."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from tests.families.conftest import family_data
from tests.support import count_rows, days_ago
from tests.web.conftest import csrf, sign_in

FORM = {
    "lead_name": "Amina Khan",
    "phone": "07911 123456",
    "email": "",
    "postcode": "b12 9qt",
    "preferred_language": "ur",
    "children": "3",
    "school_age_children": "2",
    "devices_at_home": "0",
    "has_broadband": "no",
    "free_school_meals": "on",
    "consent_given_on": days_ago(3),
    "laptops": "1",
    "tablets": "",
    "sims": "1",
    "reason": "Homework is set online; the family shares one phone.",
    "urgency": "urgent",
}
WRITTEN = ("family", "nomination", "nomination_event", "possible_duplicate")


async def written(sessions) -> dict[str, int]:
    return {table: await count_rows(sessions, table) for table in WRITTEN}


async def nominate_page(pages: AsyncTestClient, **changes: str | None):
    form = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    form["_csrf_token"] = await csrf(pages, "/school/nominations/new")
    return await pages.post("/school/nominations", data=form)


def error_next_to(html: str, field: str) -> str:
    """The message shown next to `field` (the `f-{field}-error` paragraph)."""
    match = re.search(rf'id="f-{field}-error">([^<]+)<', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


@pytest.fixture
async def school(make_user):
    return await make_user(Role.school)


@pytest.fixture
async def other_school(make_user):
    return await make_user(Role.school)


async def api_nominate(client, actor, name: str = "Amina Khan", phone: str = "07911 123456", **extra) -> dict:
    body = {"family": family_data(name=name, phone=phone), "laptops": 1, **extra}
    answer = await client.post("/api/v1/nominations", json=body, headers=actor.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_school_nominates_a_family_and_is_shown_it(pages: AsyncTestClient, client, school, sessions) -> None:
    await sign_in(pages, school)
    form = await pages.get("/school/nominations/new")
    assert form.status_code == 200
    for label in ("Parent or carer&#39;s full name", "Phone number", "Home postcode", "Laptops", "Why they need it"):
        assert label in form.text

    sent = await nominate_page(pages)
    assert sent.status_code == 303, sent.text
    assert re.fullmatch(r"/school/nominations/\d+\?sent=1", sent.headers["location"])
    shown = await pages.get(sent.headers["location"])
    assert "Nomination sent" in shown.text
    assert "Amina Khan" in shown.text and "1 laptop, 1 SIM" in shown.text and "Urgent" in shown.text
    assert "+447911123456" in shown.text and "B12 9QT" in shown.text and "Waiting for a decision" in shown.text
    assert "priority" not in shown.text.lower()

    # The same nomination through the API's eyes: what the page sent is what the API would have made.
    nomination_id = int(sent.headers["location"].split("/")[-1].split("?")[0])
    api = (await client.get(f"/api/v1/nominations/{nomination_id}", headers=school.headers)).json()
    assert (api["laptops"], api["tablets"], api["sims"], api["urgency"]) == (1, 0, 1, "urgent")
    family = (await client.get(f"/api/v1/families/{api['family_id']}", headers=school.headers)).json()
    assert family["phone"] == "+447911123456" and family["school_age_children"] == 2
    assert family["free_school_meals"] is True and family["pupil_premium"] is False
    assert family["has_broadband"] is False and family["email"] is None
    assert family["consent_given_on"] == days_ago(3)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("lead_name", "", "required"),
        ("phone", "0123", "phone number"),
        ("email", "not-an-email", "email"),
        ("postcode", "ZZZ", "postcode"),
        ("children", "0", "greater than or equal to 1"),
        ("school_age_children", "5", "cannot be more than children"),
        ("has_broadband", None, "required"),
        ("consent_given_on", "", "required"),
        ("consent_given_on", (date.today() + timedelta(days=30)).isoformat(), "future"),
        ("laptops", "0", "at least one"),
        ("preferred_language", "English!", "pattern"),
        ("urgency", "tomorrow", "normal"),
    ],
)
async def test_each_invalid_field_is_named_next_to_it_and_nothing_is_written(
    pages: AsyncTestClient, school, sessions, field: str, value: str | None, words: str
) -> None:
    await sign_in(pages, school)
    before = await written(sessions)
    changes: dict[str, str | None] = {field: value}
    if field == "laptops":
        changes["sims"] = "0"
    answer = await nominate_page(pages, **changes)
    assert answer.status_code == 422, answer.text
    assert words.lower() in error_next_to(answer.text, field).lower()
    assert 'class="error-summary"' in answer.text and f'href="#f-{field}"' in answer.text
    # Everything typed is still there to correct.
    assert 'value="Amina Khan"' in answer.text or field == "lead_name"
    assert "Homework is set online" in answer.text
    assert 'name="free_school_meals" checked' in answer.text
    assert await written(sessions) == before


async def test_the_list_shows_only_the_schools_own_nominations(
    pages: AsyncTestClient, client, school, other_school
) -> None:
    first = await api_nominate(client, school, "Amina Khan", "07911 123456")
    second = await api_nominate(client, school, "Bogdan Nowak", "07912 345678", sims=1)
    theirs = await api_nominate(client, other_school, "Chidi Okafor", "07957 123456")
    await sign_in(pages, school)
    home = await pages.get("/school")
    assert home.status_code == 200
    assert "Chidi Okafor" not in home.text and f"/school/nominations/{theirs['id']}" not in home.text
    # Newest first.
    assert home.text.index(f"/school/nominations/{second['id']}") < home.text.index(
        f"/school/nominations/{first['id']}"
    )
    assert "Bogdan Nowak" in home.text and "1 laptop, 1 SIM" in home.text


async def test_another_schools_nomination_and_family_are_not_found(
    pages: AsyncTestClient, client, school, other_school
) -> None:
    theirs = await api_nominate(client, other_school, "Chidi Okafor", "07957 123456")
    await sign_in(pages, school)
    token = await csrf(pages, "/school")
    for path in (
        f"/school/nominations/{theirs['id']}",
        f"/school/nominations/{theirs['id']}/withdraw",
        f"/school/families/{theirs['family_id']}",
    ):
        answer = await pages.get(path)
        assert answer.status_code == 404, path
        assert "Not found" in answer.text and "Chidi" not in answer.text
        # The API's answer, word for word.
        api = await client.get(path.replace("/school/", "/api/v1/").removesuffix("/withdraw"), headers=school.headers)
        assert api.status_code == 404 and api.json()["detail"] in answer.text
    for path in (f"/school/nominations/{theirs['id']}/withdraw", f"/school/families/{theirs['family_id']}"):
        answer = await pages.post(path, data={"_csrf_token": token, "note": "", "lead_name": "Mine now"})
        assert answer.status_code == 404, path
    still = await client.get(f"/api/v1/nominations/{theirs['id']}", headers=other_school.headers)
    assert still.json()["status"] == "submitted"
    family = await client.get(f"/api/v1/families/{theirs['family_id']}", headers=other_school.headers)
    assert family.json()["lead_name"] == "Chidi Okafor"


async def test_a_school_withdraws_its_nomination_after_confirming(pages: AsyncTestClient, client, school) -> None:
    mine = await api_nominate(client, school)
    await sign_in(pages, school)
    shown = await pages.get(f"/school/nominations/{mine['id']}")
    assert f'href="/school/nominations/{mine["id"]}/withdraw"' in shown.text
    confirm = await pages.get(f"/school/nominations/{mine['id']}/withdraw")
    assert confirm.status_code == 200 and "Yes, withdraw it" in confirm.text
    token = await csrf(pages, f"/school/nominations/{mine['id']}/withdraw")
    done = await pages.post(
        f"/school/nominations/{mine['id']}/withdraw", data={"_csrf_token": token, "note": "Moved away"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/school/nominations/{mine['id']}?withdrawn=1"
    after = await pages.get(done.headers["location"])
    assert "Nomination withdrawn" in after.text and "Withdrawn" in after.text
    assert "/withdraw" not in after.text
    api = (await client.get(f"/api/v1/nominations/{mine['id']}", headers=school.headers)).json()
    assert api["status"] == "withdrawn" and api["timeline"][-1]["note"] == "Moved away"
    # Twice is the API's 409, as a page.
    again = await pages.post(f"/school/nominations/{mine['id']}/withdraw", data={"_csrf_token": token, "note": ""})
    assert again.status_code == 409 and "cannot be withdrawn" in again.text
    confirm = await pages.get(f"/school/nominations/{mine['id']}/withdraw")
    assert "can no longer be withdrawn" in confirm.text and "Yes, withdraw it" not in confirm.text


async def test_a_duplicate_nomination_says_nothing_of_the_other_family(
    pages: AsyncTestClient, client, school, other_school, staff, sessions
) -> None:
    held = await api_nominate(client, other_school, "Amina Khan", "07911 123456")
    await sign_in(pages, school)
    sent = await nominate_page(pages)  # the same phone number as the family the other school nominated
    assert sent.status_code == 303
    shown = await pages.get(sent.headers["location"])
    assert "Nomination sent" in shown.text
    nomination_id = int(sent.headers["location"].split("/")[-1].split("?")[0])
    api = (await client.get(f"/api/v1/nominations/{nomination_id}", headers=school.headers)).json()
    # The school has its own record of what it typed, never the family held, and no word of a match.
    assert api["family_id"] != held["family_id"]
    assert f"/families/{held['family_id']}" not in shown.text and f"/families/{api['family_id']}" in shown.text
    for words in ("duplicate", "already", "held", "match"):
        assert words not in shown.text.lower()
    assert (await pages.get(f"/school/families/{held['family_id']}")).status_code == 404
    # Staff have it to decide.
    pairs = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    assert [(p["family"]["id"], p["held_family"]["id"]) for p in pairs] == [(api["family_id"], held["family_id"])]


async def test_nominating_the_same_family_twice_is_the_apis_conflict(pages: AsyncTestClient, school, sessions) -> None:
    await sign_in(pages, school)
    first = await nominate_page(pages)
    assert first.status_code == 303
    before = await written(sessions)
    again = await nominate_page(pages)
    assert again.status_code == 409
    assert "already has an open nomination" in again.text and 'value="Amina Khan"' in again.text
    assert await written(sessions) == before


async def test_a_merged_nomination_shows_nothing_of_the_family_held(
    pages: AsyncTestClient, client, school, other_school, staff
) -> None:
    body = {"family": family_data(email="held@example.org", address="9 Held Street"), "laptops": 1}
    held = (await client.post("/api/v1/nominations", json=body, headers=other_school.headers)).json()
    mine = await api_nominate(client, school)
    pairs = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    merged = await client.post(
        f"/api/v1/families/possible-duplicates/{pairs[0]['id']}/merge", json={"take": []}, headers=staff.headers
    )
    assert merged.status_code == 200, merged.text
    await sign_in(pages, school)
    for path in ("/school", f"/school/nominations/{mine['id']}"):
        shown = await pages.get(path)
        assert shown.status_code == 200
        assert "held@example.org" not in shown.text and "Held Street" not in shown.text
        assert f"/families/{held['family_id']}" not in shown.text
    assert "no longer shown here" in (await pages.get(f"/school/nominations/{mine['id']}")).text


async def test_a_school_corrects_its_familys_details(pages: AsyncTestClient, client, school, sessions) -> None:
    mine = await api_nominate(client, school)
    await sign_in(pages, school)
    form = await pages.get(f"/school/families/{mine['family_id']}")
    assert form.status_code == 200 and 'value="Amina Khan"' in form.text
    token = await csrf(pages, f"/school/families/{mine['family_id']}")
    base = {
        "lead_name": "Amina Khan",
        "phone": "07911 222222",
        "postcode": "B12 9QT",
        "preferred_language": "ur",
        "children": "3",
        "school_age_children": "3",
        "devices_at_home": "1",
        "has_broadband": "yes",
        "pupil_premium": "on",
        "_csrf_token": token,
    }
    wrong = await pages.post(f"/school/families/{mine['family_id']}", data={**base, "phone": "12"})
    assert wrong.status_code == 422 and "phone number" in error_next_to(wrong.text, "phone")
    assert 'value="12"' in wrong.text
    saved = await pages.post(f"/school/families/{mine['family_id']}", data=base)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    family = (await client.get(f"/api/v1/families/{mine['family_id']}", headers=school.headers)).json()
    assert family["phone"] == "+447911222222" and family["has_broadband"] is True
    assert family["pupil_premium"] is True and family["free_school_meals"] is False


@pytest.mark.parametrize("role", [Role.volunteer, Role.staff, Role.admin])
async def test_other_roles_are_refused_the_school_pages(pages: AsyncTestClient, client, make_user, role) -> None:
    school = await make_user(Role.school)
    mine = await api_nominate(client, school)
    await sign_in(pages, await make_user(role))
    for path in (
        "/school",
        "/school/nominations/new",
        f"/school/nominations/{mine['id']}",
        f"/school/nominations/{mine['id']}/withdraw",
        f"/school/families/{mine['family_id']}",
    ):
        answer = await pages.get(path)
        assert answer.status_code == 403, path
        assert "Not allowed" in answer.text and "Amina" not in answer.text
    token = await csrf(pages)
    refused = await pages.post(f"/school/nominations/{mine['id']}/withdraw", data={"_csrf_token": token})
    assert refused.status_code == 403
    assert (await client.get(f"/api/v1/nominations/{mine['id']}", headers=school.headers)).json()["status"] == (
        "submitted"
    )
