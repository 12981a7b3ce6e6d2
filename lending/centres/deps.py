"""Litestar providers for centres."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.centres.service import CentreService


async def provide_centre_service(db_session: AsyncSession) -> CentreService:
    return CentreService(db_session)
