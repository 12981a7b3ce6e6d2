"""The stock pages over HTTP: intake (typed and pasted rows, all or nothing), the refurbishment queue (wipes, moves
in bulk), SIMs to bar; and only staff may use them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from litestar.testing import AsyncTestClient

from lending.accounts.models import Role
from tests.inventory.conftest import laptop, make_iccid
from tests.loans.conftest import centre, family, issue, stock
from tests.support import count_rows, days_ago
from tests.web.conftest import csrf, sign_in

__all__ = ["centre", "family", "issue", "stock"]

TODAY = date.today().isoformat()


@pytest.fixture
async def donor(client, staff) -> dict:
    response = await client.post("/api/v1/donors", json={"name": "Acme Ltd", "kind": "business"}, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


def grid(*rows: dict) -> dict[str, str]:
    """Rows as the intake grid posts them: `r0.kind`, `r0.make`..."""
    return {f"r{n}.{name}": str(value) for n, row in enumerate(rows) for name, value in row.items()}


async def intake_form(pages: AsyncTestClient, staff) -> str:
    await sign_in(pages, staff)
    return await csrf(pages, "/staff/intake")


async def test_a_donation_of_typed_and_pasted_rows(pages, client, staff, centre, donor) -> None:
    token = await intake_form(pages, staff)
    page = await pages.get("/staff/intake")
    assert page.status_code == 200
    assert page.text.count('name="r9.serial_number"') == 1 and 'name="r10.serial_number"' not in page.text
    assert "Alt</kbd>+<kbd>D" in page.text
    pasted = "Kind\tMake\tModel\tSerial number\tRAM GB\nlaptop\tLenovo\tThinkPad T480\tPF-1\t8\n\n"
    pasted += "laptop\tLenovo\tThinkPad T480\tPF-2\t16\n"
    answer = await pages.post(
        "/staff/intake",
        data={
            "_csrf_token": token,
            "donor_id": str(donor["id"]),
            "centre_id": str(centre["id"]),
            "received_on": days_ago(1),
            "action": "save",
            # A blank row between two typed ones is closed up, not an item.
            **grid(
                {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "SN-1"},
                {},
                {"kind": "sim", "iccid": make_iccid(7), "network": "EE"},
            ),
            "paste": pasted,
        },
    )
    assert answer.status_code == 303, answer.text
    saved = await pages.get(answer.headers["location"])
    assert saved.status_code == 200
    donation_id = int(answer.headers["location"].rsplit("/", 1)[1])
    donation = (await client.get(f"/api/v1/donations/{donation_id}", headers=staff.headers)).json()
    assets = donation["assets"]
    assert [(a["kind"], a["serial_number"] or a["iccid"]) for a in assets] == [
        ("laptop", "SN-1"),
        ("sim", make_iccid(7)),
        ("laptop", "PF-1"),
        ("laptop", "PF-2"),
    ]
    assert [a["ram_gb"] for a in assets[2:]] == [8, 16]
    tags = [a["tag"] for a in assets]
    for tag in tags:
        assert tag in saved.text
    assert "/desk/labels?tags=" + "%2C".join(tags) in saved.text


async def test_paste_and_copy_without_javascript_come_back_as_rows(pages, staff, centre, donor, sessions) -> None:
    token = await intake_form(pages, staff)
    typed = {"kind": "laptop", "make": "HP", "model": "EliteBook 840", "serial_number": "HP-1", "ram_gb": "8"}
    answer = await pages.post(
        "/staff/intake",
        data={"_csrf_token": token, "action": "copy:1", **grid(typed, {"serial_number": "HP-2"})},
    )
    assert answer.status_code == 200
    assert 'name="r1.model" type="text" value="EliteBook 840"' in answer.text
    assert 'name="r1.serial_number" type="text" value="HP-2"' in answer.text
    answer = await pages.post(
        "/staff/intake",
        data={
            "_csrf_token": token,
            "action": "paste",
            "paste": "kind\tmodel\naccessory\tUSB-C charger\n",
            **grid(typed),
        },
    )
    assert answer.status_code == 200
    assert 'name="r1.model" type="text" value="USB-C charger"' in answer.text
    assert "USB-C charger</textarea>" not in answer.text  # the block was taken into the grid
    answer = await pages.post("/staff/intake", data={"_csrf_token": token, "action": "more", **grid(*[typed] * 10)})
    assert 'name="r19.kind"' in answer.text and 'name="r20.kind"' not in answer.text
    bad = await pages.post(
        "/staff/intake", data={"_csrf_token": token, "action": "paste", "paste": "kind\tcolour\nlaptop\tred\n"}
    )
    assert bad.status_code == 422
    assert "unknown column &#39;colour&#39;" in bad.text
    assert await count_rows(sessions, "asset") == 0


async def test_a_bad_row_is_named_by_row_and_field_and_nothing_is_written(pages, staff, centre, sessions) -> None:
    token = await intake_form(pages, staff)
    answer = await pages.post(
        "/staff/intake",
        data={
            "_csrf_token": token,
            "donor_id": "",
            "donor_name": "New Donor Ltd",
            "donor_kind": "business",
            "centre_id": str(centre["id"]),
            "received_on": TODAY,
            "action": "save",
            **grid(
                {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "SN-1"},
                {"kind": "laptop", "make": "Dell", "serial_number": "SN-2"},
                {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "SN-1"},
            ),
        },
    )
    assert answer.status_code == 422, answer.text
    # items[1].model is the second row; the repeated serial is the third.
    assert "Row 2, Model: required for a laptop" in answer.text
    assert 'id="r1-model-error"' in answer.text and 'id="r1-model"' in answer.text
    # What was typed comes back, for correcting in place.
    assert 'name="r1.serial_number" type="text" value="SN-2"' in answer.text
    assert 'value="New Donor Ltd"' in answer.text
    for table in ("asset", "donation", "donor"):
        assert await count_rows(sessions, table) == 0, table
    duplicate = await pages.post(
        "/staff/intake",
        data={
            "_csrf_token": token,
            "donor_name": "New Donor Ltd",
            "donor_kind": "business",
            "centre_id": str(centre["id"]),
            "received_on": TODAY,
            **grid(
                {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "SN-1"},
                {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": "sn-1"},
            ),
        },
    )
    assert duplicate.status_code == 422
    assert re.search(r"Row 2, Serial: repeats items\[0\]", duplicate.text), duplicate.text
    for table in ("asset", "donation", "donor"):
        assert await count_rows(sessions, table) == 0, table


async def donated(client, staff, centre, donor, *items: dict) -> list[str]:
    body = {"donor_id": donor["id"], "centre_id": centre["id"], "received_on": days_ago(2), "items": list(items)}
    response = await client.post("/api/v1/donations", json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    return [a["tag"] for a in response.json()["assets"]]


async def status_of(client, staff, tag: str) -> str:
    return (await client.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()["status"]


async def test_a_bulk_move_with_one_unwiped_asset_moves_nothing(pages, client, staff, centre, donor) -> None:
    wiped, unwiped = await donated(client, staff, centre, donor, laptop("A-1"), laptop("A-2"))
    await sign_in(pages, staff)
    token = await csrf(pages, "/staff/refurbishment")
    queue = await pages.get("/staff/refurbishment")
    assert wiped in queue.text and "Not wiped" in queue.text and "Start refurbishment" in queue.text
    start = await pages.post(
        "/staff/refurbishment/moves",
        data={"_csrf_token": token, "status": "received", "to": "in_refurbishment", "tags": [wiped, unwiped]},
    )
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith("/staff/refurbishment?status=received")
    form = await pages.get(f"/staff/refurbishment/{wiped}/wipe")
    assert form.status_code == 200
    recorded = await pages.post(
        f"/staff/refurbishment/{wiped}/wipe",
        data={
            "_csrf_token": token,
            "method": "nwipe",
            "performed_on": TODAY,
            "performed_by": "Workshop",
            "certificate_reference": "NW-77",
        },
    )
    assert recorded.status_code == 303, recorded.text
    api_asset = (await client.get(f"/api/v1/assets/{wiped}", headers=staff.headers)).json()
    assert api_asset["wiped_since_intake"] is True and api_asset["wipes"][0]["method"] == "nwipe"
    queue = await pages.get("/staff/refurbishment?status=in_refurbishment")
    assert "Move to ready" in queue.text and "Wiped" in queue.text

    refused = await pages.post(
        "/staff/refurbishment/moves",
        data={"_csrf_token": token, "status": "in_refurbishment", "to": "ready", "tags": [wiped, unwiped]},
    )
    assert refused.status_code == 409, refused.text
    assert "Nothing was moved" in refused.text
    assert f'id="e-{unwiped}"' in refused.text and f'id="e-{wiped}"' not in refused.text
    assert "record a wipe certificate" in refused.text
    assert [await status_of(client, staff, t) for t in (wiped, unwiped)] == ["in_refurbishment"] * 2

    await pages.post(
        f"/staff/refurbishment/{unwiped}/wipe",
        data={"_csrf_token": token, "method": "manufacturer-reset", "performed_on": TODAY, "performed_by": "Sam"},
    )
    moved = await pages.post(
        "/staff/refurbishment/moves",
        data={"_csrf_token": token, "status": "in_refurbishment", "to": "ready", "tags": [wiped, unwiped]},
    )
    assert moved.status_code == 303, moved.text
    assert [await status_of(client, staff, t) for t in (wiped, unwiped)] == ["ready"] * 2
    history = (await client.get(f"/api/v1/assets/{wiped}/history", headers=staff.headers)).json()
    assert [e["to_status"] for e in history if e["kind"] == "transition"] == ["in_refurbishment", "ready"]


async def test_a_wipe_with_a_mistake_is_named_and_not_recorded(pages, client, staff, centre, donor) -> None:
    (tag,) = await donated(client, staff, centre, donor, laptop("B-1"))
    await sign_in(pages, staff)
    token = await csrf(pages, f"/staff/refurbishment/{tag}/wipe")
    answer = await pages.post(
        f"/staff/refurbishment/{tag}/wipe",
        data={"_csrf_token": token, "method": "blancco", "performed_on": TODAY, "performed_by": "Workshop"},
    )
    assert answer.status_code == 422
    assert "certificate_reference" in answer.text.replace("certificate reference", "certificate_reference")
    assert (await client.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()["wipes"] == []


async def test_a_lost_sim_is_marked_barred(pages, client, staff, volunteer, stock, issue) -> None:
    (sim,) = await stock("sim")
    loan = await issue(sim)
    assert loan.status_code == 201, loan.text
    lost = await client.post(
        f"/api/v1/loans/{loan.json()['id']}/items/{sim}/outcome", json={"outcome": "lost"}, headers=volunteer.headers
    )
    assert lost.status_code == 200, lost.text
    await sign_in(pages, staff)
    listed = await pages.get("/staff/sims")
    assert listed.status_code == 200 and sim in listed.text and "Mark barred" in listed.text
    csv = await pages.get("/staff/sims/to-bar.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv") and sim in csv.text
    token = await csrf(pages, "/staff/sims")
    future = await pages.post(
        f"/staff/sims/{sim}/barred", data={"_csrf_token": token, "barred_on": "2999-01-01", "barring_reference": "X"}
    )
    assert future.status_code == 422 and "cannot be in the future" in future.text
    barred = await pages.post(
        f"/staff/sims/{sim}/barred", data={"_csrf_token": token, "barred_on": TODAY, "barring_reference": "EE-123"}
    )
    assert barred.status_code == 303, barred.text
    assert (await client.get("/api/v1/sims/to-bar", headers=staff.headers)).json()["items"] == []
    after = await pages.get(barred.headers["location"])
    assert f"{sim} marked barred" in after.text and "No SIM is waiting to be barred" in after.text


STOCK_PAGES = [
    ("GET", "/staff/intake"),
    ("POST", "/staff/intake"),
    ("GET", "/staff/intake/1"),
    ("GET", "/staff/refurbishment"),
    ("POST", "/staff/refurbishment/moves"),
    ("GET", "/staff/refurbishment/LAP-000001-X/wipe"),
    ("POST", "/staff/refurbishment/LAP-000001-X/wipe"),
    ("GET", "/staff/sims"),
    ("GET", "/staff/sims/to-bar.csv"),
    ("POST", "/staff/sims/SIM-000001-X/barred"),
]


async def test_a_volunteer_may_use_none_of_them(pages, make_user) -> None:
    await sign_in(pages, await make_user(Role.volunteer))
    token = await csrf(pages)
    for method, path in STOCK_PAGES:
        answer = await pages.request(method, path, data={"_csrf_token": token} if method == "POST" else None)
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "Not allowed" in answer.text


async def test_the_api_moves_a_batch_together_or_not_at_all(client, staff, volunteer, centre, donor) -> None:
    first, second = await donated(client, staff, centre, donor, laptop("C-1"), {"kind": "accessory", "model": "Bag"})
    wrong = await client.post(
        "/api/v1/assets/transitions",
        json={"tags": [second, first, "LAP-999999-0"], "to": "in_refurbishment"},
        headers=staff.headers,
    )
    assert wrong.status_code == 409, wrong.text
    assert [e["field"] for e in wrong.json()["errors"]] == ["tags[2]"]
    assert [await status_of(client, staff, t) for t in (first, second)] == ["received"] * 2
    body = {"tags": [first, second], "to": "in_refurbishment", "reason": "workshop Monday"}
    started = await client.post("/api/v1/assets/transitions", json=body, headers=staff.headers)
    assert started.status_code == 200, started.text
    assert [a["status"] for a in started.json()] == ["in_refurbishment"] * 2
    ready = await client.post(
        "/api/v1/assets/transitions", json={"tags": [second, first], "to": "ready"}, headers=staff.headers
    )
    assert ready.status_code == 409
    assert [e["field"] for e in ready.json()["errors"]] == ["tags[1]"]
    assert first in ready.json()["detail"] and "wipe" in ready.json()["detail"]
    assert await status_of(client, staff, second) == "in_refurbishment"
    refused = await client.post("/api/v1/assets/transitions", json=body, headers=volunteer.headers)
    assert refused.status_code == 403
