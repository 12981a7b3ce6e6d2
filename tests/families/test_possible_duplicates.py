"""A school never gains access to a family through what it typed.

A school's inline family that matches one held elsewhere (same phone, or same name and postcode; held by another
school or added by staff) becomes the school's own record, answered exactly like any nomination, and is held as a
possible duplicate for staff to merge or keep apart. Before and after withdrawal, merge or keep-apart, the school
reads and edits only what it submitted, and no answer reveals the held family or its id.
"""

from __future__ import annotations

import pytest

from tests.families.conftest import family_data
from tests.support import assert_problem

# The family held elsewhere.
HELD = family_data(
    "Bilqis Rahman",
    "07957 123456",
    "B11 4RA",
    email="held@example.org",
    address="7 Held Street",
    notes="Held note: staff only",
    children=5,
    school_age_children=4,
    preferred_language="bn",
)
# What only the family held has (the school typed its own phone or name and postcode): the school never sees it.
HELD_ONLY = ("held@example.org", "7 Held Street", "Held note", "Bilqis")
# What the school types for each way of matching.
TYPED = {
    "phone": family_data(
        "B. Rahman",
        "07957 123456",
        "B12 9QT",
        email="typed@example.org",
        address="1 Typed Road",
        notes="Typed by the school",
        children=2,
        school_age_children=2,
    ),
    "name_postcode": family_data(
        "BILQIS RAHMAN",
        "07912 345678",
        "b11 4ra",
        email="typed@example.org",
        address="1 Typed Road",
        notes="Typed by the school",
        children=2,
        school_age_children=2,
    ),
}


@pytest.fixture
def held_by(client, staff, nominate, teacher_b):
    async def held_by(holder: str) -> int:
        if holder == "staff":
            response = await client.post("/api/v1/families", json=HELD, headers=staff.headers)
            assert response.status_code == 201, response.text
            return response.json()["id"]
        return (await nominate(teacher_b, family=HELD))["family_id"]

    return held_by


def assert_nothing_of_the_held_family(response, held_id: int) -> None:
    text = response.text
    for value in HELD_ONLY:
        assert value not in text, value
    assert "existing_id" not in text and "linked" not in text
    body = response.json()
    for item in body.get("items", [body]):
        if "family_id" in item:  # a nomination
            assert item["family_id"] != held_id
        else:  # a family
            assert item.get("id") != held_id


async def as_school(client, teacher, method: str, url: str, **kwargs):
    return await client.request(method, url, headers=teacher.headers, **kwargs)


