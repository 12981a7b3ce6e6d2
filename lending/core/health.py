from __future__ import annotations

import logging

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lending import __version__

log = logging.getLogger("lending.health")


@get("/health", exclude_from_auth=True, tags=["system"], summary="Liveness and database check (no auth)",
     responses={503: ResponseSpec(dict[str, str], description="The database is unreachable.", generate_examples=False)})
async def health(db_engine: AsyncEngine) -> Response[dict[str, str]]:
    try:
        async with db_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not healthy", not a 500
        log.warning("health check: database unreachable: %s", exc)
        return Response({"status": "error", "database": "unreachable", "version": __version__}, status_code=503)
    return Response({"status": "ok", "database": "ok", "version": __version__})
