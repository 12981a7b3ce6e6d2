"""A loan records what it reached once, when it is issued: its devices, SIMs and the family's children (0015), its
nominating school, when the nomination was made, and the family's postcode district (0018). Reports read those, so
they must agree with the items, the nomination and the family, for loans issued now and for loans issued before they
were recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lending.core import migrations
from lending.core.db import make_engine, session_maker
from lending.families.models import Family, Nomination
from lending.loans.models import Loan
from tests.core.test_migrations import scratch_url  # noqa: F401  (a database of its own)
from tests.families.conftest import family_data
from tests.loans.test_data_migration import _lend_and_lose, _query


async def test_an_issued_loan_counts_its_devices_and_sims_and_the_summary_reads_them(
    client, staff, stock, issue, sessions
) -> None:
    laptop, tablet, sim, charger = await stock("laptop", "tablet", "sim", "accessory")
    issued = await issue(laptop, tablet, sim, charger)
    assert issued.status_code == 201, issued.text
    alone = await issue(*(await stock("sim")))
    assert alone.status_code == 201, alone.text

    async with sessions() as session:
        counts = (
            await session.execute(
                select(Loan.device_count, Loan.sim_count, Loan.children, Family.children.label("family_children"))
                .join(Family, Family.id == Loan.family_id)
                .order_by(Loan.id)
            )
        ).all()
    # A charger is neither a device nor a SIM; a SIM alone lends no device.
    assert [(c.device_count, c.sim_count) for c in counts] == [(2, 1), (0, 1)]
    assert all(c.children == c.family_children > 0 for c in counts)

    summary = await client.get("/api/v1/reports/summary", headers=staff.headers)
    assert summary.status_code == 200, summary.text
    reach = summary.json()["since_start"]
    assert (reach["devices_lent"], reach["sims_lent"]) == (2, 2)
    assert summary.json()["this_year"]["devices_lent"] == 2


def test_0015_counts_the_items_of_loans_issued_before_it(scratch_url) -> None:
    migrations.upgrade(scratch_url)
    endings = asyncio.run(_lend_and_lose(scratch_url))
    migrations.downgrade(scratch_url, "0014")
    migrations.upgrade(scratch_url)
    counts = asyncio.run(
        _query(
            scratch_url,
            "SELECT loan.device_count, loan.sim_count, loan.children - family.children FROM loan "
            "JOIN family ON family.id = loan.family_id",
        )
    )
    # Each of those loans lent one laptop, whatever became of it, and takes its family's children.
    assert counts == [(1, 0, 0)] * len(endings)


async def _nominated(client, staff, family_id: int, urn: str) -> tuple[dict, dict]:
    school = await client.post("/api/v1/schools", json={"name": f"School {urn}", "urn": urn}, headers=staff.headers)
    assert school.status_code == 201, school.text
    nomination = await client.post(
        "/api/v1/nominations",
        json={"family_id": family_id, "school_id": school.json()["id"], "laptops": 1},
        headers=staff.headers,
    )
    assert nomination.status_code == 201, nomination.text
    decided = await client.post(
        f"/api/v1/nominations/{nomination.json()['id']}/decision", json={"decision": "approve"}, headers=staff.headers
    )
    assert decided.status_code == 200, decided.text
    return school.json(), nomination.json()


async def test_a_loan_keeps_its_nominations_school_and_the_familys_district(
    client, staff, stock, issue, family, make_user, sessions
) -> None:
    school, nomination = await _nominated(client, staff, family["id"], "410001")
    other, _ = await _nominated(client, staff, family["id"], "410002")
    laptop, sim = await stock("laptop", "sim")
    nominated = await issue(laptop, nomination_id=nomination["id"])
    assert nominated.status_code == 201, nominated.text
    at_the_desk = await issue(sim)
    assert at_the_desk.status_code == 201, at_the_desk.text

    async with sessions() as session:
        kept = (
            await session.execute(
                select(Loan.id, Loan.school_id, Loan.nominated_at, Loan.postcode_district).order_by(Loan.id)
            )
        ).all()
        submitted_at = await session.scalar(select(Nomination.submitted_at).where(Nomination.id == nomination["id"]))
    # family_data's postcode is B12 9QT; a loan made without a nomination has no school and no wait.
    assert [tuple(row) for row in kept] == [
        (nominated.json()["id"], school["id"], submitted_at, "B12"),
        (at_the_desk.json()["id"], None, None, "B12"),
    ]
    # A school counts the loans on its own nominations, and only those.
    for school_id, expected in ((school["id"], 1), (other["id"], 0)):
        teacher = await make_user("school", school_id=school_id)
        report = await client.get("/api/v1/reports/loans", params={"group_by": "school"}, headers=teacher.headers)
        assert report.status_code == 200, report.text
        assert report.json()["total"]["loans_issued"] == expected


async def test_the_database_holds_a_loans_school_to_its_nomination(
    client, staff, stock, issue, family, settings
) -> None:
    _, nomination = await _nominated(client, staff, family["id"], "410003")
    other, _ = await _nominated(client, staff, family["id"], "410004")
    (laptop,) = await stock("laptop")
    loan = await issue(laptop, nomination_id=nomination["id"])
    assert loan.status_code == 201, loan.text
    # Through the engine the app runs on (on SQLite, foreign keys are checked per connection).
    engine = make_engine(settings)
    try:
        # Another school's, none, another time, or what a loan that no school nominated cannot have.
        for wrong in (
            {"school_id": other["id"]},
            {"school_id": None},
            {"nominated_at": datetime.now(UTC) - timedelta(days=1)},
            {"nominated_at": None},
            {"nomination_id": None, "nominated_at": None},
            {"nomination_id": None, "school_id": None},
        ):
            with pytest.raises(IntegrityError):
                async with session_maker(engine)() as session, session.begin():
                    await session.execute(update(Loan).where(Loan.id == loan.json()["id"]).values(**wrong))
    finally:
        await engine.dispose()


def test_0018_gives_earlier_loans_their_nominations_school_and_their_familys_district(scratch_url) -> None:
    migrations.upgrade(scratch_url)
    endings = asyncio.run(_lend_and_lose(scratch_url))
    migrations.downgrade(scratch_url, "0017")
    asyncio.run(
        _query(
            scratch_url,
            "INSERT INTO school (id, name, urn, address, is_active, created_at, updated_at) "
            "VALUES (77, 'Oak Primary', '900077', '', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
    )
    asyncio.run(
        _query(
            scratch_url,
            "INSERT INTO nomination (id, family_id, school_id, laptops, tablets, sims, reason, urgency, status, "
            "submitted_at, created_at, updated_at) SELECT 88, family_id, 77, 1, 0, 0, '', 'normal', 'fulfilled', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM loan WHERE id = 1",
        )
    )
    asyncio.run(_query(scratch_url, "UPDATE loan SET nomination_id = 88 WHERE id = 1"))
    migrations.upgrade(scratch_url)
    kept = asyncio.run(
        _query(
            scratch_url,
            "SELECT loan.id, loan.school_id, loan.nominated_at = nomination.submitted_at, loan.postcode_district "
            "FROM loan LEFT JOIN nomination ON nomination.id = loan.nomination_id ORDER BY loan.id",
        )
    )
    district = family_data()["postcode"].upper().split()[0]
    assert kept == [(1, 77, True, district)] + [(n, None, None, district) for n in range(2, len(endings) + 1)]
