"""Setting up what the coordinator's pages show, through the API (an AsyncTestClient or a live server's httpx)."""

from __future__ import annotations

from typing import Any

from tests.families.conftest import family_data
from tests.support import Actor

# A family that scores high (free school meals, Pupil Premium, IMD 1, no broadband, children sharing a device) and
# one that scores little, so that the waiting list's order is known.
NEEDY = family_data("Amina Khan", "07911 123456", "B12 9QT")
LESS_NEEDY = family_data(
    "Joe Bloggs",
    "07922 654321",
    "B15 2TT",
    email="joe@example.org",
    free_school_meals=False,
    pupil_premium=False,
    on_benefits=False,
    imd_decile=8,
    has_broadband=True,
    devices_at_home=3,
    notes="",
)

HELD = family_data("Bilqis Rahman", "07957 123456", "B11 4RA", email="held@example.org", notes="Held note")


async def add_school(api: Any, staff: Actor, name: str = "Anderton Park Primary", urn: str = "103245") -> dict:
    answer = await api.post(
        "/api/v1/schools", json={"name": name, "urn": urn, "postcode": "B12 8LR"}, headers=staff.headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def nominate(api: Any, actor: Actor, family: dict, school_id: int | None = None, **body: Any) -> dict:
    payload: dict[str, Any] = {"family": family, "laptops": 1, **body}
    if school_id is not None:
        payload["school_id"] = school_id
    answer = await api.post("/api/v1/nominations", json=payload, headers=actor.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def possible_duplicate(api: Any, staff: Actor, teacher: Actor) -> dict:
    """Staff hold a family; a school then types the same phone number: an open possible duplicate."""
    held = await api.post("/api/v1/families", json=HELD, headers=staff.headers)
    assert held.status_code == 201, held.text
    typed = {**HELD, "lead_name": "B. Rahman", "postcode": "B11 1AA", "email": "b@example.org", "notes": "Typed"}
    await nominate(api, teacher, typed)
    listed = await api.get("/api/v1/families/possible-duplicates", headers=staff.headers)
    (pair,) = listed.json()["items"]
    return pair
