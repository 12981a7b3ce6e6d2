from __future__ import annotations

import pytest

from lending.accounts.models import Role
from tests.support import days_ago


def family_data(name: str = "Amina Khan", phone: str = "07911 123456", postcode: str = "b12 9qt", **extra) -> dict:
    return {
        "lead_name": name,
        "phone": phone,
        "email": "amina@example.org",
        "address": "1 Ladypool Road",
        "postcode": postcode,
        "preferred_language": "ur",
        "children": 3,
        "school_age_children": 3,
        "devices_at_home": 1,
        "has_broadband": False,
        "free_school_meals": True,
        "pupil_premium": True,
        "on_benefits": True,
        "imd_decile": 1,
        "notes": "Dad works nights",
        "consent_given_on": days_ago(21),
        **extra,
    }


@pytest.fixture
async def school_a(client, staff) -> dict:
    response = await client.post(
        "/api/v1/schools",
        json={"name": "Anderton Park Primary", "urn": "103245", "postcode": "B12 8LR"},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def school_b(client, staff) -> dict:
    response = await client.post(
        "/api/v1/schools", json={"name": "Ark Boulton Academy", "urn": "139032"}, headers=staff.headers
    )
    return response.json()


@pytest.fixture
async def teacher_a(make_user, school_a):
    return await make_user(Role.school, school_id=school_a["id"])


@pytest.fixture
async def teacher_b(make_user, school_b):
    return await make_user(Role.school, school_id=school_b["id"])


@pytest.fixture
def nominate(client):
    async def nominate(actor, *, expect: int = 201, **body):
        body.setdefault("laptops", 1)
        response = await client.post("/api/v1/nominations", json=body, headers=actor.headers)
        assert response.status_code == expect, response.text
        return response.json()

    return nominate
