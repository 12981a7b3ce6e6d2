"""Indexes for the list endpoints at 100,000 assets.

Each list pages in a fixed order (loans and nominations newest first, families by name, a status's assets by tag);
with an index in that order the database walks it and stops after one page instead of sorting every row.
Measured with `python -m tests.benchmarks.reports` (README).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_loan_issued_at", "loan", ["issued_at"]),
    ("ix_loan_status_issued_at", "loan", ["status", "issued_at"]),
    ("ix_nomination_submitted_at", "nomination", ["submitted_at"]),
    ("ix_nomination_status_submitted_at", "nomination", ["status", "submitted_at"]),
    ("ix_family_lead_name", "family", ["lead_name"]),
    ("ix_asset_status_tag", "asset", ["status", "tag"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
