"""messages: the outbox of reminders, extension notices and the staff digest; the claim on each day's run; a
family's opt-out of texts or emails

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

from __future__ import annotations

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.Identity(always=False, start=1, increment=1),
        nullable=False,
    )


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("family") as batch:
        batch.add_column(sa.Column("sms_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("email_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "message",
        _id(),
        sa.Column("family_id", sa.BigInteger(), nullable=True),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("steps", aa.JsonB, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("lease_expires_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", aa.DateTimeUTC(timezone=True), nullable=True),
        *_stamps(),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'logged', 'failed', 'cancelled')",
            name=op.f("ck_message_status_known"),
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_message_channel_known")),
        sa.CheckConstraint("audience IN ('family', 'staff')", name=op.f("ck_message_audience_known")),
        sa.CheckConstraint("kind IN ('reminder', 'extension', 'digest')", name=op.f("ck_message_kind_known")),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name=op.f("fk_message_family_id_family")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_message_idempotency_key")),
    )
    op.create_index("ix_message_status_next_attempt_at", "message", ["status", "next_attempt_at"])
    op.create_index("ix_message_family_id", "message", ["family_id", "created_at"])
    op.create_index("ix_message_created_at", "message", ["created_at"])

    op.create_table(
        "reminder_run",
        _id(),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("claimed_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("families", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("finished_at", aa.DateTimeUTC(timezone=True), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_run")),
        sa.UniqueConstraint("run_on", name=op.f("uq_reminder_run_run_on")),
    )


def downgrade() -> None:
    op.drop_table("reminder_run")
    op.drop_index("ix_message_created_at", table_name="message")
    op.drop_index("ix_message_family_id", table_name="message")
    op.drop_index("ix_message_status_next_attempt_at", table_name="message")
    op.drop_table("message")
    with op.batch_alter_table("family") as batch:
        batch.drop_column("email_opt_out")
        batch.drop_column("sms_opt_out")
