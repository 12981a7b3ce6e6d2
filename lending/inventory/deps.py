"""Litestar providers for inventory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.inventory.service import InventoryService


async def provide_inventory(db_session: AsyncSession, settings: Settings) -> InventoryService:
    return InventoryService(db_session, settings.tag_prefixes)
