from __future__ import annotations

import calendar
from datetime import date, timedelta

from lending.inventory.tags import Tag
from tests.inventory.conftest import laptop, sim
from tests.support import assert_problem, days_ago


async def wipe(client, actor, tag, **fields):
    body = {
        "method": "nwipe",
        "performed_on": days_ago(1),
        "performed_by": "Sam at the workshop",
        "certificate_reference": "NW-42",
        **fields,
    }
    return await client.post(f"/api/v1/assets/{tag}/wipes", json=body, headers=actor.headers)


async def move_to(client, actor, tag, to, **fields):
    return await client.post(f"/api/v1/assets/{tag}/transitions", json={"to": to, **fields}, headers=actor.headers)


async def test_lookup_ignores_case_spaces_and_hyphens(client, volunteer, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    for typed in (tag, tag.lower(), f"  {tag} ", tag.replace("-", "")):
        response = await client.get(f"/api/v1/assets/{typed}", headers=volunteer.headers)
        assert response.status_code == 200, typed
        assert response.json()["tag"] == tag


async def test_a_wrong_check_character_is_404_not_another_asset(client, staff, donate):
    donation = await donate(laptop("A"), laptop("B"))
    tag = donation["assets"][0]["tag"]
    prefix, number, check = tag.split("-")
    wrong = f"{prefix}-{number}-{'A' if check != 'A' else 'B'}"
    body = assert_problem(await client.get(f"/api/v1/assets/{wrong}", headers=staff.headers), 404)
    assert "check character" in body["detail"]
    # A transposed sequence number is caught too, instead of finding the other laptop.
    other = str(Tag("LAP", 2))[:-1] + check
    assert_problem(await client.get(f"/api/v1/assets/{other}", headers=staff.headers), 404)
    assert_problem(await client.get("/api/v1/assets/not-a-tag", headers=staff.headers), 404)


async def test_ready_needs_a_wipe_since_the_device_came_in(client, staff, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    assert (await move_to(client, staff, tag, "in_refurbishment")).status_code == 200
    body = assert_problem(await move_to(client, staff, tag, "ready"), 409)
    assert "wipe" in body["detail"]
    assert (await client.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()["status"] == "in_refurbishment"
    assert (await wipe(client, staff, tag)).status_code == 201
    ready = await move_to(client, staff, tag, "ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_a_forbidden_move_is_409_listing_the_allowed_ones(client, staff, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    body = assert_problem(await move_to(client, staff, tag, "ready"), 409)
    assert body["allowed"] == ["in_refurbishment", "lost", "repair", "retired", "stolen"]
    for loan_only in ("on_loan", "returned", "gifted"):
        body = assert_problem(await move_to(client, staff, tag, loan_only), 409)
        assert "only through a loan" in body["detail"]
    assert_problem(await move_to(client, staff, tag, "sold"), 422, "to")


async def test_retiring_needs_a_reason_and_keeps_the_weee_reference(client, staff, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    assert_problem(await move_to(client, staff, tag, "retired"), 422, "retired_reason")
    response = await move_to(
        client, staff, tag, "retired", retired_reason="recycled", weee_reference="WEEE-2026-7", reason="cracked chassis"
    )
    assert response.status_code == 200
    assert response.json()["retired_reason"] == "recycled" and response.json()["weee_reference"] == "WEEE-2026-7"
    body = assert_problem(await move_to(client, staff, tag, "in_refurbishment"), 409)
    assert body["allowed"] == []


async def test_an_expired_sim_cannot_become_ready(client, staff, donate):
    expired = (date.today() - timedelta(days=1)).isoformat()
    tags = [a["tag"] for a in (await donate(sim(1, expires_on=expired), sim(2)))["assets"]]
    for tag in tags:
        assert (await move_to(client, staff, tag, "in_refurbishment")).status_code == 200
    assert "expired" in assert_problem(await move_to(client, staff, tags[0], "ready"), 409)["detail"]
    # A SIM holds no data: no wipe needed.
    assert (await move_to(client, staff, tags[1], "ready")).status_code == 200


async def test_wipe_rules(client, staff, donate):
    laptop_tag, sim_tag = [a["tag"] for a in (await donate(laptop(), sim(1)))["assets"]]
    assert_problem(
        await wipe(client, staff, laptop_tag, method="blancco", certificate_reference=None),
        422,
        "certificate_reference",
    )
    assert_problem(await wipe(client, staff, laptop_tag, method="shredder"), 422, "method")
    future = (date.today() + timedelta(days=3)).isoformat()
    assert_problem(await wipe(client, staff, laptop_tag, performed_on=future), 422, "performed_on")
    assert_problem(await wipe(client, staff, sim_tag, method="manufacturer-reset"), 422, "method")
    ok = await wipe(client, staff, laptop_tag, method="manufacturer-reset", certificate_reference=None)
    assert ok.status_code == 201 and ok.json()["method"] == "manufacturer-reset"
    detail = (await client.get(f"/api/v1/assets/{laptop_tag}", headers=staff.headers)).json()
    assert detail["wiped_since_intake"] is True and len(detail["wipes"]) == 1


async def test_history_records_every_step_with_who_and_when(client, staff, admin, other_centre, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    await client.patch(f"/api/v1/assets/{tag}", json={"ram_gb": 16, "notes": "RAM upgraded"}, headers=staff.headers)
    await move_to(client, staff, tag, "in_refurbishment", reason="start refurb")
    await wipe(client, admin, tag)
    await move_to(client, staff, tag, "ready")
    await client.post(
        f"/api/v1/assets/{tag}/move", json={"centre_id": other_centre["id"], "reason": "stock"}, headers=staff.headers
    )
    response = await client.get(f"/api/v1/assets/{tag}/history", headers=staff.headers)
    assert response.status_code == 200
    events = response.json()
    assert [e["kind"] for e in events] == ["created", "edit", "transition", "wipe", "transition", "move"]
    _created, edit, refurb, wiped, ready, moved = events
    assert edit["details"]["fields"]["ram_gb"] == {"before": 8, "after": 16}
    assert (refurb["from_status"], refurb["to_status"], refurb["reason"]) == (
        "received",
        "in_refurbishment",
        "start refurb",
    )
    assert wiped["actor_id"] == admin.id and wiped["details"]["certificate_reference"] == "NW-42"
    assert (ready["from_status"], ready["to_status"]) == ("in_refurbishment", "ready")
    assert moved["details"]["to_centre_id"] == other_centre["id"]
    assert all(e["actor_label"] and e["occurred_at"] for e in events)
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times)
    assert {e["actor_id"] for e in events if e["kind"] != "wipe"} == {staff.id}


async def test_patch_changes_description_only(client, staff, donate, sessions):
    tag = (await donate(laptop("SER-1"), laptop("SER-2")))["assets"][0]["tag"]
    assert_problem(
        await client.patch(f"/api/v1/assets/{tag}", json={"status": "ready"}, headers=staff.headers), 422, "status"
    )
    assert_problem(
        await client.patch(f"/api/v1/assets/{tag}", json={"tag": "LAP-000009-X"}, headers=staff.headers), 422, "tag"
    )
    assert_problem(
        await client.patch(f"/api/v1/assets/{tag}", json={"iccid": "8944100000000000018"}, headers=staff.headers),
        422,
        "iccid",
    )
    body = assert_problem(
        await client.patch(f"/api/v1/assets/{tag}", json={"serial_number": "SER-2"}, headers=staff.headers),
        409,
        "serial_number",
    )
    assert "LAP-000002" in body["detail"]
    ok = await client.patch(
        f"/api/v1/assets/{tag}", json={"condition_grade": "A", "os": "ubuntu-linux"}, headers=staff.headers
    )
    assert ok.status_code == 200 and ok.json()["condition_grade"] == "A" and ok.json()["status"] == "received"


async def test_sim_expiry_follows_activation_on_edit(client, staff, donate):
    tag = (await donate(sim(1)))["assets"][0]["tag"]
    last_year = date.today().year - 1
    response = await client.patch(
        f"/api/v1/assets/{tag}", json={"activated_on": f"{last_year}-01-31", "plan_months": 1}, headers=staff.headers
    )
    # One month from 31 January ends on February's last day.
    assert response.json()["expires_on"] == f"{last_year}-02-{calendar.monthrange(last_year, 2)[1]}"


async def test_moves_between_centres_are_recorded_and_guarded(client, volunteer, staff, other_centre, donate):
    tag = (await donate(laptop()))["assets"][0]["tag"]
    response = await client.post(
        f"/api/v1/assets/{tag}/move", json={"centre_id": other_centre["id"]}, headers=volunteer.headers
    )
    assert response.status_code == 200 and response.json()["centre_id"] == other_centre["id"]
    assert_problem(
        await client.post(
            f"/api/v1/assets/{tag}/move", json={"centre_id": other_centre["id"]}, headers=volunteer.headers
        ),
        409,
    )
    assert_problem(
        await client.post(f"/api/v1/assets/{tag}/move", json={"centre_id": 999}, headers=volunteer.headers),
        422,
        "centre_id",
    )


async def test_voucher_codes_are_for_staff_and_admin_only(client, staff, admin, volunteer, donate):
    tag = (await donate(sim(1)))["assets"][0]["tag"]
    for reader in (staff, admin):
        assert (await client.get(f"/api/v1/assets/{tag}", headers=reader.headers)).json()[
            "voucher_code"
        ] == "VOUCH-SECRET-1"
        assert (await client.get("/api/v1/assets", headers=reader.headers)).json()["items"][0][
            "voucher_code"
        ] == "VOUCH-SECRET-1"
    single = await client.get(f"/api/v1/assets/{tag}", headers=volunteer.headers)
    listing = await client.get("/api/v1/assets", headers=volunteer.headers)
    export = await client.get("/api/v1/assets.csv", headers=volunteer.headers)
    history = await client.get(f"/api/v1/assets/{tag}/history", headers=volunteer.headers)
    for response in (single, listing, export, history):
        assert response.status_code == 200
        assert "VOUCH-SECRET" not in response.text and "voucher_code" not in response.text
    assert single.json()["iccid"]  # the rest of the SIM is visible
    assert "VOUCH-SECRET-1" in (await client.get("/api/v1/assets.csv", headers=staff.headers)).text


async def test_roles_on_inventory(client, volunteer, make_user, donate):
    school = await make_user("school")
    tag = (await donate(laptop()))["assets"][0]["tag"]
    for path in (
        "/api/v1/assets",
        f"/api/v1/assets/{tag}",
        f"/api/v1/assets/{tag}/history",
        "/api/v1/assets.csv",
        "/api/v1/donors",
        "/api/v1/donations",
    ):
        assert_problem(await client.get(path, headers=school.headers), 403)
    assert (await client.get(f"/api/v1/assets/{tag}/history", headers=volunteer.headers)).status_code == 200
    assert_problem(await move_to(client, volunteer, tag, "in_refurbishment"), 403)
    assert_problem(await wipe(client, volunteer, tag), 403)
    assert_problem(await client.patch(f"/api/v1/assets/{tag}", json={"notes": "x"}, headers=volunteer.headers), 403)
    assert_problem(await client.post("/api/v1/donations", json={}, headers=volunteer.headers), 403)


async def test_list_filters(client, staff, other_centre, donate):
    soon = (date.today() + timedelta(days=10)).isoformat()
    later = (date.today() + timedelta(days=200)).isoformat()
    donation = await donate(
        laptop("L1", model="ThinkPad T480", make="Lenovo"),
        laptop("L2"),
        sim(1, expires_on=soon, msisdn="07911 000001"),
        sim(2, expires_on=later),
    )
    tags = [a["tag"] for a in donation["assets"]]
    await client.post(f"/api/v1/assets/{tags[1]}/move", json={"centre_id": other_centre["id"]}, headers=staff.headers)
    await move_to(client, staff, tags[0], "in_refurbishment")

    async def tags_for(query: str) -> list[str]:
        response = await client.get(f"/api/v1/assets?{query}", headers=staff.headers)
        assert response.status_code == 200, response.text
        return [a["tag"] for a in response.json()["items"]]

    assert await tags_for("kind=sim") == tags[2:]
    assert await tags_for("kind=laptop,sim&status=received") == tags[1:]
    assert await tags_for(f"centre_id={other_centre['id']}") == [tags[1]]
    assert await tags_for(f"donation_id={donation['id']}&limit=2") == tags[:2]
    assert await tags_for("q=thinkpad") == [tags[0]]
    assert await tags_for("q=l2") == [tags[1]]
    assert await tags_for(f"q={tags[3].lower()}") == [tags[3]]
    assert await tags_for("q=07911000001") == [tags[2]]
    assert await tags_for(f"q={sim(2)['iccid'][-8:]}") == [tags[3]]
    assert await tags_for("sim_expiring_within_days=30") == [tags[2]]
    assert await tags_for("sort=-tag&kind=laptop") == [tags[1], tags[0]]
    assert_problem(await client.get("/api/v1/assets?status=broken", headers=staff.headers), 422, "status")
    assert_problem(await client.get("/api/v1/assets?kind=fax", headers=staff.headers), 422, "kind")


async def test_inventory_changes_are_in_the_audit_trail(client, staff, admin, donate):
    tag = (await donate(sim(1)))["assets"][0]["tag"]
    asset_id = str((await client.get(f"/api/v1/assets/{tag}", headers=staff.headers)).json()["id"])
    await move_to(client, staff, tag, "in_refurbishment")
    await client.patch(f"/api/v1/assets/{tag}", json={"voucher_code": "NEW-SECRET"}, headers=staff.headers)
    trail = (await client.get(f"/api/v1/audit?entity=asset&entity_id={asset_id}", headers=admin.headers)).json()
    actions = [(e["action"], e["actor_id"]) for e in trail["items"]]
    assert actions == [("create", staff.id), ("update", staff.id), ("update", staff.id)]
    assert trail["items"][1]["before"]["status"] == "received"
    assert trail["items"][1]["after"]["status"] == "in_refurbishment"
    assert trail["items"][2]["after"] == {"voucher_code": "[redacted]"}
    assert "SECRET" not in str(trail)
    donations = (await client.get("/api/v1/audit?entity=donation", headers=admin.headers)).json()
    assert donations["total"] == 1
