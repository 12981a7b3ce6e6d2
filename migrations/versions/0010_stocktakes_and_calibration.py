"""stocktakes (a centre's shelf counted by scanning) and label calibration per centre and layout

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "status = 'open'"
_OUTCOMES = "outcome IN ('found', 'missing', 'unexpected', 'wrong_status')"
_STATUSES = (
    "status IN ('received', 'in_refurbishment', 'ready', 'on_loan', 'returned', 'repair', 'retired', "
    "'lost', 'stolen', 'gifted')"
)


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
    op.create_table(
        "stocktake",
        _id(),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("finished_by_id", sa.BigInteger(), nullable=True),
        *_stamps(),
        sa.CheckConstraint("status IN ('open', 'finished')", name=op.f("ck_stocktake_status_known")),
        sa.CheckConstraint(
            "(status = 'finished') = (finished_at IS NOT NULL AND finished_by_id IS NOT NULL)",
            name=op.f("ck_stocktake_finished_says_who_and_when"),
        ),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_stocktake_centre_id_centre")),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["user_account.id"], name=op.f("fk_stocktake_started_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["finished_by_id"], ["user_account.id"], name=op.f("fk_stocktake_finished_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake")),
    )
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(
            "uq_stocktake_open_centre",
            ["centre_id"],
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )

    op.create_table(
        "stocktake_scan",
        _id(),
        sa.Column("stocktake_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("scanned_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("scanned_by_id", sa.BigInteger(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_stocktake_scan_asset_id_asset")),
        sa.ForeignKeyConstraint(
            ["scanned_by_id"], ["user_account.id"], name=op.f("fk_stocktake_scan_scanned_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_scan_stocktake_id_stocktake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_scan")),
        sa.UniqueConstraint("stocktake_id", "asset_id", name="uq_stocktake_scan_stocktake_asset"),
    )
    with op.batch_alter_table("stocktake_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_scan_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "stocktake_line",
        _id(),
        sa.Column("stocktake_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("scanned_at", aa.DateTimeUTC(timezone=True), nullable=True),
        *_stamps(),
        sa.CheckConstraint(_OUTCOMES, name=op.f("ck_stocktake_line_outcome_known")),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_stocktake_line_status_known")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_stocktake_line_asset_id_asset")),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_stocktake_line_centre_id_centre")),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_line_stocktake_id_stocktake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_line")),
        sa.UniqueConstraint("stocktake_id", "asset_id", name="uq_stocktake_line_stocktake_asset"),
    )
    with op.batch_alter_table("stocktake_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_line_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "label_calibration",
        _id(),
        sa.Column("centre_id", sa.BigInteger(), nullable=False),
        sa.Column("layout_id", sa.String(length=100), nullable=False),
        sa.Column("x_mm", sa.Float(), nullable=False),
        sa.Column("y_mm", sa.Float(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("x_mm BETWEEN -20 AND 20", name=op.f("ck_label_calibration_x_mm_range")),
        sa.CheckConstraint("y_mm BETWEEN -20 AND 20", name=op.f("ck_label_calibration_y_mm_range")),
        sa.ForeignKeyConstraint(["centre_id"], ["centre.id"], name=op.f("fk_label_calibration_centre_id_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_calibration")),
        sa.UniqueConstraint("centre_id", "layout_id", name="uq_label_calibration_centre_layout"),
    )
    with op.batch_alter_table("label_calibration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_calibration_centre_id"), ["centre_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("label_calibration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_calibration_centre_id"))
    op.drop_table("label_calibration")

    with op.batch_alter_table("stocktake_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_line_asset_id"))
    op.drop_table("stocktake_line")

    with op.batch_alter_table("stocktake_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_scan_asset_id"))
    op.drop_table("stocktake_scan")

    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.drop_index("uq_stocktake_open_centre", sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))
        batch_op.drop_index(batch_op.f("ix_stocktake_centre_id"))
    op.drop_table("stocktake")
