"""The little SQL that differs between SQLite and PostgreSQL, in one place: months, days between two times, and
percentiles (PostgreSQL's own `percentile_cont`; on SQLite, which has none, the same interpolation over ranks from a
window function).

Timestamps are stored in UTC (advanced-alchemy's DateTimeUTC): SQLite keeps them as ISO text, which its date
functions read; PostgreSQL keeps `timestamptz`, read here at UTC whatever the session's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, Select, cast, func, literal, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

# Percentiles as fractions (numerator, denominator), so that the ranks they fall between are integer arithmetic.
MEDIAN = (1, 2)
P90 = (9, 10)
# SQLite's percentiles count durations per bucket of a tenth of a day first (see `spread`).
BUCKETS_PER_DAY = 10


@dataclass(frozen=True)
class Dialect:
    name: str

    @property
    def postgres(self) -> bool:
        return self.name == "postgresql"

    def month(self, moment: Any) -> ColumnElement[str]:
        """`2026-03`: the UTC month of a timestamp."""
        if self.postgres:
            return func.to_char(func.timezone("UTC", moment), "YYYY-MM")
        return func.strftime("%Y-%m", moment)

    def days_between(self, later: Any, earlier: Any) -> ColumnElement[float]:
        """Days (with their fraction) from `earlier` to `later`, both timestamps."""
        if self.postgres:
            return cast(func.extract("epoch", later - earlier) / 86400.0, Float)
        return cast(func.julianday(later) - func.julianday(earlier), Float)

    def unindexed(self, column: Any) -> Any:
        """`column` in a filter that should not choose the index. For "issued this year" (most loans) SQLite takes a
        range over the index on issued_at and then sorts those loans by family; with SQLite's unary + on the column
        it scans the index by family that holds every figure, without a sort (6 times faster at 100k assets).
        PostgreSQL weighs the two from its statistics."""
        if self.postgres:
            return column
        return UnaryExpression(column.expression, operator=operators.custom_op("+"), type_=column.type)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def between_days(moment: Any, first: date, last: date) -> list[ColumnElement[bool]]:
    """`moment` on any day from `first` to `last`, both inclusive (UTC days)."""
    return [moment >= day_start(first), moment < day_start(last + timedelta(days=1))]


def _rank_bounds(n: ColumnElement[int], fraction: tuple[int, int]) -> tuple[ColumnElement[int], ColumnElement[int]]:
    # The linear-interpolation percentile (PostgreSQL's percentile_cont) lies at 1-based rank 1 + p·(n-1), between
    # its floor and its ceiling; with p = a/b both are integer divisions, the same on both databases.
    a, b = fraction
    scaled = literal(b) + literal(a) * (n - 1)
    # `//` is integer division on both databases (SQLAlchemy 2 makes `/` true division).
    return scaled // b, (scaled + (b - 1)) // b


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    p90: float | None


async def spread(session: Any, values: Select[Any]) -> Spread:
    """Count, median and 90th percentile of the one column `values` selects, computed in SQL: at most four rows
    leave the database."""
    if session.get_bind().dialect.name == "postgresql":
        value = values.subquery("v").c[0]
        # One aggregate, sorting the values once in memory, where numbering every row through a window spilled.
        count, median, p90 = (
            await session.execute(
                select(
                    func.count(value),
                    func.percentile_cont(MEDIAN[0] / MEDIAN[1]).within_group(value),
                    func.percentile_cont(P90[0] / P90[1]).within_group(value),
                )
            )
        ).one()
        if not count:
            return Spread(0, None, None)
        return Spread(int(count), float(median), float(p90))
    # SQLite has no percentile function. Numbering every value in order (a window over all of them) sorts them all,
    # 0.2-0.3 s for 100,000 durations. Instead the values are counted per tenth of a day (a few thousand buckets,
    # no sort of the values), the buckets that hold the wanted ranks are found from the running counts, and only
    # the values in those buckets are ranked. `values` is run once: a materialised CTE is read by both steps.
    # A duration with no start (an asset first seen already ready) is no duration; the databases would also rank
    # it differently (SQLite sorts NULL first, PostgreSQL last).
    kept = values.cte("v").prefix_with("MATERIALIZED")
    value = kept.c[0]
    bucket = cast(value * BUCKETS_PER_DAY, Integer)  # truncates; still never puts a smaller value in a later bucket
    buckets = select(bucket.label("b"), func.count().label("c")).where(value.is_not(None)).group_by(bucket).subquery()
    running = select(
        buckets.c.b,
        buckets.c.c,
        (func.sum(buckets.c.c).over(order_by=buckets.c.b) - buckets.c.c).label("before"),
        func.sum(buckets.c.c).over().label("n"),
    ).subquery()
    wanted = (
        select(running)
        .where(
            or_(*(rank.between(running.c.before + 1, running.c.before + running.c.c) for rank in _ranks(running.c.n)))
        )
        .subquery()
    )
    ranked = (
        select(
            value.label("value"),
            (wanted.c.before + func.row_number().over(partition_by=wanted.c.b, order_by=value)).label("rank"),
            wanted.c.n.label("n"),
        )
        .select_from(kept.join(wanted, bucket == wanted.c.b))
        .subquery("ranked")
    )
    rows = (
        await session.execute(
            select(ranked.c.rank, ranked.c.value, ranked.c.n).where(
                or_(*(ranked.c.rank == rank for rank in _ranks(ranked.c.n)))
            )
        )
    ).all()
    if not rows:
        return Spread(0, None, None)
    count = int(rows[0][2])
    by_rank = {int(rank): float(v) for rank, v, _ in rows}
    return Spread(count, _percentile(by_rank, count, MEDIAN), _percentile(by_rank, count, P90))


def _ranks(n: ColumnElement[int]) -> list[ColumnElement[int]]:
    """The ranks the median and the 90th percentile of `n` values lie between."""
    return [bound for fraction in (MEDIAN, P90) for bound in _rank_bounds(n, fraction)]


def _percentile(by_rank: dict[int, float], n: int, fraction: tuple[int, int]) -> float:
    a, b = fraction
    scaled = b + a * (n - 1)
    low, rest = divmod(scaled, b)
    high = low + (1 if rest else 0)
    return by_rank[low] + (by_rank[high] - by_rank[low]) * rest / b


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def months(first: date, last: date) -> Sequence[str]:
    """Every month from `first`'s to `last`'s, as `2026-03`, so that a chart shows the months with no loans too."""
    out: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
