"""Idempotency-Key: a retried request gets the first answer again instead of doing the work twice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending.core.errors import Invalid
from lending.loans.models import IdempotencyKey

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def fingerprint(canonical_body: str) -> str:
    return hashlib.sha256(canonical_body.encode()).hexdigest()


class Idempotency:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _find(self, user_id: int, scope: str, key: str) -> IdempotencyKey | None:
        return (
            await self.session.scalars(
                select(IdempotencyKey).where(
                    IdempotencyKey.user_id == user_id, IdempotencyKey.scope == scope, IdempotencyKey.key == key
                )
            )
        ).one_or_none()

    @staticmethod
    def _replay(record: IdempotencyKey, request_hash: str) -> Replay:
        if record.request_hash != request_hash:
            raise Invalid.field(HEADER, "this key was already used with a different request body")
        assert record.status_code is not None and record.response is not None
        return Replay(record.status_code, record.response)

    async def claim(self, user_id: int, scope: str, key: str, request_hash: str) -> IdempotencyKey | Replay:
        """Either the stored answer to replay, or a fresh record to fill with this request's answer.

        The record is written in the request's own transaction: if the request fails, so does the claim, and a
        retry does the work. A racing request with the same key waits on the unique index, then replays.
        """
        existing = await self._find(user_id, scope, key)
        if existing is not None:
            return self._replay(existing, request_hash)
        record = IdempotencyKey(user_id=user_id, scope=scope, key=key, request_hash=request_hash)
        try:
            async with self.session.begin_nested():
                self.session.add(record)
        except IntegrityError:
            existing = await self._find(user_id, scope, key)
            assert existing is not None
            return self._replay(existing, request_hash)
        return record

    @staticmethod
    def remember(
        record: IdempotencyKey, status_code: int, body: dict[str, Any], *, family_id: int | None = None
    ) -> None:
        """Keep the answer; `family_id` names whose data it holds, so erasing that family forgets it."""
        record.status_code, record.response, record.family_id = status_code, body, family_id


async def forget_family(session: AsyncSession, family_id: int) -> int:
    """Erasure: drop the stored answers about a family. A retry with such a key then does the work afresh (and
    meets the erased family). Returns how many were dropped."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.family_id == family_id))
    return cast("CursorResult[Any]", result).rowcount or 0
