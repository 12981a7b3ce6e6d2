"""The priority score of a nomination: the one function that computes it, and its breakdown.

Default weights (../shared/product.md): free school meals +3, Pupil Premium +2, IMD decile 1–2 +3, 3–4 +1,
no device at home +3, each child beyond the first sharing a device +1, no home broadband +2,
each full week waiting +1. Override any of them with LENDING_PRIORITY_WEIGHTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lending.families.models import Family

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


def priority(
    family: Family, waiting_since: datetime, now: datetime, weights: dict[str, int]
) -> tuple[int, list[Factor]]:
    """The score and every factor that contributed to it (factors worth nothing are left out)."""
    w = {**DEFAULT_WEIGHTS, **weights}
    factors: list[Factor] = []
    if family.free_school_meals:
        factors.append(Factor("free_school_meals", w["free_school_meals"], "eligible for free school meals"))
    if family.pupil_premium:
        factors.append(Factor("pupil_premium", w["pupil_premium"], "Pupil Premium"))
    if family.imd_decile is not None and family.imd_decile <= 2:
        factors.append(Factor("imd_decile_1_2", w["imd_decile_1_2"], f"IMD decile {family.imd_decile}"))
    elif family.imd_decile is not None and family.imd_decile <= 4:
        factors.append(Factor("imd_decile_3_4", w["imd_decile_3_4"], f"IMD decile {family.imd_decile}"))
    if family.devices_at_home == 0:
        factors.append(Factor("no_device_at_home", w["no_device_at_home"], "no device at home"))
    else:
        # Children beyond the first on each device at home share it.
        sharing = max(0, family.school_age_children - family.devices_at_home)
        if sharing:
            factors.append(
                Factor(
                    "child_sharing_device",
                    w["child_sharing_device"] * sharing,
                    f"{sharing} child(ren) sharing a device",
                )
            )
    if not family.has_broadband:
        factors.append(Factor("no_home_broadband", w["no_home_broadband"], "no home broadband"))
    weeks = max(0, (now - waiting_since).days // 7)
    if weeks:
        factors.append(Factor("week_waiting", w["week_waiting"] * weeks, f"{weeks} full week(s) waiting"))
    factors = [f for f in factors if f.points]
    return sum(f.points for f in factors), factors
