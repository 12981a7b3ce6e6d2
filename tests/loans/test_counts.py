"""A loan counts its devices, SIMs and the family's children once, when it is issued (0015): the summary's reach
reads those counts, so they must agree with the items and the family, for loans issued now and for loans issued
before the counts existed."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from lending.core import migrations
from lending.families.models import Family
from lending.loans.models import Loan
from tests.core.test_migrations import scratch_url  # noqa: F401  (a database of its own)
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
