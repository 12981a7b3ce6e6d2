from __future__ import annotations

import base64
import csv
import io
import struct
import zlib
from datetime import date, timedelta

from sqlalchemy import update

from lending.inventory.rules import add_months
from lending.loans.models import Loan
from tests.loans.conftest import sim_activated_on
from tests.support import assert_problem, count_rows


def png(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff" * width * 3 for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def lend(issue, *tags) -> dict:
    response = await issue(*tags)
    assert response.status_code == 201, response.text
    return response.json()


async def test_partial_then_full_return(client, staff, volunteer, stock, issue):
    laptop, sim, tablet = await stock("laptop", "sim", "tablet")
    loan = await lend(issue, laptop, sim, tablet)
    partial = await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={"items": [{"tag": laptop, "condition": "damaged", "charger_returned": False, "notes": "cracked hinge"}]},
        headers=volunteer.headers,
    )
    assert partial.status_code == 200, partial.text
    body = partial.json()
    assert body["status"] == "active"
    returned = next(i for i in body["items"] if i["tag"] == laptop)
    assert (returned["outcome"], returned["return_condition"], returned["charger_returned"]) == (
        "returned",
        "damaged",
        False,
    )
    asset = (await client.get(f"/api/v1/assets/{laptop}", headers=staff.headers)).json()
    assert asset["status"] == "returned" and asset["wiped_since_intake"] is False
    # Back in stock it needs a fresh wipe before it can be lent again.
    await client.post(f"/api/v1/assets/{laptop}/transitions", json={"to": "in_refurbishment"}, headers=staff.headers)
    assert_problem(
        await client.post(f"/api/v1/assets/{laptop}/transitions", json={"to": "ready"}, headers=staff.headers), 409
    )
    full = await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={
            "items": [
                {"tag": sim.lower(), "condition": "good"},
                {"tag": tablet, "condition": "good", "charger_returned": True},
            ]
        },
        headers=volunteer.headers,
    )
    assert full.json()["status"] == "returned" and full.json()["closed_at"]
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/returns",
            json={"items": [{"tag": sim, "condition": "good"}]},
            headers=volunteer.headers,
        ),
        409,
    )


async def test_returning_a_tag_not_on_the_loan_is_422_and_changes_nothing(client, staff, volunteer, stock, issue):
    mine, other, spare = await stock("laptop", "laptop", "laptop")
    loan = await lend(issue, mine)
    await lend(issue, other)
    for tag in (other, spare, "LAP-000001-Q"):
        response = await client.post(
            f"/api/v1/loans/{loan['id']}/returns",
            json={"items": [{"tag": mine, "condition": "good"}, {"tag": tag, "condition": "good"}]},
            headers=volunteer.headers,
        )
        assert_problem(response, 422, "items[1].tag")
    assert (await client.get(f"/api/v1/assets/{mine}", headers=staff.headers)).json()["status"] == "on_loan"
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/returns",
            json={"items": [{"tag": mine, "condition": "broken"}]},
            headers=volunteer.headers,
        ),
        422,
        "items[0].condition",
    )


async def test_scanning_any_tag_finds_the_active_loan(client, staff, stock, issue):
    laptop, sim = await stock("laptop", "sim")
    loan = await lend(issue, laptop, sim)
    found = await client.get(f"/api/v1/loans/by-tag/{sim.lower()}", headers=staff.headers)
    assert found.status_code == 200 and found.json()["id"] == loan["id"]
    history = (await client.get(f"/api/v1/loans?asset_tag={laptop}", headers=staff.headers)).json()
    assert [l["id"] for l in history["items"]] == [loan["id"]]
    (spare,) = await stock("laptop")
    assert_problem(await client.get(f"/api/v1/loans/by-tag/{spare}", headers=staff.headers), 404)
    assert_problem(await client.get("/api/v1/loans?asset_tag=nonsense", headers=staff.headers), 422, "asset_tag")


async def test_extensions_are_kept(client, staff, volunteer, stock, issue):
    (tag,) = await stock("laptop")
    loan = await lend(issue, tag)
    first_due = loan["due_on"]
    later = (date.fromisoformat(first_due) + timedelta(days=30)).isoformat()
    latest = (date.fromisoformat(first_due) + timedelta(days=90)).isoformat()
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/extension",
            json={"due_on": first_due, "reason": "x"},
            headers=volunteer.headers,
        ),
        422,
        "due_on",
    )
    assert_problem(
        await client.post(f"/api/v1/loans/{loan['id']}/extension", json={"due_on": later}, headers=volunteer.headers),
        422,
        "reason",
    )
    await client.post(
        f"/api/v1/loans/{loan['id']}/extension", json={"due_on": later, "reason": "exams"}, headers=volunteer.headers
    )
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/extension",
        json={"due_on": latest, "reason": "summer school"},
        headers=staff.headers,
    )
    body = response.json()
    assert body["due_on"] == latest
    assert [(e["previous_due_on"], e["due_on"], e["reason"]) for e in body["extensions"]] == [
        (first_due, later, "exams"),
        (later, latest, "summer school"),
    ]


