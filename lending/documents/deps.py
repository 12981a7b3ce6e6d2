"""Litestar providers for documents."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.documents.service import DocumentService


async def provide_documents(db_session: AsyncSession, settings: Settings, request: Request) -> DocumentService:
    return DocumentService(db_session, settings, request.app.state.layouts)
