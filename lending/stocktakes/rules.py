"""What a scan (or its absence) means in a count: the one place that decides found, missing, unexpected and
wrong status. No database here: the service hands in what it read."""

from __future__ import annotations

from lending.inventory.models import Status
from lending.stocktakes.models import Outcome

# Statuses of an asset that sits on a centre's shelf. The others are out with a family (on loan, gifted), gone
# (lost, stolen) or disposed of (retired): a scan of one of those means its record is wrong.
ON_SHELF = frozenset({Status.received, Status.in_refurbishment, Status.ready, Status.returned, Status.repair})


def outcome(*, scanned: bool, status: Status, recorded_centre_id: int, counted_centre_id: int) -> Outcome | None:
    """An asset's outcome in a count of `counted_centre_id`'s shelf, or None when the count has nothing to say
    about it (not scanned and not expected on this shelf).

    A status that should not be on any shelf comes first: such an asset cannot simply be moved here (the move
    refuses it), its status needs seeing to wherever it is recorded.
    """
    on_shelf = status in ON_SHELF
    here = recorded_centre_id == counted_centre_id
    if scanned:
        if not on_shelf:
            return Outcome.wrong_status
        return Outcome.found if here else Outcome.unexpected
    if here and on_shelf:
        return Outcome.missing
    return None
