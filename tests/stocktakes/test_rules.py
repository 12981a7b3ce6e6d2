from __future__ import annotations

import pytest

from lending.inventory.models import Status
from lending.stocktakes.models import Outcome
from lending.stocktakes.rules import ON_SHELF, outcome

HERE, ELSEWHERE = 1, 2
SHELF = sorted(ON_SHELF)
OFF_SHELF = sorted(set(Status) - ON_SHELF)


def test_the_shelf_statuses_are_those_of_an_asset_kept_at_a_centre():
    assert set(ON_SHELF) == {Status.received, Status.in_refurbishment, Status.ready, Status.returned, Status.repair}
    assert set(OFF_SHELF) == {Status.on_loan, Status.lost, Status.stolen, Status.gifted, Status.retired}


@pytest.mark.parametrize("status", SHELF)
def test_a_shelf_asset_scanned_here_is_found_and_unscanned_is_missing(status):
    assert outcome(scanned=True, status=status, recorded_centre_id=HERE, counted_centre_id=HERE) is Outcome.found
    assert outcome(scanned=False, status=status, recorded_centre_id=HERE, counted_centre_id=HERE) is Outcome.missing


@pytest.mark.parametrize("status", SHELF)
def test_a_shelf_asset_recorded_elsewhere_is_unexpected_when_scanned_and_no_concern_otherwise(status):
    scanned = outcome(scanned=True, status=status, recorded_centre_id=ELSEWHERE, counted_centre_id=HERE)
    assert scanned is Outcome.unexpected
    assert outcome(scanned=False, status=status, recorded_centre_id=ELSEWHERE, counted_centre_id=HERE) is None


@pytest.mark.parametrize("status", OFF_SHELF)
@pytest.mark.parametrize("recorded", [HERE, ELSEWHERE])
def test_an_asset_whose_status_keeps_it_off_any_shelf_is_wrong_status_when_scanned_wherever_recorded(status, recorded):
    # Its status is what needs seeing to first: the move to this centre would refuse it anyway.
    assert outcome(scanned=True, status=status, recorded_centre_id=recorded, counted_centre_id=HERE) is (
        Outcome.wrong_status
    )


@pytest.mark.parametrize("status", OFF_SHELF)
def test_an_asset_off_the_shelf_and_not_scanned_is_not_missing(status):
    assert outcome(scanned=False, status=status, recorded_centre_id=HERE, counted_centre_id=HERE) is None
