from __future__ import annotations

import pytest

from tests.inventory.conftest import laptop, make_iccid, make_imei, sim, sim_activated_on
from tests.support import add_months, assert_problem, count_rows


async def test_a_donation_creates_every_asset_with_a_tag(donate):
    phone = {"kind": "phone", "make": "Samsung", "model": "A52", "serial_number": "R58N", "imei": make_imei(1)}
    donation = await donate(laptop("SN-1"), laptop("SN-2"), sim(1), phone)
    tags = [a["tag"] for a in donation["assets"]]
    assert tags[0].startswith("LAP-000001-") and tags[1].startswith("LAP-000002-")
    assert tags[2].startswith("SIM-000001-") and tags[3].startswith("PHN-000001-")
    assert all(a["status"] == "received" and a["donation_id"] == donation["id"] for a in donation["assets"])
    sim_asset = donation["assets"][2]
    assert sim_asset["msisdn"] == "+447911123456"
    assert sim_asset["expires_on"] == add_months(sim_activated_on(), 6).isoformat()  # derived: activated + 6 months
    more = await donate(laptop("SN-3"))
    assert more["assets"][0]["tag"].startswith("LAP-000003-")


async def test_get_donation_shows_its_assets(client, staff, donate):
    donation = await donate(laptop("A"), laptop("B"))
    response = await client.get(f"/api/v1/donations/{donation['id']}", headers=staff.headers)
    assert response.status_code == 200
    assert [a["serial_number"] for a in response.json()["assets"]] == ["A", "B"]
    listing = await client.get("/api/v1/donations", headers=staff.headers)
    assert listing.json()["total"] == 1


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        (sim(1, iccid="8944100000000000019"), "items[2].iccid", "Luhn"),
        (sim(1, iccid="12345"), "items[2].iccid", "18 to 22"),
        (sim(1, msisdn="0121 496 0000"), "items[2].msisdn", "mobile"),
        (sim(1, msisdn="hello"), "items[2].msisdn", "phone"),
        (sim(1, network="Orange"), "items[2].network", ""),
        ({"kind": "phone", "make": "Samsung", "model": "A52", "imei": "490154203237519"}, "items[2].imei", "Luhn"),
        ({"kind": "phone", "make": "Samsung", "model": "A52", "imei": "4901542"}, "items[2].imei", "15 digits"),
        (laptop("Z", battery_health_pct=140), "items[2].battery_health_pct", ""),
        (laptop("Z", iccid=make_iccid(5)), "items[2].iccid", "only for SIMs"),
        (laptop("Z", imei=make_imei(3)), "items[2].imei", "no IMEI"),
        ({"kind": "laptop", "serial_number": "Q"}, "items[2].make", "required"),
        ({"kind": "sim", "network": "EE"}, "items[2].iccid", "required"),
        ({"kind": "toaster"}, "items[2].kind", ""),
    ],
)
async def test_one_bad_item_is_422_naming_index_and_field_and_nothing_is_written(
    post_donation, sessions, item, field, words
):
    response = await post_donation(laptop("OK-1"), laptop("OK-2"), item)
    body = assert_problem(response, 422, field)
    assert words in str(body["errors"])
    for table in ("donation", "asset", "asset_event", "asset_tag_sequence"):
        assert await count_rows(sessions, table) == 0, table


async def test_a_duplicate_serial_for_the_same_make_is_409_naming_the_existing_tag(donate, post_donation, sessions):
    first = await donate(laptop("DUP-1"))
    existing_tag = first["assets"][0]["tag"]
    response = await post_donation(laptop("NEW-1"), laptop("DUP-1", make="DELL"))
    body = assert_problem(response, 409, "items[1].serial_number")
    assert existing_tag in body["detail"] and body["existing_tags"] == [existing_tag]
    assert await count_rows(sessions, "asset") == 1
    # The same serial from another maker is a different device.
    await donate(laptop("DUP-1", make="Lenovo"))


async def test_duplicate_iccid_and_imei_are_409_and_repeats_inside_one_donation_422(donate, post_donation):
    await donate(sim(7))
    assert_problem(await post_donation(sim(7)), 409, "items[0].iccid")
    assert_problem(await post_donation(laptop("X1"), laptop("X1")), 422, "items[1].serial_number")


async def test_unknown_donor_or_centre_is_422(post_donation, sessions):
    assert_problem(await post_donation(laptop(), donor_id=999), 422, "donor_id")
    assert_problem(await post_donation(laptop(), centre_id=999), 422, "centre_id")
    assert_problem(await post_donation(), 422, "items")
    assert await count_rows(sessions, "donation") == 0


async def test_donors_are_created_searched_and_updated_by_staff(client, staff, volunteer):
    for name in ("Acme Ltd", "Birmingham City Council", "Jo Bloggs"):
        response = await client.post(
            "/api/v1/donors",
            json={"name": name, "kind": "business", "phone": "0121 496 0000", "email": "it@example.org"},
            headers=staff.headers,
        )
        assert response.status_code == 201
    assert response.json()["phone"] == "+441214960000"
    found = (await client.get("/api/v1/donors?q=council", headers=staff.headers)).json()
    assert [d["name"] for d in found["items"]] == ["Birmingham City Council"]
    donor_id = found["items"][0]["id"]
    updated = await client.patch(
        f"/api/v1/donors/{donor_id}", json={"kind": "council", "may_thank_publicly": True}, headers=staff.headers
    )
    assert updated.json()["kind"] == "council" and updated.json()["may_thank_publicly"] is True
    assert_problem(
        await client.post("/api/v1/donors", json={"name": "X", "kind": "alien"}, headers=staff.headers), 422, "kind"
    )
    assert_problem(await client.get("/api/v1/donors", headers=volunteer.headers), 403)