async def test_overdue_and_due_soon_are_derived_from_the_due_date(client, staff, volunteer, stock, issue, sessions):
    late_tag, soon_tag, later_tag = await stock("laptop", "laptop", "laptop")
    late, soon, later = (await lend(issue, late_tag)), (await lend(issue, soon_tag)), (await lend(issue, later_tag))
    async with sessions() as session, session.begin():
        await session.execute(update(Loan).where(Loan.id == late["id"]).values(due_on=date.today() - timedelta(days=3)))
        await session.execute(update(Loan).where(Loan.id == soon["id"]).values(due_on=date.today() + timedelta(days=5)))
    overdue = (await client.get("/api/v1/loans?overdue=true", headers=volunteer.headers)).json()
    assert [l["id"] for l in overdue["items"]] == [late["id"]] and overdue["items"][0]["overdue"] is True
    due_soon = (await client.get("/api/v1/loans?due_within_days=7", headers=volunteer.headers)).json()
    assert [l["id"] for l in due_soon["items"]] == [soon["id"]]
    not_late = (await client.get("/api/v1/loans?overdue=false&sort=due_on", headers=volunteer.headers)).json()
    assert [l["id"] for l in not_late["items"]] == [soon["id"], later["id"]]

    staff_csv = list(
        csv.DictReader(io.StringIO((await client.get("/api/v1/loans.csv?overdue=true", headers=staff.headers)).text))
    )
    assert len(staff_csv) == 1
    row = staff_csv[0]
    assert row["reference"] == late["reference"] and row["days_overdue"] == "3" and row["items"] == late_tag
    # A phone number starts with +, so the shared CSV writer keeps a spreadsheet from reading it as a formula.
    assert row["lead_name"] == "Amina Khan" and row["phone"] == "'+447911123456"
    volunteer_csv = (await client.get("/api/v1/loans.csv?overdue=true", headers=volunteer.headers)).text
    assert late["reference"] in volunteer_csv
    assert "Amina" not in volunteer_csv and "+447911123456" not in volunteer_csv and "phone" not in volunteer_csv


async def test_lost_and_stolen_items_leave_the_loan_and_a_lost_sim_is_flagged(client, staff, volunteer, stock, issue):
    laptop, sim = await stock("laptop", "sim")
    loan = await lend(issue, laptop, sim)
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/items/{sim}/outcome", json={"outcome": "lost"}, headers=volunteer.headers
    )
    assert response.status_code == 200, response.text
    item = next(i for i in response.json()["items"] if i["tag"] == sim)
    assert item["outcome"] == "lost" and item["sim_barring_required"] is True
    assert response.json()["status"] == "active"
    assert (await client.get(f"/api/v1/assets/{sim}", headers=staff.headers)).json()["status"] == "lost"
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/items/{sim}/outcome", json={"outcome": "lost"}, headers=volunteer.headers
        ),
        404,
    )
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/items/{laptop}/outcome", json={"outcome": "sold"}, headers=volunteer.headers
        ),
        422,
        "outcome",
    )
    stolen = await client.post(
        f"/api/v1/loans/{loan['id']}/items/{laptop}/outcome",
        json={"outcome": "stolen", "police_reference": "WMP-2026-1234"},
        headers=volunteer.headers,
    )
    body = stolen.json()
    laptop_item = next(i for i in body["items"] if i["tag"] == laptop)
    assert laptop_item["police_reference"] == "WMP-2026-1234" and laptop_item["sim_barring_required"] is False
    assert body["status"] == "stolen"  # nothing left out, and the worst ending was a theft
    assert (await client.get(f"/api/v1/assets/{laptop}", headers=staff.headers)).json()["status"] == "stolen"


async def test_staff_gift_the_loan_to_the_family(client, staff, volunteer, stock, issue):
    laptop, sim = await stock("laptop", "sim")
    loan = await lend(issue, laptop, sim)
    assert_problem(
        await client.post(f"/api/v1/loans/{loan['id']}/gift", json={"reason": "x"}, headers=volunteer.headers), 403
    )
    assert_problem(await client.post(f"/api/v1/loans/{loan['id']}/gift", json={}, headers=staff.headers), 422, "reason")
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/gift", json={"reason": "family moving abroad"}, headers=staff.headers
    )
    body = response.json()
    assert body["status"] == "gifted" and body["gift_reason"] == "family moving abroad"
    assert {i["outcome"] for i in body["items"]} == {"gifted"}
    for tag in (laptop, sim):
        assert (await client.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()["status"] == "gifted"
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/returns",
            json={"items": [{"tag": laptop, "condition": "good"}]},
            headers=staff.headers,
        ),
        409,
    )


