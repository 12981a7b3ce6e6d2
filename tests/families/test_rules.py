"""The priority score, as a pure function of a family and how long it has waited: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lending.families.models import Family
from lending.families.priority import DEFAULT_WEIGHTS, priority

SUBMITTED = datetime(2030, 3, 4, 9, 30, tzinfo=UTC)  # any instant: the rule is given both ends of the wait


def a_family(**fields) -> Family:
    """A family that earns nothing: no benefit, not deprived, a device per child, broadband at home."""
    plain = {
        "free_school_meals": False,
        "pupil_premium": False,
        "imd_decile": 10,
        "devices_at_home": 2,
        "school_age_children": 2,
        "has_broadband": True,
    }
    return Family(**{**plain, **fields})


def score(family: Family, waited: timedelta = timedelta(0), weights: dict[str, int] | None = None):
    total, factors = priority(family, SUBMITTED, SUBMITTED + waited, weights or {})
    return total, {f.factor: f.points for f in factors}


def test_a_family_with_nothing_to_weigh_scores_nothing_and_lists_nothing():
    assert score(a_family()) == (0, {})


@pytest.mark.parametrize(
    ("fields", "factor", "points"),
    [
        ({"free_school_meals": True}, "free_school_meals", 3),
        ({"pupil_premium": True}, "pupil_premium", 2),
        ({"imd_decile": 1}, "imd_decile_1_2", 3),
        ({"imd_decile": 2}, "imd_decile_1_2", 3),
        ({"imd_decile": 3}, "imd_decile_3_4", 1),
        ({"imd_decile": 4}, "imd_decile_3_4", 1),
        ({"devices_at_home": 0}, "no_device_at_home", 3),
        ({"has_broadband": False}, "no_home_broadband", 2),
    ],
)
def test_each_factor_is_worth_its_default_points(fields, factor, points):
    assert score(a_family(**fields)) == (points, {factor: points})


@pytest.mark.parametrize("decile", [5, 6, 9, 10, None])
def test_less_deprived_areas_and_an_unknown_decile_add_nothing(decile):
    assert score(a_family(imd_decile=decile)) == (0, {})


@pytest.mark.parametrize(
    ("children", "devices", "points"),
    [(1, 1, 0), (2, 1, 1), (3, 1, 2), (5, 2, 3), (2, 3, 0)],
)
def test_each_child_beyond_the_devices_at_home_counts_once(children, devices, points):
    total, factors = score(a_family(school_age_children=children, devices_at_home=devices))
    assert total == points and factors == ({"child_sharing_device": points} if points else {})


def test_no_device_at_home_is_not_also_counted_as_sharing():
    assert score(a_family(devices_at_home=0, school_age_children=4)) == (3, {"no_device_at_home": 3})


@pytest.mark.parametrize(
    ("waited", "weeks"),
    [
        (timedelta(days=6, hours=23, minutes=59), 0),
        (timedelta(days=7), 1),
        (timedelta(days=13), 1),
        (timedelta(days=14), 2),
        (timedelta(days=70), 10),
    ],
)
def test_each_full_week_waiting_adds_a_point(waited, weeks):
    assert score(a_family(), waited) == (weeks, {"week_waiting": weeks} if weeks else {})


def test_a_wait_that_ends_before_it_began_counts_nothing():
    assert score(a_family(), -timedelta(days=30)) == (0, {})


def test_the_most_deserving_family_adds_every_factor():
    family = a_family(
        free_school_meals=True,
        pupil_premium=True,
        imd_decile=1,
        devices_at_home=0,
        school_age_children=3,
        has_broadband=False,
    )
    total, factors = score(family, timedelta(weeks=3))
    assert factors == {
        "free_school_meals": 3,
        "pupil_premium": 2,
        "imd_decile_1_2": 3,
        "no_device_at_home": 3,
        "no_home_broadband": 2,
        "week_waiting": 3,
    }
    assert total == 16 == sum(factors.values())


def test_the_breakdown_says_why_in_words():
    _, factors = priority(
        a_family(imd_decile=2, school_age_children=3, devices_at_home=1),
        SUBMITTED,
        SUBMITTED + timedelta(weeks=2),
        {},
    )
    details = {f.factor: f.detail for f in factors}
    assert details == {
        "imd_decile_1_2": "IMD decile 2",
        "child_sharing_device": "2 child(ren) sharing a device",
        "week_waiting": "2 full week(s) waiting",
    }


def test_weights_override_the_defaults_and_a_zero_weight_drops_the_factor():
    family = a_family(free_school_meals=True, pupil_premium=True, has_broadband=False, school_age_children=4)
    assert score(family, timedelta(weeks=2)) == (
        3 + 2 + 2 + 2 + 2,
        {
            "free_school_meals": 3,
            "pupil_premium": 2,
            "no_home_broadband": 2,
            "child_sharing_device": 2,
            "week_waiting": 2,
        },
    )
    weights = {"free_school_meals": 10, "pupil_premium": 0, "child_sharing_device": 5, "week_waiting": 0}
    assert score(family, timedelta(weeks=2), weights) == (
        10 + 2 + 10,
        {"free_school_meals": 10, "no_home_broadband": 2, "child_sharing_device": 10},
    )


def test_the_defaults_are_the_documented_ones():
    assert DEFAULT_WEIGHTS == {
        "free_school_meals": 3,
        "pupil_premium": 2,
        "imd_decile_1_2": 3,
        "imd_decile_3_4": 1,
        "no_device_at_home": 3,
        "child_sharing_device": 1,
        "no_home_broadband": 2,
        "week_waiting": 1,
    }
