"""sign-in attempts kept in the database so every worker counts them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("occurred_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempt_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index("ix_login_attempt_email_key_occurred_at", ["email_key", "occurred_at"], unique=False)
        batch_op.create_index("ix_login_attempt_address_occurred_at", ["address", "occurred_at"], unique=False)
        batch_op.create_index("ix_login_attempt_device_key_occurred_at", ["device_key", "occurred_at"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_version", sa.Integer(), server_default=sa.text("0"), nullable=False))
    # Tokens issued before this revision carry no version (read as 0): starting everyone at 1 ends them, since
    # they may predate a password reset that the old same-second rule let them survive.
    op.execute("UPDATE user_account SET token_version = 1")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("token_version")

    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_device_key_occurred_at")
        batch_op.drop_index("ix_login_attempt_address_occurred_at")
        batch_op.drop_index("ix_login_attempt_email_key_occurred_at")
        batch_op.drop_index(batch_op.f("ix_login_attempt_occurred_at"))

    op.drop_table("login_attempt")
