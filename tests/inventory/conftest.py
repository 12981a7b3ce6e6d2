from __future__ import annotations

from datetime import date

import pytest
from stdnum import luhn

from tests.support import add_months, days_ago


def make_iccid(n: int) -> str:
    body = f"894410{n:012d}"
    return body + luhn.calc_check_digit(body)


def make_imei(n: int) -> str:
    body = f"35{n:012d}"
    return body + luhn.calc_check_digit(body)


def laptop(serial: str = "SN-1", **extra) -> dict:
    return {
        "kind": "laptop",
        "make": "Dell",
        "model": "Latitude 5490",
        "serial_number": serial,
        "cpu": "i5-8350U",
        "ram_gb": 8,
        "storage_gb": 256,
        "storage_type": "ssd",
        "os": "windows-11",
        "battery_health_pct": 81,
        "condition_grade": "B",
        "charger_included": True,
        **extra,
    }


def sim_activated_on() -> date:
    """The first of last month: a six-month plan is running whenever the tests run."""
    return add_months(date.today().replace(day=1), -1)


def sim(n: int = 1, **extra) -> dict:
    return {
        "kind": "sim",
        "iccid": make_iccid(n),
        "network": "Vodafone",
        "msisdn": "07911 123456",
        "data_allowance_gb": 20,
        "plan_months": 6,
        "activated_on": sim_activated_on().isoformat(),
        "voucher_code": "VOUCH-SECRET-1",
        **extra,
    }


@pytest.fixture
async def centre(client, staff) -> dict:
    response = await client.post(
        "/api/v1/centres", json={"name": "Sparkbrook Hub", "postcode": "B11 1AA"}, headers=staff.headers
    )
    assert response.status_code == 201
    return response.json()


@pytest.fixture
async def other_centre(client, staff) -> dict:
    response = await client.post(
        "/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers
    )
    return response.json()


@pytest.fixture
async def donor(client, staff) -> dict:
    response = await client.post(
        "/api/v1/donors",
        json={"name": "Acme Ltd", "kind": "business", "may_thank_publicly": True},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def post_donation(client, staff, centre, donor):
    async def post(*items: dict, actor=None, **fields):
        body = {
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": days_ago(2),
            "items": list(items),
            **fields,
        }
        return await client.post("/api/v1/donations", json=body, headers=(actor or staff).headers)

    return post


@pytest.fixture
def donate(post_donation):
    async def donate(*items: dict, **fields) -> dict:
        response = await post_donation(*items, **fields)
        assert response.status_code == 201, response.text
        return response.json()

    return donate
