"""What other domains hold about a family, reached through a hook they register, never by importing them.

Families answer "may this family be erased?", export everything held about it, erase it, merge it and tell whether
it is still active. Loans (and any later domain that keeps records about a family) register a `FamilyRecords` so
that those answers include what they hold, while families stay a floor below them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lending.families.models import Family


@dataclass
class Erased:
    values: set[str]  # the personal text that was held, so copies of it elsewhere can be found
    entities: dict[str, list[int]]  # the records touched, by audit entity type
    counts: dict[str, int] = field(default_factory=dict)  # reported in the erasure's audit entry


class FamilyRecords(Protocol):
    name: str

    async def entities(self, session: AsyncSession, family_id: int) -> dict[str, list[int]]:
        """The ids of every record about the family, by audit entity type."""

    async def section(self, session: AsyncSession, family: Family) -> dict[str, Any]:
        """This domain's part of the family's subject-access export."""

    async def blocks_erasure(self, session: AsyncSession, family_id: int) -> str | None:
        """Why the family cannot be erased now, or None."""

    async def erase(self, session: AsyncSession, family_id: int, now: datetime) -> Erased:
        """Blank the personal data this domain holds about the family."""

    async def move(self, session: AsyncSession, from_family_id: int, to_family_id: int) -> None:
        """Two records were one family after all: what pointed at the first now points at the second."""

    def recent_activity(self, cutoff: datetime) -> Any:
        """A clause, correlated with `Family.id`, true while the family has activity here since `cutoff`."""


_registered: dict[str, FamilyRecords] = {}


def register(records: FamilyRecords) -> None:
    _registered[records.name] = records


def registered() -> list[FamilyRecords]:
    return list(_registered.values())
