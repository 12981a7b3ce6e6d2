"""Join the scale indexes (0012) and the report indexes (0013), both made on 0010, into one head.

Only for the h-scale branch, which merged h-reports to benchmark its reports: the integrator re-chains 0011–0013
and drops this file.

Revision ID: merge_0012_0013
Revises: 0012, 0013
"""

from __future__ import annotations

revision = "merge_0012_0013"
down_revision = ("0012", "0013")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
