"""Reports at 100,000 assets: indexes that answer them alone, and the move to ready keeps when the asset came in

Each report's scan reads one index and not the table behind it (SQLite: a covering index; PostgreSQL: an index-only
scan once vacuumed):
- loans by family, with when they were issued: the reach since the start (distinct families and their loans);
- loans by when they were issued, with family, centre and nomination: a period's loans grouped by month, centre,
  school or district and counted per family;
- ended loans by status and when they ended, with when they began: returns in a period and loan lengths (status
  first, so that SQLite without statistics does not walk every returned loan by its older status index);
- loan items by asset: whether an asset was ever lent (the donations report asked it of every asset by a scan);
- a loan's items with how and when each ended: devices lent and gifted, without reading the items themselves.

Received to ready was found by searching each asset's history for when it last came in before each move to ready
(1.1 million events at 100k assets). A move to ready now keeps the asset's `intake_at` (AssetEvent.intake_at), so the
report reads a period's moves and their durations from one index. Earlier moves are filled here from the history:
the latest received or returned event at or before each.

Measured on the 100k demo database (README, Benchmarks).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from __future__ import annotations

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (name, table, columns now, columns before or None when new)
INDEXES = [
    ("ix_loan_family_id", "loan", ["family_id", "issued_at"], ["family_id"]),
    ("ix_loan_issued_at", "loan", ["issued_at", "family_id", "centre_id", "nomination_id"], ["issued_at"]),
    ("ix_loan_item_asset_id", "loan_item", ["asset_id"], None),
    ("ix_loan_item_loan_id", "loan_item", ["loan_id", "asset_id", "outcome", "ended_at"], ["loan_id"]),
    (
        "ix_asset_event_to_status_occurred_at",
        "asset_event",
        ["to_status", "occurred_at", "intake_at", "asset_id"],
        ["to_status", "occurred_at"],
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("asset_event") as batch:
        batch.add_column(sa.Column("intake_at", aa.DateTimeUTC(timezone=True), nullable=True))
    # One pass over the history in order (a window), not a search per move: the latest coming-in at or before it.
    op.execute(
        """
        UPDATE asset_event SET intake_at = history.came_in
        FROM (
            SELECT id, to_status, from_status,
                   max(CASE WHEN to_status IN ('received', 'returned') THEN occurred_at END) OVER (
                       PARTITION BY asset_id ORDER BY occurred_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                   ) AS came_in
            FROM asset_event
        ) AS history
        WHERE history.id = asset_event.id AND history.to_status = 'ready' AND history.from_status IS NOT NULL
        """
    )
    op.drop_index("ix_loan_closed_at", table_name="loan")
    op.create_index("ix_loan_status_closed_at", "loan", ["status", "closed_at", "issued_at", "family_id"])
    for name, table, columns, before in INDEXES:
        if before is not None:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _, before in reversed(INDEXES):
        op.drop_index(name, table_name=table)
        if before is not None:
            op.create_index(name, table, before)
    op.drop_index("ix_loan_status_closed_at", table_name="loan")
    op.create_index("ix_loan_closed_at", "loan", ["closed_at"])
    with op.batch_alter_table("asset_event") as batch:
        batch.drop_column("intake_at")
