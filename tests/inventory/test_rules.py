"""Rules the inventory data must keep: wipes since the last intake, one device per certificate, SIM dates, serials
unique whatever their case, tags however they are typed, and a search that finds what the query looks like."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from lending.audit.recorder import set_actor
from lending.inventory.models import Asset, WipeCertificate
from tests.inventory.conftest import laptop, make_iccid, sim
from tests.inventory.test_csv import import_csv
from tests.support import assert_problem, count_rows


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


async def wipe(client, actor, tag, **fields):
    body = {
        "method": "nwipe",
        "performed_on": date.today().isoformat(),
        "performed_by": "Sam at the workshop",
        "certificate_reference": f"NW-{tag}",
        **fields,
    }
    return await client.post(f"/api/v1/assets/{tag}/wipes", json=body, headers=actor.headers)


async def move_to(client, actor, tag, to, **fields):
    return await client.post(f"/api/v1/assets/{tag}/transitions", json={"to": to, **fields}, headers=actor.headers)


async def asset(client, actor, tag) -> dict:
    return (await client.get(f"/api/v1/assets/{tag}", headers=actor.headers)).json()


# --- wipes ---------------------------------------------------------------------------------------------------------


async def test_a_wipe_cannot_be_dated_before_the_donation_came_in_nor_in_the_future(client, staff, donate, sessions):
    tag = (await donate(laptop(), received_on=days_ago(5)))["assets"][0]["tag"]
    for performed_on in (days_ago(6), days_ago(30)):
        body = assert_problem(await wipe(client, staff, tag, performed_on=performed_on), 422, "performed_on")
        assert days_ago(5) in body["detail"]  # the day it came in is named
    assert_problem(
        await wipe(client, staff, tag, performed_on=(date.today() + timedelta(days=1)).isoformat()), 422, "performed_on"
    )
    assert await count_rows(sessions, "wipe_certificate") == 0
    # Done between the donation and today: it covers the device.
    assert (await wipe(client, staff, tag, performed_on=days_ago(3))).status_code == 201
    assert (await asset(client, staff, tag))["wiped_since_intake"] is True


async def test_a_back_dated_wipe_after_the_device_came_back_is_refused_and_the_gate_stays_shut(
    client, staff, donate, sessions
):
    tag = (await donate(laptop(), received_on=days_ago(10)))["assets"][0]["tag"]
    await move_to(client, staff, tag, "in_refurbishment")
    assert (
        await wipe(client, staff, tag, performed_on=days_ago(8), certificate_reference="NW-FIRST")
    ).status_code == 201
    assert (await move_to(client, staff, tag, "ready")).status_code == 200
    # Lost, then found today: it came in again, and the wipe of eight days ago no longer covers it.
    await move_to(client, staff, tag, "lost")
    await move_to(client, staff, tag, "in_refurbishment", reason="found")
    assert (await asset(client, staff, tag))["wiped_since_intake"] is False
    for back_dated in (days_ago(1), days_ago(8)):
        body = assert_problem(
            await wipe(
                client, staff, tag, performed_on=back_dated, certificate_reference=None, method="manufacturer-reset"
            ),
            422,
            "performed_on",
        )
        assert date.today().isoformat() in body["detail"]
    assert await count_rows(sessions, "wipe_certificate") == 1
    assert "wipe" in assert_problem(await move_to(client, staff, tag, "ready"), 409)["detail"]

    # The gate itself compares the performed date, not only when the row was written: a back-dated certificate
    # that got in some other way (an older version, a hand-edited database) does not open it.
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        held = (await session.scalars(select(Asset).where(Asset.tag == tag))).one()
        session.add(
            WipeCertificate(
                asset_id=held.id,
                method="nwipe",
                performed_on=date.today() - timedelta(days=2),
                performed_by="Someone",
                certificate_reference="NW-OLD",
                notes="",
                recorded_at=datetime.now(UTC),
            )
        )
    assert (await asset(client, staff, tag))["wiped_since_intake"] is False
    assert_problem(await move_to(client, staff, tag, "ready"), 409)
    exported = list(csv.DictReader(io.StringIO((await client.get("/api/v1/assets.csv", headers=staff.headers)).text)))
    assert exported[0]["wipe_certificate_reference"] == ""  # no wipe since intake to export

    assert (await wipe(client, staff, tag, certificate_reference="NW-SECOND")).status_code == 201
    assert (await move_to(client, staff, tag, "ready")).status_code == 200


async def test_a_certificate_reference_covers_one_device(client, staff, donate, sessions):
    first, second = [a["tag"] for a in (await donate(laptop("A"), laptop("B"), received_on=days_ago(3)))["assets"]]
    recorded = await wipe(
        client, staff, first, certificate_reference="BL-2026-77", method="blancco", performed_on=days_ago(1)
    )
    assert recorded.status_code == 201
    # Sent again as it was (a retry): the same record, not a second one.
    again = await wipe(
        client, staff, first, certificate_reference="BL-2026-77", method="blancco", performed_on=days_ago(1)
    )
    assert again.status_code == 201 and again.json()["id"] == recorded.json()["id"]
    assert await count_rows(sessions, "wipe_certificate") == 1
    for reference in ("BL-2026-77", "bl-2026-77"):
        body = assert_problem(
            await wipe(client, staff, second, certificate_reference=reference, method="blancco"),
            409,
            "certificate_reference",
        )
        assert body["existing_tag"] == first and first in body["detail"]
    # The same reference for the same device but another wipe is not the same certificate either.
    assert_problem(
        await wipe(client, staff, first, certificate_reference="BL-2026-77", method="blancco"),
        409,
        "certificate_reference",
    )
    assert await count_rows(sessions, "wipe_certificate") == 1
    assert (await wipe(client, staff, second, certificate_reference="BL-2026-78", method="blancco")).status_code == 201


async def test_the_import_keeps_the_wipe_rules(client, staff, centre, donor, sessions):
    donate_first = await client.post(
        "/api/v1/donations",
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": days_ago(2),
            "items": [laptop("HELD")],
        },
        headers=staff.headers,
    )
    held_tag = donate_first.json()["assets"][0]["tag"]
    assert (await wipe(client, staff, held_tag, certificate_reference="NW-HELD")).status_code == 201
    header = (
        "kind,make,model,serial_number,status,wipe_method,wipe_performed_on,wipe_performed_by,"
        "wipe_certificate_reference"
    )
    rows = [
        f"laptop,HP,ProBook,I-1,ready,nwipe,{days_ago(1)},Workshop,NW-1",
        f"laptop,HP,ProBook,I-2,ready,nwipe,{days_ago(1)},Workshop,nw-1",
        f"laptop,HP,ProBook,I-3,ready,nwipe,{days_ago(1)},Workshop,NW-HELD",
        f"laptop,HP,ProBook,I-4,ready,nwipe,{(date.today() + timedelta(days=1)).isoformat()},Workshop,NW-4",
        f"laptop,HP,ProBook,I-5,ready,nwipe,{days_ago(3)},Workshop,NW-5",
    ]
    body = "\n".join([header, *rows]) + "\n"
    # Recorded as a donation received yesterday: a wipe three days old was before the laptops came in.
    report = (
        await import_csv(
            client,
            staff,
            body,
            f"?dry_run=true&centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(1)}",
        )
    ).json()
    found = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert set(found) == {
        (3, "wipe_certificate_reference"),
        (4, "wipe_certificate_reference"),
        (5, "wipe_performed_on"),
        (6, "wipe_performed_on"),
    }
    assert found[(3, "wipe_certificate_reference")] == "repeats row 2"
    assert found[(4, "wipe_certificate_reference")] == f"already recorded for {held_tag}"
    real = await import_csv(
        client, staff, body, f"?centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(1)}"
    )
    assert_problem(real, 422, "wipe_certificate_reference", "wipe_performed_on")
    assert await count_rows(sessions, "asset") == 1
    assert_problem(
        await import_csv(
            client,
            staff,
            body,
            f"?centre_id={centre['id']}&donor_id={donor['id']}&received_on={days_ago(-1)}",
        ),
        422,
        "received_on",
    )

    # Without a donation's date, the file's wipe stands for the wipe since the asset came in.
    clean = "\n".join([header, rows[0], rows[4]]) + "\n"
    imported = await import_csv(client, staff, clean, f"?centre_id={centre['id']}")
    assert imported.status_code == 200, imported.text
    for tag in imported.json()["tags"]:
        shown = await asset(client, staff, tag)
        assert shown["status"] == "ready" and shown["wiped_since_intake"] is True


# --- SIM dates, serials ------------------------------------------------------------------------------------------


async def test_a_sim_cannot_expire_before_it_was_activated(client, staff, centre, donate, post_donation, sessions):
    activated = days_ago(10)
    assert_problem(
        await post_donation(sim(1, activated_on=activated, expires_on=days_ago(11))), 422, "items[0].expires_on"
    )
    tag = (await donate(sim(1, activated_on=activated, expires_on=activated)))["assets"][0]["tag"]
    for change in ({"expires_on": days_ago(11)}, {"activated_on": days_ago(-1), "expires_on": activated}):
        assert_problem(
            await client.patch(f"/api/v1/assets/{tag}", json=change, headers=staff.headers), 422, "expires_on"
        )
    body = (
        f"kind,iccid,network,activated_on,expires_on,centre\nsim,{make_iccid(5)},EE,{activated},{days_ago(11)},"
        f"Sparkbrook Hub\n"
    )
    report = (await import_csv(client, staff, body, "?dry_run=true")).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "expires_on")]
    assert await count_rows(sessions, "asset") == 1


async def test_serial_numbers_are_unique_whatever_their_case(client, staff, centre, donate, post_donation, sessions):
    tag = (await donate(laptop("ABC-123")))["assets"][0]["tag"]
    other = (await donate(laptop("XYZ-9")))["assets"][0]["tag"]
    body = assert_problem(await post_donation(laptop("abc-123")), 409, "items[0].serial_number")
    assert tag in body["detail"]
    assert_problem(await post_donation(laptop("Q-1"), laptop("q-1")), 422, "items[1].serial_number")
    assert_problem(
        await client.patch(f"/api/v1/assets/{other}", json={"serial_number": "Abc-123"}, headers=staff.headers),
        409,
        "serial_number",
    )
    # Its own serial in another case is no clash.
    ok = await client.patch(f"/api/v1/assets/{tag}", json={"serial_number": "abc-123"}, headers=staff.headers)
    assert ok.status_code == 200 and ok.json()["serial_number"] == "abc-123"
    lines = [
        "kind,make,model,serial_number,centre",
        "laptop,HP,ProBook,SN-77,Sparkbrook Hub",
        "laptop,hp,ProBook,sn-77,Sparkbrook Hub",
        "laptop,Dell,Latitude,ABC-123,Sparkbrook Hub",
    ]
    report = (await import_csv(client, staff, "\n".join(lines) + "\n", "?dry_run=true")).json()
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(3, "serial_number"), (4, "serial_number")}
    assert_problem(await import_csv(client, staff, "\n".join(lines) + "\n"), 422, "serial_number")
    assert await count_rows(sessions, "asset") == 2


# --- tags and search ---------------------------------------------------------------------------------------------


async def test_a_tag_is_found_however_it_is_spaced_hyphenated_or_cased(client, volunteer, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    prefix, number, check = tag.split("-")
    spellings = [
        tag,
        tag.lower(),
        f" {tag} ",
        f"{prefix} {number} {check}",
        f"{prefix}{number}{check}".lower(),
        f"{prefix.lower()} {number}{check}",
        f"{prefix}-{number[:3]} {number[3:]}-{check}",
        f"{prefix}\u2013{number}\u2013{check}",
        " ".join(tag.replace("-", "")),
    ]
    for typed in spellings:
        response = await client.get(f"/api/v1/assets/{typed}", headers=volunteer.headers)
        assert response.status_code == 200, typed
        assert response.json()["tag"] == tag
        history = await client.get(f"/api/v1/assets/{typed}/history", headers=volunteer.headers)
        assert history.status_code == 200, typed
    wrong = "A" if check != "A" else "B"
    assert_problem(await client.get(f"/api/v1/assets/{prefix} {number} {wrong}", headers=volunteer.headers), 404)


async def test_search_finds_what_the_query_looks_like(client, staff, donate):
    # Three laptops and a SIM whose phone number and ICCID are full of the laptops' digits.
    donation = await donate(
        laptop("S-1", make="Lenovo", model="ThinkPad T480"), laptop("S-2"), laptop("S-3"), sim(3, msisdn="07911 000003")
    )
    tags = [a["tag"] for a in donation["assets"]]
    laptop3, sim_tag = tags[2], tags[3]
    prefix, number, check = laptop3.split("-")

    async def found(q: str) -> list[str]:
        response = await client.get("/api/v1/assets", params={"q": q}, headers=staff.headers)
        assert response.status_code == 200, response.text
        return [a["tag"] for a in response.json()["items"]]

    # A tag or the start of one, however it is written, finds the tag and not the phone numbers.
    for q in (
        f"{prefix}-{number}".lower(),
        f"{prefix}{number}",
        f"{prefix} {number}",
        f"{prefix}-{number}-{check}",
        f"{prefix.lower()} {number} {check.lower()}",
    ):
        assert await found(q) == [laptop3], q
    assert await found(f"{prefix}-00000") == tags[:3]
    # Numbers find ICCIDs, IMEIs and phone numbers, however they are typed.
    for q in ("07911000003", "07911 000003", "+44 7911 000003", "7911 000003"):
        assert await found(q) == [sim_tag], q
    assert await found(make_iccid(3)[-8:]) == [sim_tag]
    # Words find make, model and serial numbers; LIKE's wildcards are only characters.
    assert await found("thinkpad") == [tags[0]]
    assert await found("s-2") == [tags[1]]
    assert await found("%") == [] and await found("_") == []
