"""The asset lifecycle: the one place that knows which status may follow which, and on what condition.

received → in_refurbishment → ready → on_loan → returned → in_refurbishment → …
and repair, retired, lost, stolen, gifted where they make sense.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from lending.core.errors import Conflict, Invalid

__all__ = ["Conflict", "Invalid", "Status", "admit", "allowed_moves", "check", "transition"]
from lending.inventory.models import HOLDS_DATA, Asset, AssetKind, RetirementReason, Status

S = Status
_GONE = {S.lost, S.stolen}

ALLOWED: dict[Status, frozenset[Status]] = {
    S.received: frozenset({S.in_refurbishment, S.repair, S.retired, *_GONE}),
    S.in_refurbishment: frozenset({S.ready, S.repair, S.retired, *_GONE}),
    S.ready: frozenset({S.on_loan, S.in_refurbishment, S.repair, S.retired, *_GONE}),
    S.on_loan: frozenset({S.returned, S.gifted, *_GONE}),
    S.returned: frozenset({S.in_refurbishment, S.repair, S.retired, *_GONE}),
    S.repair: frozenset({S.in_refurbishment, S.retired, *_GONE}),
    # Found or recovered: it comes back in and needs a wipe like any other intake.
    S.lost: frozenset({S.in_refurbishment, S.retired}),
    S.stolen: frozenset({S.in_refurbishment, S.retired}),
    S.retired: frozenset(),
    S.gifted: frozenset(),
}

# Reached only through a loan (issue, return, gift), never by a direct request.
LOAN_ONLY = frozenset({S.on_loan, S.returned, S.gifted})
# Entering these means the asset has come (back) in from outside: a new wipe is due.
INTAKE = frozenset({S.returned})
INTAKE_FROM = frozenset({S.lost, S.stolen})


@dataclass(frozen=True)
class Change:
    asset: Asset
    before: Status
    after: Status
    reason: str | None


def allowed_moves(status: Status, *, via_loan: bool = False) -> list[str]:
    moves = ALLOWED[status] if via_loan else ALLOWED[status] - LOAN_ONLY
    return sorted(m.value for m in moves)


def needs_wipe(asset: Asset) -> bool:
    return asset.kind in HOLDS_DATA


def _guard(
    asset: Asset, to: Status, *, wiped_since_intake: bool, retired_reason: RetirementReason | None, today: date | None
) -> None:
    """Conditions on entering `to`, whether by a transition or as an imported asset's first status."""
    if to is S.ready:
        if needs_wipe(asset) and not wiped_since_intake:
            raise Conflict(
                f"{asset.tag or 'This asset'} can hold data: record a wipe certificate since it last came in "
                "(POST /api/v1/assets/{tag}/wipes) before it can be ready.",
            )
        today = today or date.today()
        if asset.kind == AssetKind.sim and asset.expires_on is not None and asset.expires_on < today:
            raise Conflict(f"SIM {asset.tag or ''} expired on {asset.expires_on.isoformat()}; it cannot be ready.")
    if to is S.retired and retired_reason is None:
        raise Invalid.field("retired_reason", "required to retire an asset: recycled, parts or beyond_repair")


def check(
    asset: Asset,
    to: Status,
    *,
    via_loan: bool = False,
    wiped_since_intake: bool = False,
    retired_reason: RetirementReason | None = None,
    today: date | None = None,
) -> Status:
    """Raise as `transition` would, changing nothing; answer the status the asset is in now.

    A batch is checked whole with this before any of it moves, so that one refusal leaves every asset as it was.
    """
    current = Status(asset.status)
    if to in LOAN_ONLY and not via_loan:
        raise Conflict(
            f"'{to.value}' is reached only through a loan. From '{current.value}' you may move to: "
            f"{', '.join(allowed_moves(current)) or 'nothing (final state)'}.",
            allowed=allowed_moves(current),
        )
    if to not in ALLOWED[current]:
        raise Conflict(
            f"An asset cannot go from '{current.value}' to '{to.value}'. Allowed from here: "
            f"{', '.join(allowed_moves(current, via_loan=via_loan)) or 'nothing (final state)'}.",
            allowed=allowed_moves(current, via_loan=via_loan),
        )
    try:
        _guard(asset, to, wiped_since_intake=wiped_since_intake, retired_reason=retired_reason, today=today)
    except Conflict as exc:
        exc.extra.setdefault("allowed", allowed_moves(current))
        raise
    return current


def transition(
    asset: Asset,
    to: Status,
    *,
    reason: str | None = None,
    via_loan: bool = False,
    wiped_since_intake: bool = False,
    retired_reason: RetirementReason | None = None,
    weee_reference: str | None = None,
    today: date | None = None,
) -> Change:
    """Move `asset` to `to` or raise: Conflict for a forbidden move or an unmet guard, Invalid for missing input.

    The caller records the change in the asset's history (see AssetService.transition).
    """
    current = check(
        asset, to, via_loan=via_loan, wiped_since_intake=wiped_since_intake, retired_reason=retired_reason, today=today
    )
    now = datetime.now(UTC)
    asset.status = to
    asset.status_changed_at = now
    if to is S.retired:
        asset.retired_reason = retired_reason
        asset.weee_reference = weee_reference
    if to in INTAKE or (current in INTAKE_FROM and to is S.in_refurbishment):
        asset.intake_at = now
    return Change(asset, current, to, reason)


# Statuses an asset may be imported in: not those that only a loan can give.
IMPORTABLE = frozenset(Status) - LOAN_ONLY


def admit(
    asset: Asset,
    status: Status,
    *,
    wiped: bool,
    retired_reason: RetirementReason | None = None,
    weee_reference: str | None = None,
) -> None:
    """Give a new (imported) asset its first status, under the same guards as a transition into it."""
    if status not in IMPORTABLE:
        raise Invalid.field("status", f"'{status.value}' is reached only through a loan; import it as it is now")
    _guard(asset, status, wiped_since_intake=wiped, retired_reason=retired_reason, today=None)
    asset.status = status
    if status is S.retired:
        asset.retired_reason = retired_reason
        asset.weee_reference = weee_reference
