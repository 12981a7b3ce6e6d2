"""What happens to a loan that a floor above wants to act on, in the same transaction.

Loans do not know who listens: messages (a use case above loans) registers here to queue the family's notice of a
new due date with the extension itself, so the notice and the change are saved together or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lending.loans.models import Loan, LoanExtension

if TYPE_CHECKING:
    from lending.config import Settings


class LoanListener(Protocol):
    name: str

    async def extended(
        self, session: AsyncSession, loan: Loan, extension: LoanExtension, settings: Settings | None
    ) -> None:
        """The loan's due date moved later (already flushed, not yet committed)."""


_listeners: dict[str, LoanListener] = {}


def listen(listener: LoanListener) -> None:
    _listeners[listener.name] = listener


async def extended(session: AsyncSession, loan: Loan, extension: LoanExtension, settings: Settings | None) -> None:
    for listener in list(_listeners.values()):
        await listener.extended(session, loan, extension, settings)
