"""Litestar providers for families and nominations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.families.service import FamilyService


async def provide_families(db_session: AsyncSession, settings: Settings) -> FamilyService:
    return FamilyService(db_session, settings.priority_weights)
