"""The inventory's pure rules: which fields a kind needs, what a wipe record needs, SIM dates, and what a search
query looks like. No database here: the services apply them, the CSV import applies them in a worker thread."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func

from lending.core.errors import FieldError
from lending.inventory.models import CERTIFIED_METHODS, HOLDS_DATA, IMEI_KINDS, Asset, AssetKind, WipeCertificate
from lending.inventory.schemas import WipeIn
from lending.inventory.tags import tag_start

SIM_ONLY = (
    "iccid",
    "network",
    "msisdn",
    "data_allowance_gb",
    "plan_months",
    "activated_on",
    "expires_on",
    "voucher_code",
)
NOT_FOR_SIM = (
    "serial_number",
    "cpu",
    "ram_gb",
    "storage_gb",
    "storage_type",
    "os",
    "battery_health_pct",
    "condition_grade",
    "charger_safety_test_on",
    "imei",
)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def intake_day(asset: Asset) -> date:
    """The (local) day the asset last came in: received, returned or found."""
    return asset.intake_at.astimezone().date()


def start_of(day: date) -> datetime:
    """The first moment of a local day, as an aware datetime (stored in UTC)."""
    return datetime.combine(day, time.min).astimezone()


def counts_since_intake(wipe: WipeCertificate, asset: Asset) -> bool:
    """A wipe opens the wipe gate only if it was both done and recorded after the asset last came in: an old
    certificate typed in after a return (back-dated) is evidence of an earlier wipe, not of this one."""
    return wipe.performed_on >= intake_day(asset) and wipe.recorded_at >= asset.intake_at


def kind_rule_errors(kind: AssetKind, values: dict[str, Any], path: str = "") -> list[FieldError]:
    """Which fields a kind needs and which it cannot have: the one statement of those rules."""

    def named(name: str) -> str:
        return f"{path}.{name}" if path else name

    errors: list[FieldError] = []
    if kind is AssetKind.sim:
        for required in ("iccid", "network"):
            if values.get(required) is None:
                errors.append(FieldError(named(required), "required for a SIM"))
        for name in NOT_FOR_SIM:
            if values.get(name) is not None:
                errors.append(FieldError(named(name), "does not apply to a SIM"))
        if values.get("charger_included"):
            errors.append(FieldError(named("charger_included"), "does not apply to a SIM"))
    else:
        for name in SIM_ONLY:
            if values.get(name) is not None:
                errors.append(FieldError(named(name), f"only for SIMs, not a {kind.value}"))
        if values.get("imei") is not None and kind not in IMEI_KINDS:
            errors.append(FieldError(named("imei"), f"a {kind.value} has no IMEI"))
        needed = ("model",) if kind is AssetKind.accessory else ("make", "model")
        for name in needed:
            if not values.get(name):
                errors.append(FieldError(named(name), f"required for a {kind.value}"))
    activated, expires = values.get("activated_on"), values.get("expires_on")
    if activated is not None and expires is not None and expires < activated:
        errors.append(FieldError(named("expires_on"), f"cannot be before activated_on ({activated.isoformat()})"))
    charger_test = values.get("charger_safety_test_on")
    if charger_test is not None and charger_test > date.today():
        errors.append(FieldError(named("charger_safety_test_on"), "cannot be in the future"))
    return errors


def wipe_rule_errors(data: WipeIn, kind: AssetKind, *, came_in: date | None = None) -> list[FieldError]:
    """What a wipe record needs beyond its field formats; `came_in` is the day the asset last came in."""
    errors = []
    if kind not in HOLDS_DATA and kind is not AssetKind.hotspot:
        errors.append(FieldError("method", f"a {kind.value} holds no data to wipe"))
    if data.method in CERTIFIED_METHODS and not data.certificate_reference:
        errors.append(FieldError("certificate_reference", f"required for a {data.method.value} wipe"))
    if data.performed_on > date.today():
        errors.append(FieldError("performed_on", "cannot be in the future"))
    elif came_in is not None and data.performed_on < came_in:
        errors.append(
            FieldError(
                "performed_on",
                f"is before the device last came in, on {came_in.isoformat()}: "
                "a wipe done before then does not cover it now; wipe it again",
            )
        )
    return errors


# A number typed or scanned: an ICCID, an IMEI or a phone number, with the spaces and signs people put in them.
_NUMBER = re.compile(r"^[\d\s()+./-]+$")
MIN_NUMBER_DIGITS = 4


def search_clauses(q: str) -> list[Any]:
    """What `q` matches, by what it looks like.

    Words match tag, serial, make and model. A tag or the start of one (`lap-000003`, `LAP 000003`) also matches the
    tag whatever its spacing. Only a number (at least four digits, nothing but digits, spaces and `+()-./`)
    matches ICCIDs, IMEIs and phone numbers: `lap-000003` must not find every phone with a 3 in it.
    """
    text = q.strip()
    clauses: list[Any] = [
        func.lower(column).contains(text.lower(), autoescape=True)
        for column in (Asset.tag, Asset.serial_number, Asset.make, Asset.model)
    ]
    start = tag_start(text)
    if start:
        clauses.append(func.replace(Asset.tag, "-", "").startswith(start))
    digits = "".join(ch for ch in text if ch.isdigit())
    if _NUMBER.match(text) and len(digits) >= MIN_NUMBER_DIGITS:
        # Phone numbers are stored in E.164: `07911…` finds `+447911…`.
        clauses += [
            Asset.iccid.contains(digits),
            Asset.imei.contains(digits),
            Asset.msisdn.contains(digits.lstrip("0") or digits),
        ]
    return clauses


def derive_expiry(values: dict[str, Any]) -> None:
    if values.get("expires_on") is None and values.get("activated_on") and values.get("plan_months"):
        values["expires_on"] = add_months(values["activated_on"], values["plan_months"])
