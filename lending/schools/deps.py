"""Litestar providers for schools."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.schools.service import SchoolService


async def provide_school_service(db_session: AsyncSession) -> SchoolService:
    return SchoolService(db_session)
