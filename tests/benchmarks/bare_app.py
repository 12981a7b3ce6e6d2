"""The yardstick: a Litestar endpoint that does one SQLAlchemy insert, with Lending's own database set-up.

Served by `python -m tests.benchmarks.loan_cycle` next to `lending serve`, the same way (one uvicorn process).
"""

from __future__ import annotations

from datetime import UTC, datetime

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, post
from sqlalchemy import DateTime, Integer, MetaData, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lending.config import Settings
from lending.core.db import alchemy_config
from lending.core.transactions import RequestTransactions


class BareBase(DeclarativeBase):
    metadata = MetaData()


class BareRow(BareBase):
    __tablename__ = "bench_bare_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@post("/bare", status_code=201)
async def bare(db_session: AsyncSession) -> dict[str, int]:
    row = BareRow(label="x", created_at=datetime.now(UTC))
    db_session.add(row)
    await db_session.flush()
    return {"id": row.id}


def create_bare_app() -> Litestar:
    settings = Settings()
    config = alchemy_config(settings, metadata=BareBase.metadata)
    # Committed the way Lending commits (one commit per request, before the answer).
    return Litestar(
        [bare],
        plugins=[SQLAlchemyPlugin(config=config)],
        on_app_init=[RequestTransactions(config).on_app_init],
        logging_config=None,
    )
