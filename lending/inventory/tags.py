"""Asset tags: `LAP-000123-K` = prefix per kind, sequence per prefix, ISO 7064 mod 37,36 check character.

The check character means a mistyped tag is rejected rather than matched to another device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.iso7064 import mod_37_36

from lending.core.db import upsert_insert
from lending.inventory.models import AssetTagSequence

SEQUENCE_DIGITS = 6
_TAG = re.compile(rf"^([A-Z]{{2,5}})(\d{{{SEQUENCE_DIGITS},9}})([0-9A-Z])$")
# The beginning of a tag, written without separators: letters then at least one digit.
_TAG_START = re.compile(r"^[A-Z]{2,5}\d+[0-9A-Z]?$")
# Spaces, hyphens and the dashes a word processor substitutes for them, wherever they are typed in a tag: the
# check character, not the spelling, is what stops a mistyped tag.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


class BadTag(ValueError):
    pass


@dataclass(frozen=True)
class Tag:
    prefix: str
    number: int

    def __str__(self) -> str:
        body = f"{self.prefix}{self.number:0{SEQUENCE_DIGITS}d}"
        return f"{self.prefix}-{self.number:0{SEQUENCE_DIGITS}d}-{mod_37_36.calc_check_digit(body)}"


def compact(text: str) -> str:
    """`lap 000003-k` → `LAP000003K`."""
    return _SEPARATORS.sub("", text or "").upper()


def parse_tag(text: str) -> Tag:
    """Parse a typed or scanned tag: case, spaces and hyphens (anywhere) do not matter; the check does."""
    match = _TAG.match(compact(text))
    if not match:
        raise BadTag(f"'{text}' is not an asset tag (like LAP-000123-K)")
    prefix, digits, check = match.groups()
    if not mod_37_36.is_valid(prefix + digits + check):
        raise BadTag(f"'{text}' has a wrong check character: it is mistyped")
    return Tag(prefix, int(digits))


def normalise_tag(text: str) -> str:
    return str(parse_tag(text))


def tag_start(text: str) -> str | None:
    """`lap-0000` → `LAP0000`: what a tag written without separators starts with, or None if `text` cannot be the
    beginning of a tag."""
    start = compact(text)
    return start if _TAG_START.match(start) else None


async def _lock_sequence(session: AsyncSession, prefix: str) -> AssetTagSequence:
    insert = upsert_insert(session)
    await session.execute(
        insert(AssetTagSequence).values(prefix=prefix, last_value=0).on_conflict_do_nothing(index_elements=["prefix"])
    )
    # FOR UPDATE serialises concurrent allocations on PostgreSQL; SQLite already has one writer at a time.
    return (
        await session.scalars(select(AssetTagSequence).where(AssetTagSequence.prefix == prefix).with_for_update())
    ).one()


async def allocate_tags(session: AsyncSession, prefix: str, count: int) -> list[str]:
    """Hand out `count` new tags for `prefix`, in order, inside the caller's transaction."""
    if count <= 0:
        return []
    sequence = await _lock_sequence(session, prefix)
    first = sequence.last_value + 1
    sequence.last_value += count
    await session.flush()
    return [str(Tag(prefix, n)) for n in range(first, first + count)]


async def reserve_tags(session: AsyncSession, tags: Iterable[Tag]) -> None:
    """Imported tags keep their numbers; later allocations continue after the highest per prefix."""
    highest: dict[str, int] = {}
    for tag in tags:
        highest[tag.prefix] = max(highest.get(tag.prefix, 0), tag.number)
    moved = False
    for prefix, number in highest.items():
        sequence = await _lock_sequence(session, prefix)
        if sequence.last_value < number:
            sequence.last_value = number
            moved = True
    if moved:
        await session.flush()