async def test_acceptance_is_recorded_once_for_the_whole_loan(client, staff, volunteer, stock, issue, sessions):
    laptop, sim = await stock("laptop", "sim")
    loan = await lend(issue, laptop, sim)
    signature = base64.b64encode(png()).decode()
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={"signer_name": "Amina Khan", "relationship": "parent", "signature_png": "not base64!"},
            headers=volunteer.headers,
        ),
        422,
        "signature_png",
    )
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={
                "signer_name": "Amina Khan",
                "relationship": "parent",
                "signature_png": base64.b64encode(b"GIF89a").decode(),
            },
            headers=volunteer.headers,
        ),
        422,
        "signature_png",
    )
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={"signer_name": "Amina Khan", "relationship": "aunt"},
            headers=volunteer.headers,
        ),
        422,
        "relationship",
    )
    assert await count_rows(sessions, "loan_acceptance") == 0
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent", "signature_png": signature},
        headers=volunteer.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["agreement"] == "signed"
    assert body["acceptance"]["signer_name"] == "Amina Khan" and body["acceptance"]["witnessed_by_id"] == volunteer.id
    assert body["acceptance"]["has_signature_image"] is True
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={"signer_name": "Someone Else", "relationship": "carer"},
            headers=staff.headers,
        ),
        409,
    )


async def test_erasure_waits_for_the_loan_to_end_and_export_lists_loans(client, admin, volunteer, stock, issue, family):
    (tag,) = await stock("laptop")
    loan = await lend(issue, tag)
    exported = (await client.get(f"/api/v1/families/{family['id']}/export", headers=admin.headers)).json()
    assert [l["reference"] for l in exported["loans"]] == [loan["reference"]]
    assert exported["loans"][0]["items"][0]["tag"] == tag
    assert_problem(await client.post(f"/api/v1/families/{family['id']}/erase", headers=admin.headers), 409)
    await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={"items": [{"tag": tag, "condition": "good"}]},
        headers=volunteer.headers,
    )
    assert (await client.post(f"/api/v1/families/{family['id']}/erase", headers=admin.headers)).status_code == 200
    # The loan and its items stay for the reports.
    kept = (await client.get(f"/api/v1/loans?family_id={family['id']}", headers=admin.headers)).json()
    assert kept["total"] == 1 and kept["items"][0]["items"][0]["tag"] == tag


async def test_every_loan_step_is_audited(client, admin, volunteer, staff, stock, issue):
    laptop, sim = await stock("laptop", "sim")
    loan = await lend(issue, laptop, sim)
    await client.post(
        f"/api/v1/loans/{loan['id']}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent"},
        headers=volunteer.headers,
    )
    due = (date.fromisoformat(loan["due_on"]) + timedelta(days=10)).isoformat()
    await client.post(
        f"/api/v1/loans/{loan['id']}/extension", json={"due_on": due, "reason": "exams"}, headers=volunteer.headers
    )
    await client.post(
        f"/api/v1/loans/{loan['id']}/items/{sim}/outcome", json={"outcome": "lost"}, headers=volunteer.headers
    )
    await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={"items": [{"tag": laptop, "condition": "good"}]},
        headers=volunteer.headers,
    )

    async def trail(entity: str) -> list[tuple[str, int | None]]:
        body = (await client.get(f"/api/v1/audit?entity={entity}&limit=100", headers=admin.headers)).json()
        return [(e["action"], e["actor_id"]) for e in body["items"]]

    assert await trail("loan") == [("create", volunteer.id), ("update", volunteer.id), ("update", volunteer.id)]
    assert await trail("loan_item") == [("create", volunteer.id)] * 2 + [("update", volunteer.id)] * 2
    # Created, then the signed agreement frozen into it.
    assert await trail("loan_acceptance") == [("create", volunteer.id), ("update", volunteer.id)]
    assert await trail("loan_extension") == [("create", volunteer.id)]
    # Each asset went ready → on_loan, then one lost and one returned; the stock import's own updates were staff's.
    desk_updates = [a for a in await trail("asset") if a == ("update", volunteer.id)]
    assert len(desk_updates) == 4
    acceptance_audit = (await client.get("/api/v1/audit?entity=loan_acceptance", headers=admin.headers)).json()
    assert acceptance_audit["items"][0]["after"]["signer_name"] == "[redacted]"
    assert len(acceptance_audit["items"][1]["after"]["signed_pdf_sha256"]) == 64


async def test_sims_expiring_on_active_loans(client, staff, stock, issue, sessions):
    laptop, sim = await stock("laptop", "sim")  # activated sim_activated_on() on a 12-month plan
    loan = await lend(issue, laptop, sim)
    days_left = (add_months(sim_activated_on(), 12) - date.today()).days
    assert (await client.get(f"/api/v1/loans?sim_expiring_within_days={days_left - 1}", headers=staff.headers)).json()[
        "total"
    ] == 0
    hits = (await client.get(f"/api/v1/loans?sim_expiring_within_days={days_left}", headers=staff.headers)).json()
    assert [l["id"] for l in hits["items"]] == [loan["id"]]
