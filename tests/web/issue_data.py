"""Setting up a loan's world through the API, for the issue page's HTTP and browser tests: centres, stock, a school
and its nominations. Works with the in-process test client and with httpx against the live server alike."""

from __future__ import annotations

import itertools
from typing import Any

from stdnum import luhn

from tests.families.conftest import family_data
from tests.support import days_ago

# What a school writes to justify a nomination: the desk must never see it.
EVIDENCE = "Evidence: universal credit letter seen, mum shielding"
_serials = itertools.count(1)


async def centre(api: Any, staff: Any, name: str, postcode: str = "B11 1AA") -> dict:
    response = await api.post("/api/v1/centres", json={"name": name, "postcode": postcode}, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def stock(api: Any, staff: Any, centre_name: str, *kinds: str, status: str = "ready") -> list[str]:
    """Assets imported at a centre (ready ones with their wipe, as the CSV import allows); their tags."""
    lines = [
        "kind,status,centre,make,model,serial_number,iccid,network,plan_months,activated_on,"
        "wipe_method,wipe_performed_on,wipe_performed_by,wipe_certificate_reference"
    ]
    for kind in kinds:
        n = next(_serials)
        serial = f"SER-{n:06d}"
        if kind == "sim":
            body = f"894410{n:012d}"
            lines.append(f"sim,{status},{centre_name},,,,{body + luhn.calc_check_digit(body)},EE,12,{days_ago(21)},,,,")
        elif status == "ready":
            wipe = f"nwipe,{days_ago(2)},Workshop,NW-{n}"
            lines.append(f"{kind},ready,{centre_name},Dell,Latitude 5490,{serial},,,,,{wipe}")
        else:
            lines.append(f"{kind},{status},{centre_name},Dell,Latitude 5490,{serial},,,,,,,,")
    response = await api.post(
        "/api/v1/assets/import",
        content="\n".join(lines).encode(),
        headers={**staff.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return response.json()["tags"]


async def school(api: Any, staff: Any, name: str = "Anderton Park Primary", urn: str = "103245") -> dict:
    response = await api.post(
        "/api/v1/schools", json={"name": name, "urn": urn, "postcode": "B12 8LR"}, headers=staff.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def nomination(
    api: Any,
    staff: Any,
    school_id: int,
    name: str,
    phone: str,
    *,
    decision: str | None = "approve",
    laptops: int = 1,
    sims: int = 0,
    urgency: str = "normal",
) -> dict:
    """A nomination for a new family, decided by staff (`decision=None` leaves it submitted)."""
    body = {
        "family": family_data(name=name, phone=phone),
        "school_id": school_id,
        "laptops": laptops,
        "sims": sims,
        "reason": EVIDENCE,
        "urgency": urgency,
    }
    response = await api.post("/api/v1/nominations", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    made = response.json()
    if decision:
        decided = await api.post(
            f"/api/v1/nominations/{made['id']}/decision", json={"decision": decision}, headers=staff.headers
        )
        assert decided.status_code == 200, decided.text
        made = decided.json()
    return made
