"""The coordinator's pages over HTTP: the same services and words as the API, and nothing written when refused."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from markupsafe import escape

from lending.accounts.models import Role
from tests.support import PASSWORD, count_rows
from tests.web.conftest import csrf, sign_in
from tests.web.staff_data import LESS_NEEDY, NEEDY, nominate, possible_duplicate

HTMX = {"HX-Request": "true"}


async def nomination(client, staff, nomination_id: int) -> dict:
    answer = await client.get(f"/api/v1/nominations/{nomination_id}", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
async def teacher(make_user):
    return await make_user(Role.school)


@pytest.fixture
async def two_waiting(client, staff, teacher) -> tuple[dict, dict]:
    """A nomination that scores little, then one that scores more: the list must put the second first."""
    low = await nominate(client, teacher, LESS_NEEDY)
    high = await nominate(client, teacher, NEEDY, urgency="urgent", reason="Three children share one phone")
    return high, low


# --- home ------------------------------------------------------------------------------------------------------


async def test_home_counts_what_needs_doing_and_links_every_staff_page(
    pages: AsyncTestClient, client, staff, teacher, two_waiting
) -> None:
    await possible_duplicate(client, staff, teacher)
    await sign_in(pages, staff)
    home = await pages.get("/staff")
    assert home.status_code == 200, home.text
    # Three submitted: two, and the school's record of the possible duplicate.
    assert re.search(r'id="count-decisions">3<', home.text)
    assert re.search(r'id="count-duplicates">1<', home.text)
    for name in ("received", "in-refurbishment", "ready", "sims"):
        assert re.search(rf'id="count-{name}">0<', home.text)
    for path in ("intake", "refurbishment", "waiting-list", "duplicates", "sims", "centres"):
        assert f'href="/staff/{path}"' in home.text
    # Users are the admin's: staff are not shown a link they would be refused.
    assert 'href="/staff/users"' not in home.text


async def test_the_admin_home_links_users(pages: AsyncTestClient, admin) -> None:
    await sign_in(pages, admin)
    assert 'href="/staff/users"' in (await pages.get("/staff")).text


# --- the waiting list ------------------------------------------------------------------------------------------


async def test_waiting_list_in_priority_order_with_each_breakdown(
    pages: AsyncTestClient, client, staff, two_waiting
) -> None:
    high, low = two_waiting
    await sign_in(pages, staff)
    listed = await pages.get("/staff/waiting-list")
    assert listed.status_code == 200, listed.text
    text = listed.text
    assert text.index(f'id="nomination-{high["id"]}"') < text.index(f'id="nomination-{low["id"]}"')
    api = await nomination(client, staff, high["id"])
    assert api["priority"] > (await nomination(client, staff, low["id"]))["priority"]
    # Every factor and its points, as the API computes them (lending/families/priority.py), not just the total.
    for factor in api["priority_breakdown"]:
        assert factor["detail"][1:] in text
        assert f"+{factor['points']}" in text
    assert f"Priority <strong>{api['priority']}</strong>" in text
    # Staff see the evidence, the school and what was asked.
    assert "Three children share one phone" in text and "Urgent" in text
    assert "Free school meals</dt><dd>Yes" in text and "Dad works nights" in text
    assert "1 laptop, 0 tablets, 0 SIMs" in text


async def test_approve_without_javascript_redirects_back_and_leaves_the_list(
    pages: AsyncTestClient, client, staff, two_waiting
) -> None:
    high, low = two_waiting
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/waiting-list")
    answer = await pages.post(
        f"/staff/waiting-list/{high['id']}/decision", data={"decision": "approve", "_csrf_token": token}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/waiting-list?done=approve&nomination={high['id']}"
    assert (await nomination(client, staff, high["id"]))["status"] == "approved"
    after = await pages.get(answer.headers["location"])
    assert f"Nomination {high['id']} approved." in after.text
    assert f'id="nomination-{high["id"]}"' not in after.text
    assert f'id="nomination-{low["id"]}"' in after.text


async def test_htmx_decisions_update_the_row_and_a_second_gets_the_api_409(
    pages: AsyncTestClient, client, staff, two_waiting
) -> None:
    _, low = two_waiting
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/waiting-list")
    path = f"/staff/waiting-list/{low['id']}/decision"
    waitlisted = await pages.post(path, data={"decision": "waitlist", "_csrf_token": token}, headers=HTMX)
    assert waitlisted.status_code == 200
    assert waitlisted.text.lstrip().startswith(f'<li class="card waiting-row" id="nomination-{low["id"]}"')
    assert "Waitlisted" in waitlisted.text and 'value="waitlist"' not in waitlisted.text  # what is possible now

    declined = await pages.post(
        path, data={"decision": "decline", "note": "Moved out of the area", "_csrf_token": token}, headers=HTMX
    )
    assert declined.status_code == 200 and "it has left the waiting list" in declined.text
    body = await nomination(client, staff, low["id"])
    assert body["status"] == "declined"
    assert body["timeline"][-1]["note"] == "Moved out of the area"

    events = await count_rows_for(client, staff, low["id"])
    api = await client.post(
        f"/api/v1/nominations/{low['id']}/decision", json={"decision": "approve"}, headers=staff.headers
    )
    assert api.status_code == 409
    again = await pages.post(path, data={"decision": "approve", "_csrf_token": token}, headers=HTMX)
    assert again.status_code == 409
    words = str(escape(api.json()["detail"]))
    assert words in again.text
    plain = await pages.post(path, data={"decision": "approve", "_csrf_token": token})
    assert plain.status_code == 409 and words in plain.text
    assert await count_rows_for(client, staff, low["id"]) == events


async def count_rows_for(client, staff, nomination_id: int) -> int:
    return len((await nomination(client, staff, nomination_id))["timeline"])


async def test_an_invalid_decision_writes_nothing(pages: AsyncTestClient, client, staff, two_waiting, sessions) -> None:
    high, _ = two_waiting
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/waiting-list")
    audit = await count_rows(sessions, "audit_entry")
    for data in ({"decision": "promote"}, {"decision": "approve", "note": "x" * 5000}):
        answer = await pages.post(f"/staff/waiting-list/{high['id']}/decision", data={**data, "_csrf_token": token})
        assert answer.status_code == 422, answer.text
    missing = await pages.post(
        "/staff/waiting-list/999999/decision", data={"decision": "approve", "_csrf_token": token}
    )
    assert missing.status_code == 404
    assert (await nomination(client, staff, high["id"]))["status"] == "submitted"
    assert await count_rows(sessions, "audit_entry") == audit


@pytest.mark.parametrize("role", [Role.volunteer, Role.school])
async def test_volunteers_and_schools_may_not_decide(
    pages: AsyncTestClient, client, staff, make_user, two_waiting, role: Role
) -> None:
    high, _ = two_waiting
    await sign_in(pages, await make_user(role))
    token = await csrf(pages)
    for path in ("/staff", "/staff/waiting-list", "/staff/duplicates", "/staff/centres", "/staff/users"):
        assert (await pages.get(path)).status_code == 403, path
    answer = await pages.post(
        f"/staff/waiting-list/{high['id']}/decision", data={"decision": "approve", "_csrf_token": token}
    )
    assert answer.status_code == 403 and "Not allowed" in answer.text
    assert (await nomination(client, staff, high["id"]))["status"] == "submitted"


async def test_a_decision_needs_the_csrf_token(pages: AsyncTestClient, client, staff, two_waiting) -> None:
    high, _ = two_waiting
    await sign_in(pages, staff)
    answer = await pages.post(f"/staff/waiting-list/{high['id']}/decision", data={"decision": "approve"})
    assert answer.status_code == 403
    assert (await nomination(client, staff, high["id"]))["status"] == "submitted"


# --- possible duplicates -----------------------------------------------------------------------------------------


async def test_duplicates_side_by_side_and_merge_taking_the_schools_fields(
    pages: AsyncTestClient, client, staff, teacher
) -> None:
    pair = await possible_duplicate(client, staff, teacher)
    await sign_in(pages, staff)
    listed = await pages.get("/staff/duplicates")
    assert listed.status_code == 200, listed.text
    assert "Bilqis Rahman" in listed.text and "B. Rahman" in listed.text
    assert "phone number" in listed.text and "matched</span>" in listed.text
    assert 'name="take" value="postcode"' in listed.text
    # The phone matched and is the same on both: nothing to take.
    assert 'value="phone"' not in listed.text

    token = await csrf(pages, "/staff/duplicates")
    merged = await pages.post(
        f"/staff/duplicates/{pair['id']}/merge", data={"take": ["email", "postcode"], "_csrf_token": token}
    )
    assert merged.status_code == 303 and merged.headers["location"] == "/staff/duplicates?done=merged"
    held = (await client.get(f"/api/v1/families/{pair['held_family']['id']}", headers=staff.headers)).json()
    assert held["email"] == "b@example.org" and held["postcode"] == "B11 1AA"
    assert held["lead_name"] == "Bilqis Rahman"
    left = await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)
    assert left.json()["total"] == 0
    after = await pages.get(merged.headers["location"])
    assert "Merged into the family held." in after.text and "No possible duplicates are open." in after.text

    again = await pages.post(f"/staff/duplicates/{pair['id']}/merge", data={"_csrf_token": token}, headers=HTMX)
    assert again.status_code == 409 and "already merged" in again.text


async def test_keep_apart_with_htmx_answers_the_card(pages: AsyncTestClient, client, staff, teacher) -> None:
    pair = await possible_duplicate(client, staff, teacher)
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/duplicates")
    kept = await pages.post(f"/staff/duplicates/{pair['id']}/keep-apart", data={"_csrf_token": token}, headers=HTMX)
    assert kept.status_code == 200
    assert kept.text.lstrip().startswith(f'<article class="card duplicate" id="duplicate-{pair["id"]}"')
    assert "Kept apart" in kept.text
    listed = await client.get("/api/v1/families/possible-duplicates?status=kept_apart", headers=staff.headers)
    assert [p["id"] for p in listed.json()["items"]] == [pair["id"]]


async def test_a_bad_merge_writes_nothing(pages: AsyncTestClient, client, staff, teacher, sessions) -> None:
    pair = await possible_duplicate(client, staff, teacher)
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/duplicates")
    audit = await count_rows(sessions, "audit_entry")
    bad = await pages.post(f"/staff/duplicates/{pair['id']}/merge", data={"take": ["id"], "_csrf_token": token})
    assert bad.status_code == 422, bad.text
    assert await count_rows(sessions, "audit_entry") == audit
    assert (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["total"] == 1


# --- users -------------------------------------------------------------------------------------------------------


async def test_staff_may_not_manage_users(pages: AsyncTestClient, staff, volunteer, sessions) -> None:
    await sign_in(pages, staff)
    token = await csrf(pages)
    users = await count_rows(sessions, "user_account")
    assert (await pages.get("/staff/users")).status_code == 403
    for path, data in (
        ("/staff/users", {"email": "x@example.org", "name": "X", "role": "admin"}),
        (f"/staff/users/{volunteer.id}/active", {"is_active": "false"}),
        (f"/staff/users/{volunteer.id}/password", {}),
    ):
        answer = await pages.post(path, data={**data, "_csrf_token": token})
        assert answer.status_code == 403, path
    assert await count_rows(sessions, "user_account") == users


async def test_admin_adds_a_school_user_and_the_generated_password_works(
    pages: AsyncTestClient, client, admin, teacher
) -> None:
    await sign_in(pages, admin)
    token = await csrf(pages, "/staff/users")
    added = await pages.post(
        "/staff/users",
        data={
            "name": "Sam Teacher",
            "email": "Sam@Example.org",
            "role": "school",
            "school_id": str(teacher.school_id),
            "home_centre_id": "",
            "_csrf_token": token,
        },
    )
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    password = re.search(r'<code class="secret">([^<]+)</code>', added.text).group(1)  # type: ignore[union-attr]
    assert "sam@example.org" in added.text
    signed = await client.post("/api/v1/auth/token", json={"email": "sam@example.org", "password": password})
    assert signed.status_code == 200
    # Shown once: the list does not show it again.
    assert password not in (await pages.get("/staff/users")).text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "No School", "email": "n@example.org", "role": "school"}, "school_id"),
        ({"name": "Bad Email", "email": "not-an-email", "role": "staff"}, "email"),
        ({"name": "No Role", "email": "r@example.org", "role": "boss"}, "role"),
        (
            {"name": "Nowhere", "email": "c@example.org", "role": "volunteer", "home_centre_id": "999999"},
            "home_centre_id",
        ),
    ],
)
async def test_an_invalid_user_form_writes_nothing_and_names_the_field(
    pages: AsyncTestClient, admin, sessions, data: dict, field: str
) -> None:
    await sign_in(pages, admin)
    token = await csrf(pages, "/staff/users")
    users = await count_rows(sessions, "user_account")
    answer = await pages.post("/staff/users", data={**data, "_csrf_token": token})
    assert answer.status_code == 422, answer.text
    assert f'href="#f-{field}"' in answer.text and f'id="f-{field}-error"' in answer.text
    assert f'value="{data["name"]}"' in answer.text  # what was typed is kept
    assert await count_rows(sessions, "user_account") == users


async def test_an_email_already_used_is_the_apis_409(pages: AsyncTestClient, admin, staff, sessions) -> None:
    await sign_in(pages, admin)
    token = await csrf(pages, "/staff/users")
    users = await count_rows(sessions, "user_account")
    answer = await pages.post(
        "/staff/users", data={"name": "Again", "email": staff.email, "role": "staff", "_csrf_token": token}
    )
    assert answer.status_code == 409 and "already exists" in answer.text
    assert await count_rows(sessions, "user_account") == users


async def test_deactivate_reactivate_and_reset_a_password(pages: AsyncTestClient, client, admin, volunteer) -> None:
    await sign_in(pages, admin)
    token = await csrf(pages, "/staff/users")
    off = await pages.post(f"/staff/users/{volunteer.id}/active", data={"is_active": "false", "_csrf_token": token})
    assert off.status_code == 303 and off.headers["location"] == "/staff/users?done=Deactivated."
    user = (await client.get(f"/api/v1/users/{volunteer.id}", headers=admin.headers)).json()
    assert user["is_active"] is False
    assert (
        await client.post("/api/v1/auth/token", json={"email": volunteer.email, "password": PASSWORD})
    ).status_code == 401
    listed = await pages.get(off.headers["location"])
    assert "Deactivated." in listed.text and "Reactivate" in listed.text

    on = await pages.post(f"/staff/users/{volunteer.id}/active", data={"is_active": "true", "_csrf_token": token})
    assert on.status_code == 303
    assert (await client.get(f"/api/v1/users/{volunteer.id}", headers=admin.headers)).json()["is_active"] is True

    reset = await pages.post(f"/staff/users/{volunteer.id}/password", data={"_csrf_token": token})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    password = re.search(r'<code class="secret">([^<]+)</code>', reset.text).group(1)  # type: ignore[union-attr]
    assert (
        await client.post("/api/v1/auth/token", json={"email": volunteer.email, "password": password})
    ).status_code == 200
    assert (
        await client.post("/api/v1/auth/token", json={"email": volunteer.email, "password": PASSWORD})
    ).status_code == 401


async def test_an_admin_cannot_deactivate_themselves(pages: AsyncTestClient, client, admin, make_user) -> None:
    await make_user(Role.admin)  # not the last admin: refused for being oneself
    await sign_in(pages, admin)
    token = await csrf(pages, "/staff/users")
    answer = await pages.post(f"/staff/users/{admin.id}/active", data={"is_active": "false", "_csrf_token": token})
    assert answer.status_code == 409 and "You cannot deactivate yourself." in answer.text
    bad = await pages.post(f"/staff/users/{admin.id}/active", data={"is_active": "maybe", "_csrf_token": token})
    assert bad.status_code == 422
    assert (await client.get(f"/api/v1/users/{admin.id}", headers=admin.headers)).json()["is_active"] is True


# --- centres -----------------------------------------------------------------------------------------------------


async def test_staff_add_and_edit_a_centre(pages: AsyncTestClient, client, staff) -> None:
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/centres")
    added = await pages.post(
        "/staff/centres",
        data={
            "name": "Sparkbrook Hub",
            "postcode": "b11 1aa",
            "phone": "0121 111 1111",
            "is_active": "on",
            "_csrf_token": token,
        },
    )
    assert added.status_code == 303 and added.headers["location"] == "/staff/centres?done=added"
    (centre,) = (await client.get("/api/v1/centres", headers=staff.headers)).json()["items"]
    assert centre["postcode"] == "B11 1AA" and centre["is_active"] is True
    listed = await pages.get(added.headers["location"])
    assert "Centre added." in listed.text and "Sparkbrook Hub" in listed.text

    form = await pages.get(f"/staff/centres/{centre['id']}")
    assert form.status_code == 200 and 'value="Sparkbrook Hub"' in form.text
    saved = await pages.post(
        f"/staff/centres/{centre['id']}",
        data={
            "name": "Sparkbrook Hub",
            "postcode": "B11 1AA",
            "phone": "",
            "opening_hours": "Tue 10-2",
            "_csrf_token": token,
        },
    )
    assert saved.status_code == 303
    centre = (await client.get(f"/api/v1/centres/{centre['id']}", headers=staff.headers)).json()
    assert centre["opening_hours"] == "Tue 10-2" and centre["is_active"] is False  # unticked: closed
    assert centre["phone"] == ""  # a field cleared on the form is cleared


async def test_an_invalid_centre_writes_nothing(pages: AsyncTestClient, client, staff, sessions) -> None:
    await client.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers)
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/centres")
    audit = await count_rows(sessions, "audit_entry")
    no_postcode = await pages.post("/staff/centres", data={"name": "Nowhere", "_csrf_token": token})
    assert no_postcode.status_code == 422 and 'id="f-postcode-error"' in no_postcode.text
    taken = await pages.post("/staff/centres", data={"name": "aston hub", "postcode": "B6 4AA", "_csrf_token": token})
    assert taken.status_code == 409 and "already exists" in taken.text
    (centre,) = (await client.get("/api/v1/centres", headers=staff.headers)).json()["items"]
    blank = await pages.post(
        f"/staff/centres/{centre['id']}", data={"name": "", "postcode": "B6 4AA", "_csrf_token": token}
    )
    assert blank.status_code == 422 and 'id="f-name-error"' in blank.text
    assert await count_rows(sessions, "audit_entry") == audit
    assert (await client.get("/api/v1/centres", headers=staff.headers)).json()["total"] == 1


async def test_volunteers_may_not_change_centres(pages: AsyncTestClient, client, staff, volunteer, sessions) -> None:
    answer = await client.post(
        "/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers
    )
    centre = answer.json()
    await sign_in(pages, volunteer)
    token = await csrf(pages)
    centres = await count_rows(sessions, "centre")
    assert (
        await pages.post("/staff/centres", data={"name": "X", "postcode": "B1 1AA", "_csrf_token": token})
    ).status_code == 403
    assert (
        await pages.post(
            f"/staff/centres/{centre['id']}", data={"name": "Renamed", "postcode": "B6 4AA", "_csrf_token": token}
        )
    ).status_code == 403
    assert await count_rows(sessions, "centre") == centres
    assert (await client.get(f"/api/v1/centres/{centre['id']}", headers=staff.headers)).json()["name"] == "Aston Hub"
