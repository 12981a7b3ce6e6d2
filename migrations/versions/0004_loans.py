"""loans: loans, items (one active loan per asset), extensions, acceptance, idempotency keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", aa.JsonB, nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_key_user_scope_key"),
    )
    op.create_table(
        "loan",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("family_id", sa.BigInteger(), nullable=False),
        sa.Column("nomination_id", sa.BigInteger(), nullable=True),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("closed_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("gift_reason", sa.Text(), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'returned', 'gifted')", name=op.f("ck_loan_status_known")),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_loan_centre_id_centre")),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name=op.f("fk_loan_family_id_family")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user_account.id"], name=op.f("fk_loan_issued_by_id_user_account")),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"], name=op.f("fk_loan_nomination_id_nomination")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan")),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_nomination_id"), ["nomination_id"], unique=False)
        batch_op.create_index("ix_loan_status_due_on", ["status", "due_on"], unique=False)

    op.create_table(
        "loan_acceptance",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("relationship_to_family", sa.String(length=20), nullable=False),
        sa.Column("signed_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("witnessed_by_id", sa.BigInteger(), nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("signed_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("signed_pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_loan_acceptance_loan_id_loan")),
        sa.ForeignKeyConstraint(
            ["witnessed_by_id"], ["user_account.id"], name=op.f("fk_loan_acceptance_witnessed_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_acceptance")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_loan_acceptance_loan_id")),
    )
    op.create_table(
        "loan_extension",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_due_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extended_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extended_by_id"], ["user_account.id"], name=op.f("fk_loan_extension_extended_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_loan_extension_loan_id_loan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_extension")),
    )
    with op.batch_alter_table("loan_extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_extension_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "loan_item",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("return_condition", sa.String(length=10), nullable=True),
        sa.Column("charger_returned", sa.Boolean(), nullable=True),
        sa.Column("return_notes", sa.Text(), nullable=True),
        sa.Column("police_reference", sa.String(length=100), nullable=True),
        sa.Column("sim_barring_required", sa.Boolean(), nullable=False),
        sa.Column("received_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("(ended_at IS NULL) = (outcome IS NULL)", name=op.f("ck_loan_item_ended_has_outcome")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_loan_item_asset_id_asset")),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_loan_item_loan_id_loan")),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["user_account.id"], name=op.f("fk_loan_item_received_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_item")),
        sa.UniqueConstraint("loan_id", "asset_id", name="uq_loan_item_loan_asset"),
    )
    with op.batch_alter_table("loan_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_item_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(
            "uq_loan_item_active_asset",
            ["asset_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("loan_item", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_loan_item_active_asset",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_loan_item_loan_id"))

    op.drop_table("loan_item")
    with op.batch_alter_table("loan_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_extension_loan_id"))

    op.drop_table("loan_extension")
    op.drop_table("loan_acceptance")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_status_due_on")
        batch_op.drop_index(batch_op.f("ix_loan_nomination_id"))
        batch_op.drop_index(batch_op.f("ix_loan_family_id"))
        batch_op.drop_index(batch_op.f("ix_loan_centre_id"))

    op.drop_table("loan")
    op.drop_table("idempotency_key")
