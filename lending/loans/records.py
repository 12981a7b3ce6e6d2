"""What loans hold about a family, registered with families (lending.families.records) so that erasure, subject
access, merging and retention include it without families importing loans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.families.models import Family
from lending.families.records import Erased, register
from lending.loans.models import IdempotencyKey, Loan, LoanStatus
from lending.loans.service import erase_family_loans, family_loan_entities, family_loans


class LoanRecords:
    name = "loans"

    async def entities(self, session: AsyncSession, family_id: int) -> dict[str, list[int]]:
        return await family_loan_entities(session, family_id)

    async def section(self, session: AsyncSession, family: Family) -> dict[str, Any]:
        return await family_loans(session, family)

    async def blocks_erasure(self, session: AsyncSession, family_id: int) -> str | None:
        active = await session.scalar(
            select(exists().where(Loan.family_id == family_id, Loan.status == LoanStatus.active.value))
        )
        return "has a device on loan: end the loan before erasing" if active else None

    async def erase(self, session: AsyncSession, family_id: int, now: datetime) -> Erased:
        loans = await erase_family_loans(session, family_id, now)
        return Erased(
            loans.values,
            loans.entities,
            {
                "loans": len(loans.entities.get("loan", [])),
                "agreements_withdrawn": loans.agreements_withdrawn,
                "addenda_withdrawn": loans.addenda_withdrawn,
                "stored_answers_forgotten": loans.stored_answers_forgotten,
            },
        )

    async def move(self, session: AsyncSession, from_family_id: int, to_family_id: int) -> None:
        for loan in await session.scalars(select(Loan).where(Loan.family_id == from_family_id)):
            loan.family_id = to_family_id
        # Stored answers follow their family, so that erasing it later forgets them too (bookkeeping, unaudited).
        await session.execute(
            update(IdempotencyKey).where(IdempotencyKey.family_id == from_family_id).values(family_id=to_family_id)
        )

    def recent_activity(self, cutoff: datetime) -> Any:
        return exists().where(
            Loan.family_id == Family.id,
            or_(Loan.status == LoanStatus.active.value, Loan.issued_at >= cutoff, Loan.closed_at >= cutoff),
        )


register(LoanRecords())
