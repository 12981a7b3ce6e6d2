from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.families.conftest import family_data
from tests.support import days_ago, free_port, stop_serving, wait_until_serving


def sim_activated_on() -> date:
    """Stock SIMs were activated three weeks ago on a 12-month plan: never expired, whenever the tests run."""
    return date.today() - timedelta(days=21)


__all__ = ["family_data"]


@pytest.fixture
async def centre(client, staff) -> dict:
    return (
        await client.post(
            "/api/v1/centres", json={"name": "Sparkbrook Hub", "postcode": "B11 1AA"}, headers=staff.headers
        )
    ).json()


@pytest.fixture
async def other_centre(client, staff) -> dict:
    return (
        await client.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers)
    ).json()


@pytest.fixture
async def family(client, staff) -> dict:
    response = await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def stock(client, staff, centre):
    """Assets that are ready to lend: imported with their wipe, as the CSV import allows."""
    counter = {"n": 0}

    async def stock(*kinds: str, centre_name: str = "Sparkbrook Hub") -> list[str]:
        lines = [
            "kind,status,centre,make,model,serial_number,iccid,network,plan_months,activated_on,"
            "wipe_method,wipe_performed_on,wipe_performed_by,wipe_certificate_reference"
        ]
        for kind in kinds:
            counter["n"] += 1
            n = counter["n"]
            if kind == "sim":
                from stdnum import luhn

                body = f"894410{n:012d}"
                lines.append(
                    f"sim,ready,{centre_name},,,,{body + luhn.calc_check_digit(body)},EE,12,"
                    f"{sim_activated_on().isoformat()},,,,"
                )
            elif kind == "accessory":
                lines.append(f"accessory,ready,{centre_name},Anker,USB-C charger 65W,,,,,,,,,")
            else:
                lines.append(
                    f"{kind},ready,{centre_name},Dell,Latitude 5490,SER-{n},,,,,nwipe,{days_ago(2)},Workshop,NW-{n}"
                )
        response = await client.post(
            "/api/v1/assets/import",
            content="\n".join(lines).encode(),
            headers={**staff.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        return response.json()["tags"]

    return stock


@pytest.fixture
def issue(client, volunteer, centre, family):
    async def issue(*tags: str, actor=None, **extra):
        body = {"family_id": family["id"], "centre_id": centre["id"], "items": list(tags), **extra}
        return await client.post("/api/v1/loans", json=body, headers=(actor or volunteer).headers)

    return issue


@pytest.fixture(scope="module")
def live_server(database_url):
    """`lending serve` in its own process, for truly concurrent HTTP requests."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
        "LENDING_DATABASE_URL": database_url,
        "LENDING_REMINDERS_IN_PROCESS": "false",  # no background reminder run: this server is not about it
        "LENDING_LOG_LEVEL": "WARNING",
        "LENDING_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "LENDING_ADMIN_EMAIL": "live-admin@example.org",
        "LENDING_ADMIN_PASSWORD": "concurrent-desks-secret",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        stop_serving(process)
