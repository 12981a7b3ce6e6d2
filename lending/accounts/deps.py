"""Litestar providers for accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.service import AccountService


async def provide_account_service(db_session: AsyncSession) -> AccountService:
    return AccountService(db_session)
