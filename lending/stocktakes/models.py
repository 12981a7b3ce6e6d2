"""A stocktake: one centre's shelf counted by scanning, kept with who started and finished it, and when."""

from __future__ import annotations

import enum
from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lending.core.db import Base, enum_type
from lending.inventory.models import Status


class StocktakeStatus(enum.StrEnum):
    open = "open"
    finished = "finished"


class Outcome(enum.StrEnum):
    """What one asset turned out to be in a count (lending/stocktakes/rules.py decides)."""

    found = "found"
    missing = "missing"
    unexpected = "unexpected"
    wrong_status = "wrong_status"


class Stocktake(Base):
    __tablename__ = "stocktake"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'finished')", name="status_known"),
        CheckConstraint(
            "(status = 'finished') = (finished_at IS NOT NULL AND finished_by_id IS NOT NULL)",
            name="finished_says_who_and_when",
        ),
        # Two desks starting a count of the same shelf at once: the database lets only one be open.
        Index(
            "uq_stocktake_open_centre",
            "centre_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"), index=True)
    status: Mapped[StocktakeStatus] = mapped_column(enum_type(StocktakeStatus, 10))
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    started_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_account.id"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    finished_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))


class StocktakeScan(Base):
    """One asset scanned in a count; scanning it again changes nothing."""

    __tablename__ = "stocktake_scan"
    __table_args__ = (UniqueConstraint("stocktake_id", "asset_id", name="uq_stocktake_scan_stocktake_asset"),)

    stocktake_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("stocktake.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("asset.id"), index=True)
    scanned_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    scanned_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("user_account.id"))


class StocktakeLine(Base):
    """A finished count's outcome for one asset, with the status and centre it was recorded at then, so the kept
    count reads the same after the asset moves on."""

    __tablename__ = "stocktake_line"
    # Written once, at finish, as the record of the count: the finish itself is the audited change.
    __audit_history__ = True
    __table_args__ = (
        UniqueConstraint("stocktake_id", "asset_id", name="uq_stocktake_line_stocktake_asset"),
        CheckConstraint("outcome IN ('found', 'missing', 'unexpected', 'wrong_status')", name="outcome_known"),
        CheckConstraint(
            "status IN ('received', 'in_refurbishment', 'ready', 'on_loan', 'returned', 'repair', 'retired', "
            "'lost', 'stolen', 'gifted')",
            name="status_known",
        ),
    )

    stocktake_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("stocktake.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("asset.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 20))
    status: Mapped[Status] = mapped_column(enum_type(Status, 20))
    centre_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("centre.id"))
    scanned_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
