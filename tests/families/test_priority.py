"""The priority score, as the database computes it for the waiting list, on known families; and the waiting list
paged by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lending.families.models import Family, Nomination, NominationStatus
from lending.families.priority import DEFAULT_WEIGHTS
from lending.families.service import FamilyService
from lending.schools.models import School

# Any instant with a fraction of a second: the rule is given both ends of the wait.
SUBMITTED = datetime.now(UTC).replace(microsecond=654321) - timedelta(days=200)


def a_family(**fields) -> Family:
    """A family that earns nothing: no benefit, not deprived, a device per child, broadband at home."""
    plain = {
        "lead_name": "Plain",
        "children": 5,
        "free_school_meals": False,
        "pupil_premium": False,
        "imd_decile": 10,
        "devices_at_home": 2,
        "school_age_children": 2,
        "has_broadband": True,
    }
    return Family(**{**plain, **fields})


@pytest.fixture
def scorer(sessions):
    urns = iter(range(100200, 100300))

    async def scored(family: Family, waited: timedelta = timedelta(0), weights: dict[str, int] | None = None):
        async with sessions() as session, session.begin():
            school = School(name="Scoring Primary", urn=f"{next(urns)}")
            session.add_all([school, family])
            await session.flush()
            nomination = Nomination(
                family_id=family.id,
                school_id=school.id,
                laptops=1,
                status=NominationStatus.waitlisted,
                submitted_at=SUBMITTED,
            )
            session.add(nomination)
            await session.flush()
            return await FamilyService(session, weights or {}).scored(nomination, SUBMITTED + waited)

    return scored


@pytest.fixture
def score(scorer):
    async def points(family: Family, waited: timedelta = timedelta(0), weights: dict[str, int] | None = None):
        found = await scorer(family, waited, weights)
        return found.priority, {f.factor: f.points for f in found.breakdown}

    return points


async def test_a_family_with_nothing_to_weigh_scores_nothing_and_lists_nothing(score):
    assert await score(a_family()) == (0, {})


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
async def test_each_factor_is_worth_its_default_points(fields, factor, points, score):
    assert await score(a_family(**fields)) == (points, {factor: points})


@pytest.mark.parametrize("decile", [5, 6, 9, 10, None])
async def test_less_deprived_areas_and_an_unknown_decile_add_nothing(decile, score):
    assert await score(a_family(imd_decile=decile)) == (0, {})


@pytest.mark.parametrize(
    ("children", "devices", "points"),
    [(1, 1, 0), (2, 1, 1), (3, 1, 2), (5, 2, 3), (2, 3, 0)],
)
async def test_each_child_beyond_the_devices_at_home_counts_once(children, devices, points, score):
    total, factors = await score(a_family(school_age_children=children, devices_at_home=devices))
    assert total == points and factors == ({"child_sharing_device": points} if points else {})


async def test_no_device_at_home_is_not_also_counted_as_sharing(score):
    assert await score(a_family(devices_at_home=0, school_age_children=4)) == (3, {"no_device_at_home": 3})


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
async def test_each_full_week_waiting_adds_a_point(waited, weeks, score):
    assert await score(a_family(), waited) == (weeks, {"week_waiting": weeks} if weeks else {})


async def test_a_wait_that_ends_before_it_began_counts_nothing(score):
    assert await score(a_family(), -timedelta(days=30)) == (0, {})


async def test_the_most_deserving_family_adds_every_factor(score):
    family = a_family(
        free_school_meals=True,
        pupil_premium=True,
        imd_decile=1,
        devices_at_home=0,
        school_age_children=3,
        has_broadband=False,
    )
    total, factors = await score(family, timedelta(weeks=3))
    assert factors == {
        "free_school_meals": 3,
        "pupil_premium": 2,
        "imd_decile_1_2": 3,
        "no_device_at_home": 3,
        "no_home_broadband": 2,
        "week_waiting": 3,
    }
    assert total == 16 == sum(factors.values())


async def test_the_breakdown_says_why_in_words(scorer):
    found = await scorer(a_family(imd_decile=2, school_age_children=3, devices_at_home=1), timedelta(weeks=2))
    details = {f.factor: f.detail for f in found.breakdown}
    assert details == {
        "imd_decile_1_2": "IMD decile 2",
        "child_sharing_device": "2 child(ren) sharing a device",
        "week_waiting": "2 full week(s) waiting",
    }


async def test_a_closed_nomination_stops_counting_weeks_when_it_closed(sessions):
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        school, family = School(name="Closing Primary", urn="100300"), a_family()
        session.add_all([school, family])
        await session.flush()
        nomination = Nomination(
            family_id=family.id,
            school_id=school.id,
            laptops=1,
            status=NominationStatus.declined,
            submitted_at=now - timedelta(weeks=9),
            closed_at=now - timedelta(weeks=6, days=1),
        )
        session.add(nomination)
        await session.flush()
        found = await FamilyService(session, {}).scored(nomination, now)
    assert (found.priority, [(f.factor, f.points) for f in found.breakdown]) == (2, [("week_waiting", 2)])


async def test_weights_override_the_defaults_and_a_zero_weight_drops_the_factor(score):
    family = a_family(free_school_meals=True, pupil_premium=True, has_broadband=False, school_age_children=4)
    assert await score(family, timedelta(weeks=2)) == (
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
    assert await score(family, timedelta(weeks=2), weights) == (
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


async def test_the_waiting_list_pages_in_priority_order_computed_by_the_database(client, staff, sessions):
    now = datetime.now(UTC)
    # name: (family fields, weeks waited, expected score)
    known = {
        "A": ({"free_school_meals": True, "pupil_premium": True, "imd_decile": 1, "devices_at_home": 0,
               "has_broadband": False}, 0, 13),
        "B": ({"free_school_meals": True}, 2, 5),
        "C": ({}, 5, 5),  # the same score as B, waiting longer: ahead of it
        "D": ({"imd_decile": 3}, 0, 1),
        "E": ({}, 0, 0),
        "F": ({"has_broadband": False}, 1, 3),
        "G": ({"school_age_children": 3, "devices_at_home": 1}, 0, 2),
    }  # fmt: skip
    ids = {}
    async with sessions() as session, session.begin():
        school = School(name="Paging Primary", urn="100400")
        session.add(school)
        await session.flush()
        for name, (fields, weeks, _) in known.items():
            family = a_family(lead_name=name, **fields)
            session.add(family)
            await session.flush()
            nomination = Nomination(
                family_id=family.id,
                school_id=school.id,
                laptops=1,
                status=NominationStatus.waitlisted,
                submitted_at=now - timedelta(weeks=weeks, hours=1),
            )
            session.add(nomination)
            await session.flush()
            ids[nomination.id] = name

    async def pages(sort: str) -> list[tuple[str, int]]:
        seen = []
        for offset in range(0, 9, 3):
            answer = await client.get(
                f"/api/v1/nominations?status=waitlisted&sort={sort}&limit=3&offset={offset}", headers=staff.headers
            )
            assert answer.status_code == 200 and answer.json()["total"] == 7
            for item in answer.json()["items"]:
                assert item["priority"] == sum(f["points"] for f in item["priority_breakdown"])
                seen.append((ids[item["id"]], item["priority"]))
        return seen

    descending = [("A", 13), ("C", 5), ("B", 5), ("F", 3), ("G", 2), ("D", 1), ("E", 0)]
    assert await pages("-priority") == descending
    assert await pages("priority") == descending[::-1]
    assert [(name, score) for name, (_, _, score) in known.items()] == sorted(descending)
