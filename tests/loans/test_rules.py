"""Rules the loans must keep: how a loan ends, who may witness a signature, and lost SIMs barred."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from lending.accounts.models import Role
from tests.families.conftest import family_data
from tests.support import assert_problem


async def lend(issue, *tags) -> dict:
    response = await issue(*tags)
    assert response.status_code == 201, response.text
    return response.json()


async def give_back(client, actor, loan, *tags):
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/returns",
        json={"items": [{"tag": tag, "condition": "good"} for tag in tags]},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def report(client, actor, loan, tag, outcome, **extra):
    response = await client.post(
        f"/api/v1/loans/{loan['id']}/items/{tag}/outcome", json={"outcome": outcome, **extra}, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- how a loan ends -----------------------------------------------------------------------------------------------


async def test_a_loan_ends_by_its_worst_item(client, staff, volunteer, stock, issue):
    tags = await stock(*["laptop"] * 9)
    only_stolen = await lend(issue, tags[0])
    only_lost = await lend(issue, tags[1])
    back_and_lost = await lend(issue, tags[2], tags[3])
    all_three = await lend(issue, tags[4], tags[5], tags[6])
    all_back = await lend(issue, tags[7], tags[8])

    assert (await report(client, volunteer, only_stolen, tags[0], "stolen"))["status"] == "stolen"
    assert (await report(client, volunteer, only_lost, tags[1], "lost"))["status"] == "lost"
    # An earlier loss counts when the last item comes back.
    assert (await report(client, volunteer, back_and_lost, tags[2], "lost"))["status"] == "active"
    closed = await give_back(client, volunteer, back_and_lost, tags[3])
    assert closed["status"] == "lost" and closed["closed_at"]
    await give_back(client, volunteer, all_three, tags[4])
    await report(client, volunteer, all_three, tags[5], "stolen", police_reference="WMP-1")
    assert (await report(client, volunteer, all_three, tags[6], "lost"))["status"] == "stolen"
    assert (await give_back(client, volunteer, all_back, tags[7], tags[8]))["status"] == "returned"

    async def listed(status: str) -> set[str]:
        body = (await client.get(f"/api/v1/loans?status={status}", headers=staff.headers)).json()
        return {loan["reference"] for loan in body["items"]}

    assert await listed("stolen") == {only_stolen["reference"], all_three["reference"]}
    assert await listed("lost") == {only_lost["reference"], back_and_lost["reference"]}
    assert await listed("returned") == {all_back["reference"]}
    assert await listed("lost,stolen") == await listed("lost") | await listed("stolen")
    rows = list(
        csv.DictReader(
            io.StringIO((await client.get("/api/v1/loans.csv?status=lost,stolen", headers=staff.headers)).text)
        )
    )
    assert {(r["reference"], r["status"]) for r in rows} == {
        (only_stolen["reference"], "stolen"),
        (all_three["reference"], "stolen"),
        (only_lost["reference"], "lost"),
        (back_and_lost["reference"], "lost"),
    }
    # A closed loan takes nothing more, whatever its ending.
    assert_problem(
        await client.post(
            f"/api/v1/loans/{only_stolen['id']}/returns",
            json={"items": [{"tag": tags[0], "condition": "good"}]},
            headers=volunteer.headers,
        ),
        409,
    )


# --- the witness ---------------------------------------------------------------------------------------------------


async def test_only_a_desk_user_at_the_loans_centre_witnesses_the_signature(
    client, admin, staff, make_user, centre, other_centre, stock, issue, sessions
):
    here = await make_user(Role.volunteer, home_centre_id=centre["id"])
    coordinator_here = await make_user(Role.staff, home_centre_id=centre["id"])
    elsewhere = await make_user(Role.volunteer, home_centre_id=other_centre["id"])
    admin_elsewhere = await make_user(Role.admin, home_centre_id=other_centre["id"])
    gone = await make_user(Role.volunteer, home_centre_id=centre["id"])
    school = await make_user(Role.school)
    deactivated = await client.patch(f"/api/v1/users/{gone.id}", json={"is_active": False}, headers=admin.headers)
    assert deactivated.status_code == 200, deactivated.text
    tags = await stock("laptop", "laptop", "laptop")
    loans = [await lend(issue, tag) for tag in tags]

    def sign(loan, actor, **body):
        return client.post(
            f"/api/v1/loans/{loan['id']}/acceptance",
            json={"signer_name": "Amina Khan", "relationship": "parent", **body},
            headers=actor.headers,
        )

    # Anyone not at the desk of this centre: an admin (with no home centre, or another), a volunteer of another
    # centre, a deactivated volunteer of this one, a school user, nobody at all.
    for witness in (admin.id, admin_elsewhere.id, elsewhere.id, gone.id, school.id, 999_999):
        assert_problem(await sign(loans[0], here, witnessed_by_id=witness), 422, "witnessed_by_id")
    # Recording it yourself at another centre than your own is no better.
    assert_problem(await sign(loans[0], elsewhere), 422, "witnessed_by_id")
    assert_problem(await sign(loans[0], admin_elsewhere), 422, "witnessed_by_id")
    response = await client.get(f"/api/v1/loans/{loans[0]['id']}", headers=staff.headers)
    assert response.json()["agreement"] == "unsigned"

    signed = await sign(loans[0], here, witnessed_by_id=coordinator_here.id)
    assert signed.status_code == 201, signed.text
    assert signed.json()["acceptance"]["witnessed_by_id"] == coordinator_here.id
    mine = await sign(loans[1], here)
    assert mine.status_code == 201 and mine.json()["acceptance"]["witnessed_by_id"] == here.id
    # Staff working across centres (no home centre) may witness what they record themselves.
    roaming = await sign(loans[2], staff)
    assert roaming.status_code == 201 and roaming.json()["acceptance"]["witnessed_by_id"] == staff.id


# --- SIM barring ---------------------------------------------------------------------------------------------------


async def test_staff_list_the_sims_to_bar_and_record_the_barring(client, admin, staff, volunteer, stock, issue):
    laptop, lost_sim, stolen_sim, kept_sim = await stock("laptop", "sim", "sim", "sim")
    loan = await lend(issue, laptop, lost_sim, stolen_sim, kept_sim)
    await report(client, volunteer, loan, lost_sim, "lost")
    await report(client, volunteer, loan, stolen_sim, "stolen", police_reference="WMP-77")
    await report(client, volunteer, loan, laptop, "stolen", police_reference="WMP-77")

    listed = await client.get("/api/v1/sims/to-bar", headers=staff.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 2 and [s["tag"] for s in body["items"]] == [lost_sim, stolen_sim]
    first = body["items"][0]
    assert (first["loan_id"], first["loan_reference"], first["outcome"], first["network"]) == (
        loan["id"],
        loan["reference"],
        "lost",
        "EE",
    )
    assert first["iccid"] and first["reported_at"] and first["barred_on"] is None
    assert body["items"][1]["police_reference"] == "WMP-77"
    sheet = list(csv.DictReader(io.StringIO((await client.get("/api/v1/sims/to-bar.csv", headers=staff.headers)).text)))
    assert [(r["tag"], r["loan_reference"], r["outcome"]) for r in sheet] == [
        (lost_sim, loan["reference"], "lost"),
        (stolen_sim, loan["reference"], "stolen"),
    ]

    for path in ("/api/v1/sims/to-bar", "/api/v1/sims/to-bar.csv"):
        assert_problem(await client.get(path, headers=volunteer.headers), 403)
    assert_problem(await client.post(f"/api/v1/sims/{lost_sim}/barred", json={}, headers=volunteer.headers), 403)

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert_problem(
        await client.post(f"/api/v1/sims/{lost_sim}/barred", json={"barred_on": tomorrow}, headers=staff.headers),
        422,
        "barred_on",
    )
    assert_problem(
        await client.post(
            f"/api/v1/sims/{lost_sim}/barred",
            json={"barred_on": (date.today() - timedelta(days=400)).isoformat()},
            headers=staff.headers,
        ),
        422,
        "barred_on",
    )
    barred = await client.post(
        f"/api/v1/sims/{lost_sim.lower()}/barred",
        json={"barred_on": date.today().isoformat(), "barring_reference": "EE-BAR-123"},
        headers=staff.headers,
    )
    assert barred.status_code == 200, barred.text
    assert barred.json()["barred_on"] == date.today().isoformat() and barred.json()["barred_by_id"] == staff.id
    assert barred.json()["sim_barring_required"] is False

    left = (await client.get("/api/v1/sims/to-bar", headers=staff.headers)).json()
    assert [s["tag"] for s in left["items"]] == [stolen_sim] and left["total"] == 1
    item = next(
        i
        for i in (await client.get(f"/api/v1/loans/{loan['id']}", headers=staff.headers)).json()["items"]
        if i["tag"] == lost_sim
    )
    assert (item["sim_barring_required"], item["barred_on"], item["barring_reference"]) == (
        False,
        date.today().isoformat(),
        "EE-BAR-123",
    )
    history = (await client.get(f"/api/v1/assets/{lost_sim}/history", headers=staff.headers)).json()
    assert history[-1]["kind"] == "barred" and history[-1]["actor_id"] == staff.id
    assert history[-1]["details"]["barring_reference"] == "EE-BAR-123"
    trail = (await client.get("/api/v1/audit?entity=loan_item&limit=100", headers=admin.headers)).json()["items"]
    assert any(e["actor_id"] == staff.id and e["after"].get("barring_reference") == "EE-BAR-123" for e in trail)

    # Barring what does not need it: already barred, a SIM still on loan, a laptop; a tag that is no asset is 404.
    for tag in (lost_sim, kept_sim, laptop):
        assert_problem(await client.post(f"/api/v1/sims/{tag}/barred", json={}, headers=admin.headers), 409)
    assert_problem(await client.post("/api/v1/sims/SIM-000999-Q/barred", json={}, headers=admin.headers), 404)
    # The default date is today.
    second = await client.post(f"/api/v1/sims/{stolen_sim}/barred", json={}, headers=admin.headers)
    assert second.status_code == 200 and second.json()["barred_on"] == date.today().isoformat()
    assert (await client.get("/api/v1/sims/to-bar", headers=staff.headers)).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


# --- the loans CSV -------------------------------------------------------------------------------------------------


async def test_the_loans_csv_neutralises_what_a_spreadsheet_would_run(client, staff, centre, stock, sessions):
    (tag,) = await stock("laptop")
    family = await client.post(
        "/api/v1/families", json=family_data(name='=HYPERLINK("http://x","Amina")'), headers=staff.headers
    )
    assert family.status_code == 201, family.text
    loan = await client.post(
        "/api/v1/loans",
        json={"family_id": family.json()["id"], "centre_id": centre["id"], "items": [tag]},
        headers=staff.headers,
    )
    assert loan.status_code == 201, loan.text
    text = (await client.get("/api/v1/loans.csv", headers=staff.headers)).text
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["lead_name"] == '\'=HYPERLINK("http://x","Amina")' and row["phone"] == "'+447911123456"
    assert row["centre_id"] == str(centre["id"]) and row["days_overdue"] == "0"
