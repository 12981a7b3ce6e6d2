"""inventory: donors, donations, assets, wipe certificates, asset history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_tag_sequence",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=5), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_tag_sequence")),
        sa.UniqueConstraint("prefix", name=op.f("uq_asset_tag_sequence_prefix")),
    )
    op.create_table(
        "donor",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("may_thank_publicly", sa.Boolean(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor")),
    )
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donor_name"), ["name"], unique=False)

    op.create_table(
        "donation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("donor_id", sa.BigInteger(), nullable=False),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_donation_centre_id_centre")),
        sa.ForeignKeyConstraint(["donor_id"], ["donor.id"], name=op.f("fk_donation_donor_id_donor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation")),
    )
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donation_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_donation_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "asset",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_changed_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("intake_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("donation_id", sa.BigInteger(), nullable=True),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("make_key", sa.String(length=100), sa.Computed("lower(make)", persisted=True), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("cpu", sa.String(length=100), nullable=True),
        sa.Column("ram_gb", sa.Integer(), nullable=True),
        sa.Column("storage_gb", sa.Integer(), nullable=True),
        sa.Column("storage_type", sa.String(length=10), nullable=True),
        sa.Column("os", sa.String(length=20), nullable=True),
        sa.Column("battery_health_pct", sa.Integer(), nullable=True),
        sa.Column("condition_grade", sa.String(length=10), nullable=True),
        sa.Column("charger_included", sa.Boolean(), nullable=False),
        sa.Column("charger_safety_test_on", sa.Date(), nullable=True),
        sa.Column("imei", sa.String(length=15), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("iccid", sa.String(length=22), nullable=True),
        sa.Column("network", sa.String(length=20), nullable=True),
        sa.Column("msisdn", sa.String(length=16), nullable=True),
        sa.Column("data_allowance_gb", sa.Integer(), nullable=True),
        sa.Column("plan_months", sa.Integer(), nullable=True),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("voucher_code", sa.String(length=64), nullable=True),
        sa.Column("retired_reason", sa.String(length=20), nullable=True),
        sa.Column("weee_reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'in_refurbishment', 'ready', 'on_loan', 'returned', 'repair', 'retired', "
            "'lost', 'stolen', 'gifted')",
            name=op.f("ck_asset_status_known"),
        ),
        sa.CheckConstraint(
            "battery_health_pct IS NULL OR (battery_health_pct BETWEEN 0 AND 100)",
            name=op.f("ck_asset_battery_health_range"),
        ),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_asset_centre_id_centre")),
        sa.ForeignKeyConstraint(["donation_id"], ["donation.id"], name=op.f("fk_asset_donation_id_donation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("iccid", name=op.f("uq_asset_iccid")),
        sa.UniqueConstraint("imei", name=op.f("uq_asset_imei")),
        sa.UniqueConstraint("make_key", "serial_number", name="uq_asset_make_serial"),
        sa.UniqueConstraint("tag", name=op.f("uq_asset_tag")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_donation_id"), ["donation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index("ix_asset_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_status"), ["status"], unique=False)

    op.create_table(
        "asset_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", aa.JsonB, nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_asset_event_asset_id_asset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_event")),
    )
    with op.batch_alter_table("asset_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_event_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "wipe_certificate",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("performed_by", sa.String(length=200), nullable=False),
        sa.Column("certificate_reference", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_wipe_certificate_asset_id_asset")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_wipe_certificate_recorded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wipe_certificate")),
    )
    with op.batch_alter_table("wipe_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wipe_certificate_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wipe_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wipe_certificate_asset_id"))

    op.drop_table("wipe_certificate")
    with op.batch_alter_table("asset_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_event_asset_id"))

    op.drop_table("asset_event")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_status"))
        batch_op.drop_index("ix_asset_kind_status")
        batch_op.drop_index(batch_op.f("ix_asset_expires_on"))
        batch_op.drop_index(batch_op.f("ix_asset_donation_id"))
        batch_op.drop_index(batch_op.f("ix_asset_centre_id"))

    op.drop_table("asset")
    with op.batch_alter_table("donation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donation_donor_id"))
        batch_op.drop_index(batch_op.f("ix_donation_centre_id"))

    op.drop_table("donation")
    with op.batch_alter_table("donor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donor_name"))

    op.drop_table("donor")
    op.drop_table("asset_tag_sequence")
