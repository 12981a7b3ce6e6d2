from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lending.inventory.models import Asset
from lending.loans.models import LoanItem
from tests.support import assert_problem, count_rows, days_ago


async def status_of(client, actor, tag) -> str:
    return (await client.get(f"/api/v1/assets/{tag}", headers=actor.headers)).json()["status"]


async def test_a_volunteer_issues_a_bundle_in_one_go(client, volunteer, staff, stock, issue, settings):
    laptop, sim = await stock("laptop", "sim")
    response = await issue(laptop, sim.lower(), notes="with charger")
    assert response.status_code == 201, response.text
    loan = response.json()
    assert loan["reference"] == f"LN-{loan['id']:06d}" and loan["status"] == "active"
    assert loan["agreement"] == "unsigned" and loan["acceptance"] is None
    assert loan["due_on"] == (date.today() + timedelta(days=settings.loan_days)).isoformat()
    assert [i["tag"] for i in loan["items"]] == [laptop, sim] and loan["issued_by_id"] == volunteer.id
    for tag in (laptop, sim):
        assert await status_of(client, staff, tag) == "on_loan"
    history = (await client.get(f"/api/v1/assets/{laptop}/history", headers=staff.headers)).json()
    assert (history[-1]["from_status"], history[-1]["to_status"]) == ("ready", "on_loan")
    assert history[-1]["details"]["loan_id"] == loan["id"]
    fetched = await client.get(f"/api/v1/loans/{loan['id']}", headers=volunteer.headers)
    assert fetched.json() == loan


async def test_items_not_ready_or_elsewhere_are_refused_and_nothing_is_written(
    client, staff, stock, issue, sessions, other_centre, family
):
    ready, elsewhere = await stock("laptop", "laptop")
    fresh = (
        await client.post(
            "/api/v1/donations",
            json={
                "donor_id": (
                    await client.post("/api/v1/donors", json={"name": "D", "kind": "individual"}, headers=staff.headers)
                ).json()["id"],
                "centre_id": (await client.get("/api/v1/centres?q=sparkbrook", headers=staff.headers)).json()["items"][
                    0
                ]["id"],
                "received_on": days_ago(2),
                "items": [{"kind": "laptop", "make": "HP", "model": "ProBook"}],
            },
            headers=staff.headers,
        )
    ).json()["assets"][0]["tag"]
    await client.post(f"/api/v1/assets/{elsewhere}/move", json={"centre_id": other_centre["id"]}, headers=staff.headers)
    body = assert_problem(await issue(ready, fresh), 409, "items[1]")
    assert fresh in body["detail"] and "received" in body["detail"]
    body = assert_problem(await issue(ready, elsewhere), 409, "items[1]")
    assert "another centre" in body["detail"]
    assert_problem(await issue(ready, ready), 422, "items[1]")
    assert_problem(await issue(ready, "LAP-999999-Z"), 422, "items[1]")
    assert_problem(await issue(), 422, "items")
    assert_problem(await issue(ready, due_on=date.today().isoformat()), 422, "due_on")
    assert_problem(await issue(ready, family_id=424242), 422, "family_id")
    assert_problem(await issue(ready, centre_id=424242), 422, "centre_id")
    for table in ("loan", "loan_item"):
        assert await count_rows(sessions, table) == 0
    assert await status_of(client, staff, ready) == "ready"


async def test_an_erased_family_cannot_borrow(client, admin, stock, issue, family, sessions):
    (tag,) = await stock("laptop")
    await client.post(f"/api/v1/families/{family['id']}/erase", headers=admin.headers)
    assert_problem(await issue(tag), 409)
    assert await count_rows(sessions, "loan") == 0


async def test_a_school_cannot_issue(client, make_user, stock, issue):
    (tag,) = await stock("laptop")
    assert_problem(await issue(tag, actor=await make_user("school")), 403)


