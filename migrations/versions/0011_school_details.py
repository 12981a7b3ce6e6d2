"""school details from the DfE's Get Information About Schools: phase, percentage on free school meals, status

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("phase", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("percentage_fsm", sa.Numeric(precision=4, scale=1), nullable=True))
        batch.add_column(sa.Column("establishment_status", sa.String(length=40), nullable=True))
        batch.create_check_constraint(
            "percentage_fsm_range", "percentage_fsm IS NULL OR percentage_fsm BETWEEN 0 AND 100"
        )


def downgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.drop_constraint("percentage_fsm_range", type_="check")
        batch.drop_column("establishment_status")
        batch.drop_column("percentage_fsm")
        batch.drop_column("phase")
