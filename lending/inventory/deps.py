"""Dependency providers for the inventory's services: what routes (here and in other domains) ask for."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.inventory.service import AssetService, Inventory


async def provide_inventory(db_session: AsyncSession, settings: Settings) -> Inventory:
    return Inventory(db_session, settings.tag_prefixes)


async def provide_assets(db_session: AsyncSession, settings: Settings) -> AssetService:
    return AssetService(db_session, settings.tag_prefixes)
