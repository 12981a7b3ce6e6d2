"""The median and 90th percentile the pipeline reports, computed in SQL (PostgreSQL's percentile_cont; on SQLite,
counts per bucket then ranks within the buckets that hold them), against Python's own linear interpolation."""

from __future__ import annotations

import random
import statistics

import pytest
from sqlalchemy import Column, Float, MetaData, Table, insert, select

from lending.reports.sql import spread

# Durations in days: ties, several in one tenth of a day, a negative one, bucket edges, and no duration at all.
EDGES = [0.0, 0.1, 0.1, 0.1, 0.19999, 0.2, -0.05, 3.0, 3.0, 3.05, 365.25, None]


def durations(n: int, seed: int) -> list[float | None]:
    rng = random.Random(seed)
    return [*EDGES, *(round(rng.uniform(0, 40), rng.choice([0, 1, 3, 6])) for _ in range(n))]


async def spread_of(sessions, found: list[float | None]):
    """`spread` over the values of a temporary table of this session's own."""
    table = Table("durations", MetaData(), Column("days", Float), prefixes=["TEMPORARY"])
    async with sessions() as session, session.begin():
        await session.run_sync(lambda sync: table.create(sync.connection()))
        await session.execute(insert(table), [{"days": v} for v in found])
        return await spread(session, select(table.c.days))


def expected(found: list[float | None]) -> tuple[int, float, float]:
    kept = sorted(v for v in found if v is not None)
    deciles = statistics.quantiles(kept, n=10, method="inclusive")
    return len(kept), statistics.median(kept), deciles[8]


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (1, 2), (37, 3), (2_000, 4)])
async def test_spread_agrees_with_linear_interpolation(sessions, n: int, seed: int) -> None:
    found = durations(n, seed)
    result = await spread_of(sessions, found)
    count, median, p90 = expected(found)
    assert result.count == count
    assert result.median == pytest.approx(median, abs=1e-9)
    assert result.p90 == pytest.approx(p90, abs=1e-9)


async def test_no_durations_give_no_figures(sessions) -> None:
    result = await spread_of(sessions, [None, None])
    assert (result.count, result.median, result.p90) == (0, None, None)
