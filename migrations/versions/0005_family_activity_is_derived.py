"""family activity is derived from its nominations and loans, not stored

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_last_activity_at"))
        batch_op.drop_column("last_activity_at")


def downgrade() -> None:
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_activity_at",
                aa.DateTimeUTC(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.create_index(batch_op.f("ix_family_last_activity_at"), ["last_activity_at"], unique=False)
