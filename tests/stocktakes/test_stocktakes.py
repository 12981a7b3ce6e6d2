"""Counting a shelf over HTTP, on the real database: found, missing, unexpected and wrong status; kept on finish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from lending.audit.recorder import set_actor
from lending.stocktakes.models import Stocktake, StocktakeStatus
from tests.stocktakes.conftest import tags_by_outcome
from tests.support import assert_problem, count_rows

OUTCOMES = {"found", "missing", "unexpected", "wrong_status"}


async def move(client, actor, tag: str, centre_id: int) -> None:
    response = await client.post(
        f"/api/v1/assets/{tag}/move",
        json={"centre_id": centre_id, "reason": "found on the shelf"},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def shelf(stock, issue, centre, other_centre):
    """Sparkbrook holds three ready laptops and one out on loan; Aston holds one ready laptop."""
    on_shelf, forgotten, lent = await stock("laptop", "laptop", "laptop")
    (strayed,) = await stock("laptop", centre_name=other_centre["name"])
    response = await issue(lent)
    assert response.status_code == 201, response.text
    return {"found": on_shelf, "missing": forgotten, "wrong_status": lent, "unexpected": strayed}


async def test_a_count_sorts_found_missing_unexpected_and_wrong_status(
    client, volunteer, count, shelf, centre, other_centre
):
    started = datetime.now(UTC) - timedelta(seconds=1)
    response = await count.start(centre["id"])
    assert response.status_code == 201, response.text
    stocktake = response.json()
    assert stocktake["status"] == "open" and stocktake["centre_name"] == centre["name"]
    assert stocktake["started_by_id"] == volunteer.id and stocktake["finished_at"] is None
    # Before any scan everything on the shelf is missing, and the lent laptop is not expected there.
    before = {"found": [], "missing": sorted([shelf["found"], shelf["missing"]]), "unexpected": [], "wrong_status": []}
    assert tags_by_outcome(stocktake) == before

    for outcome in ("found", "unexpected", "wrong_status"):
        # Scanners and people type tags in any case, with or without hyphens.
        tag = shelf[outcome].lower().replace("-", "") if outcome == "found" else shelf[outcome]
        scanned = await count.scan(stocktake["id"], tag)
        assert scanned.status_code == 200, scanned.text
        body = scanned.json()
        assert body["outcome"] == outcome and body["already_counted"] is False
        assert body["item"]["tag"] == shelf[outcome]
    unexpected = (await count.scan(stocktake["id"], shelf["unexpected"])).json()["item"]
    assert unexpected["centre_id"] == other_centre["id"] and unexpected["centre_name"] == other_centre["name"]
    assert unexpected["status"] == "ready" and unexpected["kind"] == "laptop"
    assert (unexpected["make"], unexpected["model"]) == ("Dell", "Latitude 5490")

    detail = await count.read(stocktake["id"])
    assert tags_by_outcome(detail) == {outcome: [tag] for outcome, tag in shelf.items()}
    assert detail["counts"] == dict.fromkeys(OUTCOMES, 1) and detail["scanned"] == 3
    (wrong,) = detail["results"]["wrong_status"]
    assert wrong["status"] == "on_loan" and wrong["centre_id"] == centre["id"]

    # The desk offers to move the unexpected laptop here: the count then finds it.
    await move(client, volunteer, shelf["unexpected"], centre["id"])
    assert tags_by_outcome(await count.read(stocktake["id"]))["found"] == sorted([shelf["found"], shelf["unexpected"]])

    finished = await count.finish(stocktake["id"])
    assert finished.status_code == 200, finished.text
    kept = finished.json()
    assert kept["status"] == "finished" and kept["finished_by_id"] == volunteer.id
    assert kept["finished_by_name"] and started <= datetime.fromisoformat(kept["finished_at"]) <= datetime.now(UTC)
    assert tags_by_outcome(kept) == {
        "found": sorted([shelf["found"], shelf["unexpected"]]),
        "missing": [shelf["missing"]],
        "unexpected": [],
        "wrong_status": [shelf["wrong_status"]],
    }
    assert await count.read(stocktake["id"]) == kept


async def test_scanning_an_asset_twice_counts_it_once(count, shelf, centre, sessions):
    stocktake = (await count.start(centre["id"])).json()
    first = await count.scan(stocktake["id"], shelf["found"])
    again = await count.scan(stocktake["id"], shelf["found"].lower())
    assert first.json()["already_counted"] is False
    assert again.status_code == 200 and again.json()["already_counted"] is True
    assert again.json()["outcome"] == "found"
    assert again.json()["item"]["scanned_at"] == first.json()["item"]["scanned_at"]
    assert (await count.read(stocktake["id"]))["scanned"] == 1
    assert await count_rows(sessions, "stocktake_scan") == 1


async def test_a_finished_count_stays_as_kept_when_assets_move_later(client, staff, count, shelf, centre, other_centre):
    stocktake = (await count.start(centre["id"])).json()
    await count.scan(stocktake["id"], shelf["found"])
    await count.scan(stocktake["id"], shelf["unexpected"])
    kept = (await count.finish(stocktake["id"])).json()

    await move(client, staff, shelf["found"], other_centre["id"])
    await move(client, staff, shelf["missing"], other_centre["id"])
    await move(client, staff, shelf["unexpected"], centre["id"])
    lost = await client.post(
        f"/api/v1/assets/{shelf['found']}/transitions", json={"to": "lost", "reason": "gone"}, headers=staff.headers
    )
    assert lost.status_code == 200, lost.text

    again = await count.read(stocktake["id"])
    assert again == kept
    (found,) = again["results"]["found"]
    assert (found["tag"], found["status"], found["centre_id"]) == (shelf["found"], "ready", centre["id"])
    (missing,) = again["results"]["missing"]
    assert missing["centre_id"] == centre["id"]
    (unexpected,) = again["results"]["unexpected"]
    assert unexpected["centre_id"] == other_centre["id"]
    # A new count of the same shelf sees the shelf as it is now.
    fresh = (await count.start(centre["id"])).json()
    assert tags_by_outcome(fresh)["missing"] == [shelf["unexpected"]]


async def test_counts_are_listed_newest_first_and_filtered(client, volunteer, count, centre, other_centre):
    first = (await count.start(centre["id"])).json()
    await count.finish(first["id"])
    second = (await count.start(centre["id"])).json()
    elsewhere = (await count.start(other_centre["id"])).json()

    async def listed(**params) -> dict:
        response = await client.get("/api/v1/stocktakes", params=params, headers=volunteer.headers)
        assert response.status_code == 200, response.text
        return response.json()

    everything = await listed()
    assert set(everything) == {"items", "total", "limit", "offset"} and everything["total"] == 3
    assert [s["id"] for s in everything["items"]] == [elsewhere["id"], second["id"], first["id"]]
    assert [s["id"] for s in (await listed(centre_id=centre["id"]))["items"]] == [second["id"], first["id"]]
    assert [s["id"] for s in (await listed(status="finished"))["items"]] == [first["id"]]
    assert (await listed(status="open,finished", limit=1, offset=1))["items"][0]["id"] == second["id"]
    assert "results" not in everything["items"][0]
    assert_problem(
        await client.get("/api/v1/stocktakes", params={"status": "closed"}, headers=volunteer.headers), 422, "status"
    )
    assert_problem(
        await client.get("/api/v1/stocktakes", params={"sort": "tag"}, headers=volunteer.headers), 422, "sort"
    )


async def test_what_cannot_be_counted_is_refused_by_name_and_nothing_is_written(
    client, volunteer, staff, count, shelf, centre, sessions
):
    assert_problem(await count.start(10_000), 422, "centre_id")
    inactive = await client.post(
        "/api/v1/centres", json={"name": "Closed Hub", "postcode": "B1 1AA", "is_active": False}, headers=staff.headers
    )
    assert_problem(await count.start(inactive.json()["id"]), 422, "centre_id")
    assert_problem(await client.post("/api/v1/stocktakes", json={}, headers=volunteer.headers), 422, "centre_id")

    stocktake = (await count.start(centre["id"])).json()
    clash = assert_problem(await count.start(centre["id"]), 409)
    assert clash["existing_id"] == stocktake["id"]

    assert_problem(await count.scan(stocktake["id"], "LAP-999999-9"), 422, "tag")
    mistyped = shelf["found"][:-1] + ("A" if shelf["found"][-1] != "A" else "B")
    body = assert_problem(await count.scan(stocktake["id"], mistyped), 422, "tag")
    assert "check character" in body["detail"]
    assert_problem(await count.scan(stocktake["id"], "not a tag"), 422, "tag")
    assert_problem(await count.scan(stocktake["id"], ""), 422, "tag")
    assert await count_rows(sessions, "stocktake_scan") == 0

    assert_problem(await client.get("/api/v1/stocktakes/10000", headers=volunteer.headers), 404)
    assert_problem(await count.scan(10_000, shelf["found"]), 404)
    assert_problem(await count.finish(10_000), 404)

    assert (await count.finish(stocktake["id"])).status_code == 200
    assert_problem(await count.scan(stocktake["id"], shelf["found"]), 409)
    assert_problem(await count.finish(stocktake["id"]), 409)
    assert await count_rows(sessions, "stocktake_scan") == 0


async def test_the_database_itself_keeps_one_open_count_per_centre(sessions, centre, volunteer):
    async def add(status: StocktakeStatus) -> None:
        async with sessions() as session, session.begin():
            set_actor(session, user_id=None, label="test-setup")
            finished = status is StocktakeStatus.finished
            session.add(
                Stocktake(
                    centre_id=centre["id"],
                    status=status,
                    started_at=datetime.now(UTC),
                    started_by_id=volunteer.id,
                    finished_at=datetime.now(UTC) if finished else None,
                    finished_by_id=volunteer.id if finished else None,
                )
            )

    await add(StocktakeStatus.finished)
    await add(StocktakeStatus.finished)
    await add(StocktakeStatus.open)
    with pytest.raises(IntegrityError):
        await add(StocktakeStatus.open)


async def test_starting_scanning_and_finishing_are_in_the_audit_log(client, admin, volunteer, count, shelf, centre):
    stocktake = (await count.start(centre["id"])).json()
    await count.scan(stocktake["id"], shelf["found"])
    await count.scan(stocktake["id"], shelf["found"])  # nothing new: no new entry
    await count.finish(stocktake["id"])

    async def trail(entity: str, **params) -> list[dict]:
        response = await client.get("/api/v1/audit", params={"entity": entity, **params}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    started, finished = await trail("stocktake", entity_id=str(stocktake["id"]))
    assert started["action"] == "create" and started["after"]["centre_id"] == centre["id"]
    assert finished["action"] == "update"
    assert finished["before"]["status"] == "open" and finished["after"]["status"] == "finished"
    assert finished["after"]["finished_by_id"] == volunteer.id
    (scan,) = await trail("stocktake_scan")
    assert scan["action"] == "create" and scan["after"]["scanned_by_id"] == volunteer.id
    for entry in (started, finished, scan):
        assert entry["actor_id"] == volunteer.id and entry["request_id"]


async def test_schools_may_not_count(client, make_user, count, centre):
    school = await make_user("school")
    assert_problem(await count.start(centre["id"], actor=school), 403)
    stocktake = (await count.start(centre["id"])).json()
    assert_problem(await client.get("/api/v1/stocktakes", headers=school.headers), 403)
    assert_problem(await client.get(f"/api/v1/stocktakes/{stocktake['id']}", headers=school.headers), 403)
    assert_problem(await count.scan(stocktake["id"], "LAP-000001-Q", actor=school), 403)
    assert_problem(await count.finish(stocktake["id"], actor=school), 403)
