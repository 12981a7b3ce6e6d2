"""The priority score of a nomination: one definition, which the database evaluates.

Default weights (../shared/product.md): free school meals +3, Pupil Premium +2, IMD decile 1–2 +3, 3–4 +1,
no device at home +3, each child beyond the first sharing a device +1, no home broadband +2,
each full week waiting +1. Override any of them with LENDING_PRIORITY_WEIGHTS.

Each factor is a SQL expression counting how many times its weight applies to a nomination's row (joined with its
family). The waiting list sorts and pages on their weighted sum in SQL, and every row's breakdown is read from the
same columns, so there is no second copy in Python to drift from it. The score moves with waiting time (weeks from
`submitted_at` to now, or to `closed_at`): it is computed when asked, never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ColumnElement, Integer, and_, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from lending.families.models import Family, Nomination

DEFAULT_WEIGHTS: dict[str, int] = {
    "free_school_meals": 3,
    "pupil_premium": 2,
    "imd_decile_1_2": 3,
    "imd_decile_3_4": 1,
    "no_device_at_home": 3,
    "child_sharing_device": 1,
    "no_home_broadband": 2,
    "week_waiting": 1,
}


def effective_weights(overrides: dict[str, int]) -> dict[str, int]:
    """The defaults with the settings' overrides on top; a factor that does not exist is a configuration error."""
    unknown = set(overrides) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown priority factors: {', '.join(sorted(unknown))}")
    return {**DEFAULT_WEIGHTS, **overrides}


@dataclass(frozen=True)
class Factor:
    factor: str
    points: int
    detail: str


class whole_weeks(FunctionElement[int]):
    """Full weeks from the first argument to the second; none when the second is earlier."""

    type = Integer()
    name = "whole_weeks"
    inherit_cache = True


@compiles(whole_weeks)
def _whole_weeks(element: whole_weeks, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: the interval's exact length in seconds.
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"GREATEST(0, CAST(FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 604800) AS INTEGER))"


@compiles(whole_weeks, "sqlite")
def _whole_weeks_sqlite(element: whole_weeks, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday() is a float of days: rounded to whole milliseconds first, exactly seven days is one week, never
    # 6.999… of one.
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"max(0, CAST(round((julianday({end}) - julianday({start})) * 86400000) AS INTEGER) / 604800000)"


def _yes(condition: ColumnElement[bool], count: ColumnElement[int] | int = 1) -> ColumnElement[int]:
    # NULL (not known) counts as no, as a form left blank would.
    return case((condition, count), else_=0)


@dataclass(frozen=True)
class Rule:
    """One factor: how many times its weight applies to a row, and the words that say why."""

    factor: str
    count: Callable[[ColumnElement[datetime]], ColumnElement[int]]  # given the end of the wait
    detail: Callable[[int, Family], str]  # given the count and the family


RULES: Sequence[Rule] = (
    Rule(
        "free_school_meals",
        lambda _end: _yes(Family.free_school_meals.is_(True)),
        lambda _n, _f: "eligible for free school meals",
    ),
    Rule("pupil_premium", lambda _end: _yes(Family.pupil_premium.is_(True)), lambda _n, _f: "Pupil Premium"),
    Rule("imd_decile_1_2", lambda _end: _yes(Family.imd_decile <= 2), lambda _n, f: f"IMD decile {f.imd_decile}"),
    Rule(
        "imd_decile_3_4",
        lambda _end: _yes(and_(Family.imd_decile > 2, Family.imd_decile <= 4)),
        lambda _n, f: f"IMD decile {f.imd_decile}",
    ),
    Rule("no_device_at_home", lambda _end: _yes(Family.devices_at_home == 0), lambda _n, _f: "no device at home"),
    # Children beyond the first on each device at home share it; with no device at all, the factor above counts.
    Rule(
        "child_sharing_device",
        lambda _end: _yes(
            and_(Family.devices_at_home > 0, Family.school_age_children > Family.devices_at_home),
            Family.school_age_children - Family.devices_at_home,
        ),
        lambda n, _f: f"{n} child(ren) sharing a device",
    ),
    Rule("no_home_broadband", lambda _end: _yes(Family.has_broadband.is_not(True)), lambda _n, _f: "no home broadband"),
    Rule(
        "week_waiting",
        lambda end: whole_weeks(Nomination.submitted_at, end),
        lambda n, _f: f"{n} full week(s) waiting",
    ),
)


@dataclass(frozen=True)
class Priority:
    """The score and each factor's count as labelled columns, for a select over Nomination joined with Family."""

    weights: Mapping[str, int]
    now: datetime

    def _end(self) -> ColumnElement[datetime]:
        return func.coalesce(Nomination.closed_at, literal(self.now, DateTimeUTC(timezone=True)))

    @property
    def score(self) -> ColumnElement[int]:
        """The weighted sum, to order by; a zero weight drops its factor from the SQL altogether."""
        end = self._end()
        total: ColumnElement[int] = literal(0, Integer)
        for rule in RULES:
            if self.weights[rule.factor]:
                total = total + rule.count(end) * self.weights[rule.factor]
        return total

    def columns(self) -> list[ColumnElement[Any]]:
        """The score, and each factor's count and points, labelled for `breakdown`."""
        end = self._end()
        columns: list[ColumnElement[Any]] = [self.score.label("priority")]
        for rule in RULES:
            count = rule.count(end)
            columns.append(count.label(f"count_{rule.factor}"))
            columns.append((count * self.weights[rule.factor]).label(f"points_{rule.factor}"))
        return columns

    @staticmethod
    def breakdown(family: Family, row: Mapping[Any, Any]) -> tuple[int, list[Factor]]:
        """The score and the factors worth something, as the database computed them in a row with `columns()`."""
        factors = []
        for rule in RULES:
            points, count = row[f"points_{rule.factor}"], row[f"count_{rule.factor}"]
            if points:
                factors.append(Factor(rule.factor, int(points), rule.detail(int(count), family)))
        return int(row["priority"]), factors
