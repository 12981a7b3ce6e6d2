"""Field formats shared across domains, each defined once."""

from __future__ import annotations

import re

# The UK postcode shape (outward code, space, inward code), including GIR 0AA.
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    """`b1 1aa` -> `B1 1AA`; raises ValueError for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.match(compact):
        raise ValueError("not a valid UK postcode (e.g. B1 1AA)")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code, e.g. `B12` of `B12 9QT`: coarse enough for reports after erasure."""
    return normalise_postcode(postcode).split(" ")[0]
