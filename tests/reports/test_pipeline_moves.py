"""Received to ready as the asset service records it: the move to ready keeps when the asset came in, one at a time
and in a batch, and the pipeline report reads the duration from that move."""

from __future__ import annotations

from sqlalchemy import select

from lending.inventory.models import Asset, AssetEvent, Status
from tests.inventory.conftest import laptop
from tests.support import days_ago


async def test_moves_to_ready_keep_when_the_asset_came_in(client, staff, sessions) -> None:
    centre = (
        await client.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers)
    ).json()
    donor = (
        await client.post("/api/v1/donors", json={"name": "Acme Ltd", "kind": "business"}, headers=staff.headers)
    ).json()
    donation = await client.post(
        "/api/v1/donations",
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": days_ago(0),
            "items": [laptop("SN-1"), laptop("SN-2")],
        },
        headers=staff.headers,
    )
    assert donation.status_code == 201, donation.text
    one, two = (a["tag"] for a in donation.json()["assets"])
    for tag in (one, two):
        moved = await client.post(
            f"/api/v1/assets/{tag}/transitions", json={"to": "in_refurbishment"}, headers=staff.headers
        )
        assert moved.status_code == 200, moved.text
        wiped = await client.post(
            f"/api/v1/assets/{tag}/wipes",
            json={
                "method": "nwipe",
                "performed_on": days_ago(0),
                "performed_by": "Workshop",
                "certificate_reference": f"NW-{tag}",
            },
            headers=staff.headers,
        )
        assert wiped.status_code == 201, wiped.text
    # One alone, the other in a batch: both paths keep the asset's intake time with the move.
    single = await client.post(f"/api/v1/assets/{one}/transitions", json={"to": "ready"}, headers=staff.headers)
    assert single.status_code == 200, single.text
    batch = await client.post("/api/v1/assets/transitions", json={"tags": [two], "to": "ready"}, headers=staff.headers)
    assert batch.status_code == 200, batch.text

    async with sessions() as session:
        rows = (
            await session.execute(
                select(Asset.tag, Asset.intake_at, AssetEvent.intake_at, AssetEvent.occurred_at)
                .join(AssetEvent, AssetEvent.asset_id == Asset.id)
                .where(AssetEvent.to_status == Status.ready)
            )
        ).all()
    assert sorted(tag for tag, *_ in rows) == sorted([one, two])
    waits = []
    for _, asset_intake, kept, moved_at in rows:
        assert kept == asset_intake and kept <= moved_at
        waits.append((moved_at - kept).total_seconds() / 86400)

    report = await client.get("/api/v1/reports/pipeline", headers=staff.headers)
    assert report.status_code == 200, report.text
    durations = report.json()["received_to_ready"]
    assert durations["count"] == 2
    # From the start of the day the donation was received (its intake) to each move, as kept.
    assert abs(durations["median_days"] - sum(waits) / 2) <= 0.05
    assert abs(durations["p90_days"] - (min(waits) + 0.9 * (max(waits) - min(waits)))) <= 0.05


async def test_an_asset_imported_ready_has_no_refurbishment_time(client, staff, sessions) -> None:
    await client.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers)
    lines = [
        "kind,status,centre,make,model,serial_number,wipe_method,wipe_performed_on,wipe_performed_by,"
        "wipe_certificate_reference",
        f"laptop,ready,Aston Hub,Dell,Latitude 5490,SER-1,nwipe,{days_ago(1)},Workshop,NW-1",
    ]
    imported = await client.post(
        "/api/v1/assets/import",
        content="\n".join(lines).encode(),
        headers={**staff.headers, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    async with sessions() as session:
        kept = (await session.execute(select(AssetEvent.intake_at, AssetEvent.to_status))).all()
    assert kept and all(intake is None for intake, _ in kept)
    report = (await client.get("/api/v1/reports/pipeline", headers=staff.headers)).json()
    assert report["received_to_ready"] == {"count": 0, "median_days": None, "p90_days": None}
