"""`lending demo`: a small demo database, on SQLite or PostgreSQL, that the app answers from."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from sqlalchemy import func, select

from lending.audit.models import AuditEntry
from lending.families.models import Family, Nomination, NominationStatus
from lending.inventory.models import Asset, AssetEvent, AssetTagSequence, Status, WipeCertificate
from lending.inventory.tags import parse_tag
from lending.loans.models import Loan, LoanItem, LoanStatus
from tests.clock import child_environment
from tests.families.conftest import family_data

SCALE = 300


def run_demo(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}
    return subprocess.run(
        [sys.executable, "-m", "lending", "demo", *args], capture_output=True, text=True, env=env, timeout=300
    )


async def test_the_demo_fills_an_empty_database_with_every_stage_and_the_app_answers_from_it(
    engine, database_url, sessions, client, staff
):
    made = run_demo(database_url, "--scale", str(SCALE))
    assert made.returncode == 0, made.stderr
    assert "Demo data written" in made.stdout

    async with sessions() as session:

        async def count(*what) -> dict:
            return dict((await session.execute(select(*what, func.count()).group_by(*what))).all())

        assets = await count(Asset.status)
        nominations = await count(Nomination.status)
        loans = await count(Loan.status)
        assert sum(assets.values()) == SCALE
        assert set(assets) == set(Status), "an asset at every stage"
        assert set(nominations) == set(NominationStatus)
        assert set(loans) == set(LoanStatus)
        waiting = sum(nominations[s] for s in (NominationStatus.submitted, NominationStatus.approved,
                                               NominationStatus.waitlisted))  # fmt: skip
        families = await session.scalar(select(func.count(Family.id)))
        assert families == SCALE and waiting == SCALE // 5
        # About two loans per asset over two years, each with its item; some overdue today.
        assert 1.5 * SCALE <= sum(loans.values()) <= 3 * SCALE
        assert await session.scalar(select(func.count(LoanItem.id))) == sum(loans.values())
        overdue = select(func.count(Loan.id)).where(Loan.status == LoanStatus.active, Loan.due_on < date.today())
        assert await session.scalar(overdue) > 0
        # Every asset on loan is on exactly one active loan.
        active_items = select(func.count(LoanItem.id)).where(LoanItem.ended_at.is_(None))
        assert await session.scalar(active_items) == assets[Status.on_loan]
        # Histories from which received → ready durations come; wipes recorded with certificates.
        became_ready = select(func.count(func.distinct(AssetEvent.asset_id))).where(
            AssetEvent.to_status == Status.ready
        )
        assert await session.scalar(became_ready) > SCALE // 2
        assert await session.scalar(select(func.count(WipeCertificate.id))) > SCALE // 2
        # Tags from the tag scheme, and the scheme carries on after them.
        tags = (await session.scalars(select(Asset.tag))).all()
        numbers: dict[str, int] = {}
        for tag in tags:
            parsed = parse_tag(tag)
            numbers[parsed.prefix] = max(numbers.get(parsed.prefix, 0), parsed.number)
        sequences = dict((await session.execute(select(AssetTagSequence.prefix, AssetTagSequence.last_value))).all())
        assert sequences == numbers
        # Audited per batch, by the demo, without the families' names.
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "demo"))).all()
        assert {a.entity_type for a in audited} >= {"asset", "family", "loan", "nomination", "asset_event"}
        assert {a.actor_label for a in audited} == {"cli:demo"}
        assert sum(a.after["rows"] for a in audited if a.entity_type == "asset") == SCALE
        name = await session.scalar(select(Family.lead_name).limit(1))
        assert not any(name in str(a.after) for a in audited)

    # The app answers from it: the waiting list in priority order, lists, and new records get fresh ids.
    listed = await client.get(
        "/api/v1/nominations?status=submitted,approved,waitlisted&sort=-priority&limit=100", headers=staff.headers
    )
    assert listed.status_code == 200 and listed.json()["total"] == waiting
    scores = [n["priority"] for n in listed.json()["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    for path, total in (("/api/v1/assets", SCALE), ("/api/v1/families", SCALE), ("/api/v1/loans", sum(loans.values()))):
        answer = await client.get(path, headers=staff.headers)
        assert answer.status_code == 200 and answer.json()["total"] == total, path
    looked_up = await client.get(f"/api/v1/assets/{tags[0].lower().replace('-', ' ')}", headers=staff.headers)
    assert looked_up.status_code == 200 and looked_up.json()["tag"] == tags[0]
    created = await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    assert created.status_code == 201, created.text
    # The reports count it: the summary agrees with the database.
    summary = (await client.get("/api/v1/reports/summary", headers=staff.headers)).json()
    assert sum(a["count"] for a in summary["assets"]) == SCALE
    assert summary["loans"]["active"] == loans[LoanStatus.active]
    assert summary["nominations"]["waiting"] == waiting and summary["nominations"]["oldest_wait_days"] > 0
    assert summary["since_start"]["devices_lent"] > SCALE
    by_month = await client.get("/api/v1/reports/loans?group_by=month", headers=staff.headers)
    assert by_month.status_code == 200 and len(by_month.json()["groups"]) >= 12


async def test_the_demo_refuses_a_database_that_holds_data(engine, database_url, client, staff, sessions):
    created = await client.post("/api/v1/families", json=family_data(), headers=staff.headers)
    assert created.status_code == 201
    refused = run_demo(database_url, "--scale", "50")
    assert refused.returncode != 0
    assert "already holds data (family)" in refused.stderr and "only fills an empty database" in refused.stderr
    async with sessions() as session:
        assert await session.scalar(select(func.count(Family.id))) == 1
        assert await session.scalar(select(func.count(Asset.id))) == 0
