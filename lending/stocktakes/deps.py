"""Litestar providers for stocktakes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.stocktakes.service import StocktakeService


async def provide_stocktakes(db_session: AsyncSession) -> StocktakeService:
    return StocktakeService(db_session)