async def test_the_nomination_is_fulfilled_when_the_loans_cover_it(client, staff, stock, issue, family, make_user):
    school = (await client.post("/api/v1/schools", json={"name": "S", "urn": "123456"}, headers=staff.headers)).json()
    nomination = (
        await client.post(
            "/api/v1/nominations",
            json={"family_id": family["id"], "school_id": school["id"], "laptops": 1, "sims": 1},
            headers=staff.headers,
        )
    ).json()
    laptop, sim = await stock("chromebook", "sim")
    assert_problem(await issue(laptop, nomination_id=nomination["id"]), 409)  # not approved yet
    await client.post(
        f"/api/v1/nominations/{nomination['id']}/decision", json={"decision": "approve"}, headers=staff.headers
    )
    first = await issue(laptop, nomination_id=nomination["id"])
    assert first.status_code == 201
    seen = (await client.get(f"/api/v1/nominations/{nomination['id']}", headers=staff.headers)).json()
    assert seen["status"] == "approved"  # the SIM is still owed
    assert (await issue(sim, nomination_id=nomination["id"])).status_code == 201
    seen = (await client.get(f"/api/v1/nominations/{nomination['id']}", headers=staff.headers)).json()
    assert seen["status"] == "fulfilled" and seen["timeline"][-1]["action"] == "fulfilled"


async def test_the_database_itself_allows_one_active_loan_per_asset(client, stock, issue, sessions):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    async with sessions() as session:
        asset_id = (await session.scalars(select(Asset.id).where(Asset.tag == tag))).one()
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(LoanItem(loan_id=loan["id"], asset_id=asset_id))
            await session.flush()


@pytest.mark.parametrize("racers", [8])
async def test_racing_issues_of_one_device_have_exactly_one_winner(
    live_server, client, make_user, stock, centre, family, sessions, racers
):
    desks = [await make_user("volunteer") for _ in range(racers)]
    (tag,) = await stock("laptop")
    body = {"family_id": family["id"], "centre_id": centre["id"], "items": [tag]}
    async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=httpx.Limits(max_connections=racers)) as http:
        responses = await asyncio.gather(*[http.post("/api/v1/loans", json=body, headers=d.headers) for d in desks])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (racers - 1), [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 201)
    for loser in (r for r in responses if r.status_code == 409):
        problem = loser.json()
        assert loser.headers["content-type"].startswith("application/problem+json")
        assert problem["asset"] == tag and problem["loan_id"] == winner["id"]
        assert winner["reference"] in problem["detail"]
    assert await count_rows(sessions, "loan") == 1 and await count_rows(sessions, "loan_item") == 1


async def test_idempotency_key_replays_the_first_answer(client, volunteer, make_user, stock, centre, family, sessions):
    first_tag, second_tag = await stock("laptop", "laptop")
    body = {"family_id": family["id"], "centre_id": centre["id"], "items": [first_tag]}
    headers = {**volunteer.headers, "Idempotency-Key": "desk-3-20261122-0001"}
    one = await client.post("/api/v1/loans", json=body, headers=headers)
    two = await client.post("/api/v1/loans", json=body, headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.json() == two.json()
    assert await count_rows(sessions, "loan") == 1
    different = await client.post("/api/v1/loans", json={**body, "items": [second_tag]}, headers=headers)
    assert_problem(different, 422, "Idempotency-Key")
    assert await count_rows(sessions, "loan") == 1
    # Keys belong to the user who sent them: another desk's same key is a new request.
    other = await make_user("volunteer")
    again = await client.post(
        "/api/v1/loans",
        json={**body, "items": [second_tag]},
        headers={**other.headers, "Idempotency-Key": "desk-3-20261122-0001"},
    )
    assert again.status_code == 201 and again.json()["id"] != one.json()["id"]


async def test_a_failed_request_does_not_burn_its_idempotency_key(client, volunteer, stock, centre, family):
    (tag,) = await stock("laptop")
    headers = {**volunteer.headers, "Idempotency-Key": "retry-me"}
    body = {"family_id": family["id"], "centre_id": centre["id"], "items": [tag]}
    assert_problem(
        await client.post("/api/v1/loans", json={**body, "due_on": "2000-01-01"}, headers=headers), 422, "due_on"
    )
    assert (
        await client.post("/api/v1/loans", json={**body, "due_on": "2000-01-01"}, headers=headers)
    ).status_code == 422
    assert (await client.post("/api/v1/loans", json=body, headers=headers)).status_code == 201