@pytest.mark.parametrize("holder", ["another_school", "staff"])
@pytest.mark.parametrize("match", ["phone", "name_postcode"])
async def test_a_school_typing_a_family_held_elsewhere_gets_only_its_own_record(
    client, staff, admin, nominate, teacher_a, held_by, match, holder
):
    held_id = await held_by(holder)
    # An unrelated nomination: the shape every school nomination answers with.
    control = await nominate(teacher_a, family=family_data("Jo Smith", "07911 111111", "B6 4AA"))

    response = await client.post(
        "/api/v1/nominations", json={"family": TYPED[match], "laptops": 1}, headers=teacher_a.headers
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert set(made) == set(control) and made["status"] == "submitted"
    own_id = made["family_id"]
    assert own_id not in (held_id, control["family_id"])
    assert_nothing_of_the_held_family(response, held_id)

    # Staff see the pair, with both families in full.
    pairs = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()
    [pair] = pairs["items"]
    assert (pair["family"]["id"], pair["held_family"]["id"], pair["matched_on"], pair["status"]) == (
        own_id,
        held_id,
        match,
        "open",
    )
    assert pair["held_family"]["address"] == "7 Held Street" and pair["family"]["address"] == "1 Typed Road"
    assert_problem(await client.get("/api/v1/families/possible-duplicates", headers=teacher_a.headers), 403)

    async def school_sees_only_its_own(*, own_visible: bool = True) -> None:
        for method, url, kwargs in (
            ("GET", f"/api/v1/families/{held_id}", {}),
            ("PATCH", f"/api/v1/families/{held_id}", {"json": {"children": 3}}),
            ("POST", "/api/v1/nominations", {"json": {"family_id": held_id, "sims": 1}}),
        ):
            assert_problem(await as_school(client, teacher_a, method, url, **kwargs), 404)
        for query in ("", "?q=rahman", "?q=07957123456", "?q=B11", "?postcode_district=B11"):
            listed = await as_school(client, teacher_a, "GET", f"/api/v1/families{query}")
            assert listed.status_code == 200
            assert_nothing_of_the_held_family(listed, held_id)
            assert held_id not in [f["id"] for f in listed.json()["items"]]
        for query in ("", f"?family_id={held_id}", f"?family_id={own_id}"):
            nominations = await as_school(client, teacher_a, "GET", f"/api/v1/nominations{query}")
            assert_nothing_of_the_held_family(nominations, held_id)
            if query.endswith(str(held_id)):
                assert nominations.json()["total"] == 0
        single = await as_school(client, teacher_a, "GET", f"/api/v1/nominations/{made['id']}")
        assert single.json()["family_id"] == own_id
        assert_nothing_of_the_held_family(single, held_id)
        own = await as_school(client, teacher_a, "GET", f"/api/v1/families/{own_id}")
        if own_visible:
            # Exactly what the school typed (and its own edits), none of the held family's fields.
            assert own.status_code == 200
            body = own.json()
            assert (body["address"], body["notes"], body["email"]) == (
                "1 Typed Road",
                "Typed by the school",
                "typed@example.org",
            )
            assert_nothing_of_the_held_family(own, held_id)
            edited = await as_school(
                client, teacher_a, "PATCH", f"/api/v1/families/{own_id}", json={"devices_at_home": 0}
            )
            assert edited.status_code == 200
            assert_nothing_of_the_held_family(edited, held_id)
        else:
            assert_problem(own, 404)
        for family_id in (own_id, held_id):
            assert_problem(await as_school(client, teacher_a, "GET", f"/api/v1/families/{family_id}/export"), 403)

    await school_sees_only_its_own()
    withdrawn = await as_school(client, teacher_a, "POST", f"/api/v1/nominations/{made['id']}/withdraw", json={})
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["family_id"] == own_id
    await school_sees_only_its_own()

    # Staff merge: the school's nomination moves to the family held, the school still sees it, and only it.
    merged = await client.post(
        f"/api/v1/families/possible-duplicates/{pair['id']}/merge", json={}, headers=staff.headers
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["family"]["merged_into_id"] == held_id
    staff_view = (await client.get(f"/api/v1/nominations/{made['id']}", headers=staff.headers)).json()
    assert (staff_view["family_id"], staff_view["merged_from_family_id"]) == (held_id, own_id)
    await school_sees_only_its_own(own_visible=False)
    mine = (await as_school(client, teacher_a, "GET", "/api/v1/nominations")).json()
    assert {(n["id"], n["family_id"], n["status"]) for n in mine["items"]} == {
        (made["id"], own_id, "withdrawn"),
        (control["id"], control["family_id"], "submitted"),
    }
    # The held family itself is untouched (nothing taken), and the school's record is anonymised.
    held = (await client.get(f"/api/v1/families/{held_id}", headers=staff.headers)).json()
    assert (held["address"], held["notes"]) == ("7 Held Street", "Held note: staff only")
    retired = (await client.get(f"/api/v1/families/{own_id}", headers=staff.headers)).json()
    assert retired["lead_name"] == f"Merged into family {held_id}" and retired["phone"] is None
    assert retired["erased"] is True


async def test_after_a_merge_the_school_follows_its_nomination_but_never_the_family(
    client, staff, nominate, teacher_a, teacher_b
):
    held = await nominate(teacher_b, family=HELD)
    made = await nominate(teacher_a, family=TYPED["phone"])
    [pair] = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    merged = await client.post(
        f"/api/v1/families/possible-duplicates/{pair['id']}/merge",
        json={"take": ["email", "children", "school_age_children"]},
        headers=staff.headers,
    )
    assert merged.status_code == 200, merged.text
    taken = merged.json()["held_family"]
    assert (taken["email"], taken["children"], taken["address"]) == ("typed@example.org", 2, "7 Held Street")
    # Staff decide on the merged nomination; the school sees the decision on its nomination.
    decided = await client.post(
        f"/api/v1/nominations/{made['id']}/decision", json={"decision": "approve"}, headers=staff.headers
    )
    assert decided.status_code == 200, decided.text
    seen = await client.get(f"/api/v1/nominations/{made['id']}", headers=teacher_a.headers)
    assert seen.json()["status"] == "approved" and seen.json()["family_id"] == made["family_id"]
    assert_nothing_of_the_held_family(seen, held["family_id"])
    assert (await client.get("/api/v1/families", headers=teacher_a.headers)).json()["total"] == 0
    # The other school, whose family it was, still reads it and its own nomination only.
    other = (await client.get("/api/v1/nominations", headers=teacher_b.headers)).json()
    assert [n["id"] for n in other["items"]] == [held["id"]]
    # Typing the family again is another possible duplicate, not a way in.
    again = await nominate(teacher_a, family=TYPED["phone"], tablets=1, laptops=0)
    assert again["family_id"] not in (made["family_id"], held["family_id"])
    [second] = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    # That school's first nomination is still open on the family held: merging would give it two.
    clash = assert_problem(
        await client.post(f"/api/v1/families/possible-duplicates/{second['id']}/merge", json={}, headers=staff.headers),
        409,
    )
    assert set(clash["nomination_ids"]) == {again["id"], made["id"]}
    kept = await client.post(f"/api/v1/families/possible-duplicates/{second['id']}/keep-apart", headers=staff.headers)
    assert kept.status_code == 200 and kept.json()["status"] == "kept_apart"
    assert_problem(
        await client.post(f"/api/v1/families/possible-duplicates/{second['id']}/merge", json={}, headers=staff.headers),
        409,
    )
    assert_problem(
        await client.post(f"/api/v1/families/possible-duplicates/{pair['id']}/keep-apart", headers=staff.headers), 409
    )
    assert_problem(
        await client.post("/api/v1/families/possible-duplicates/999999/merge", json={}, headers=staff.headers), 404
    )
    history = (
        await client.get("/api/v1/families/possible-duplicates?status=merged,kept_apart", headers=staff.headers)
    ).json()
    assert [(p["id"], p["status"]) for p in history["items"]] == [(pair["id"], "merged"), (second["id"], "kept_apart")]
    assert all(p["resolved_by_id"] == staff.id and p["resolved_at"] for p in history["items"])
    assert_problem(
        await client.get("/api/v1/families/possible-duplicates?status=maybe", headers=staff.headers), 422, "status"
    )
    assert_problem(
        await client.post(
            f"/api/v1/families/possible-duplicates/{second['id']}/merge",
            json={"take": ["consent_given_on"]},
            headers=staff.headers,
        ),
        422,
    )


async def test_a_school_edit_that_matches_a_family_held_elsewhere_is_flagged_not_refused(
    client, staff, nominate, teacher_a, teacher_b
):
    held = await nominate(teacher_b, family=HELD)
    mine = await nominate(teacher_a, family=family_data("Jo Smith", "07911 111111", "B6 4AA"))
    plain = await client.patch(
        f"/api/v1/families/{mine['family_id']}", json={"devices_at_home": 2}, headers=teacher_a.headers
    )
    matching = await client.patch(
        f"/api/v1/families/{mine['family_id']}", json={"phone": "07957 123456"}, headers=teacher_a.headers
    )
    assert matching.status_code == plain.status_code == 200, matching.text
    assert set(matching.json()) == set(plain.json()) and matching.json()["phone"] == "+447957123456"
    assert_nothing_of_the_held_family(matching, held["family_id"])
    again = await client.patch(
        f"/api/v1/families/{mine['family_id']}",
        json={"lead_name": "Bilqis Rahman", "postcode": "B11 4RA"},
        headers=teacher_a.headers,
    )
    assert again.status_code == 200
    # One pair for staff, however often the school edits.
    [pair] = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    assert (pair["family"]["id"], pair["held_family"]["id"], pair["nomination"]) == (
        mine["family_id"],
        held["family_id"],
        None,
    )
    # A clash with another family the school itself nominated is no secret: that one is refused by id.
    other_own = await nominate(teacher_a, family=family_data("Kay Obi", "07912 345678", "B5 5AA"))
    clash = assert_problem(
        await client.patch(
            f"/api/v1/families/{mine['family_id']}", json={"phone": "07912345678"}, headers=teacher_a.headers
        ),
        409,
    )
    assert clash["existing_id"] == other_own["family_id"]
    # Typing again a family the school already nominated joins it: the school already sees it.
    repeat = await client.post(
        "/api/v1/nominations",
        json={"family": family_data("Kay Obi", "07912 345678", "B5 5AA"), "sims": 1},
        headers=teacher_a.headers,
    )
    assert_problem(repeat, 409)  # it already has an open nomination for it
    # Staff keep the 409 naming the family held, for their own additions and edits.
    body = assert_problem(await client.post("/api/v1/families", json=HELD, headers=staff.headers), 409)
    assert body["existing_id"] == held["family_id"]
    body = assert_problem(
        await client.patch(
            f"/api/v1/families/{other_own['family_id']}", json={"phone": "07957 123456"}, headers=staff.headers
        ),
        409,
    )
    assert body["existing_id"] == held["family_id"]


async def test_erasing_a_family_settles_its_open_pairs_and_merged_records(
    client, staff, admin, nominate, teacher_a, teacher_b
):
    held = await nominate(teacher_b, family=HELD)
    await nominate(teacher_a, family=TYPED["name_postcode"])
    [pair] = (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["items"]
    erased = await client.post(f"/api/v1/families/{held['family_id']}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert (await client.get("/api/v1/families/possible-duplicates", headers=staff.headers)).json()["total"] == 0
    settled = (await client.get("/api/v1/families/possible-duplicates?status=superseded", headers=staff.headers)).json()
    assert [p["id"] for p in settled["items"]] == [pair["id"]]
    assert_problem(
        await client.post(f"/api/v1/families/possible-duplicates/{pair['id']}/merge", json={}, headers=staff.headers),
        409,
    )
