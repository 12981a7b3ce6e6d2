"""The summary at 100,000 assets: a loan counts its devices, SIMs and children once, when it is issued

The summary's reach since the start joined every loan item (202,000 at 100k assets) to its asset to tell devices
from SIMs, and took 0.34 s on PostgreSQL and 0.87 s on SQLite against a target of 0.3 s. A loan's items never
change after issue, so the loan now carries how many devices and SIMs it lent (`device_count`, `sim_count`), and
the reach reads the loans alone, from one index by family that holds them. The children a loan reached are the
family's children when it was lent (`children`): reports on a past period no longer move when a family's count
is corrected or the family is erased, and need no join to families. Gifts in a period, a few among every item
ever lent, are found by their own index on how and when an item ended.

Earlier loans are counted here from their items in one pass, and take their family's children as they are now.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("device_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("sim_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("children", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_loan_item_counts"), "device_count >= 0 AND sim_count >= 0 AND children >= 0"
        )
    # The same rule as lending.inventory.models.NOT_DEVICES: a SIM is counted apart, an accessory not at all.
    op.execute(
        """
        UPDATE loan SET device_count = counted.devices, sim_count = counted.sims
        FROM (
            SELECT loan_item.loan_id AS loan_id,
                   sum(CASE WHEN asset.kind NOT IN ('sim', 'accessory') THEN 1 ELSE 0 END) AS devices,
                   sum(CASE WHEN asset.kind = 'sim' THEN 1 ELSE 0 END) AS sims
            FROM loan_item JOIN asset ON asset.id = loan_item.asset_id
            GROUP BY loan_item.loan_id
        ) AS counted
        WHERE counted.loan_id = loan.id
        """
    )
    op.execute("UPDATE loan SET children = (SELECT family.children FROM family WHERE family.id = loan.family_id)")
    op.drop_index("ix_loan_family_id", table_name="loan")
    op.create_index("ix_loan_family_id", "loan", ["family_id", "issued_at", "device_count", "sim_count", "children"])
    # A period's loans are read from this index alone (0014): it now holds the children they reached too.
    op.drop_index("ix_loan_issued_at", table_name="loan")
    op.create_index("ix_loan_issued_at", "loan", ["issued_at", "family_id", "centre_id", "nomination_id", "children"])
    op.create_index("ix_loan_item_outcome_ended_at", "loan_item", ["outcome", "ended_at", "loan_id", "asset_id"])


def downgrade() -> None:
    op.drop_index("ix_loan_item_outcome_ended_at", table_name="loan_item")
    op.drop_index("ix_loan_family_id", table_name="loan")
    op.create_index("ix_loan_family_id", "loan", ["family_id", "issued_at"])
    op.drop_index("ix_loan_issued_at", table_name="loan")
    op.create_index("ix_loan_issued_at", "loan", ["issued_at", "family_id", "centre_id", "nomination_id"])
    with op.batch_alter_table("loan") as batch:
        batch.drop_constraint(op.f("ck_loan_item_counts"), type_="check")
        batch.drop_column("children")
        batch.drop_column("sim_count")
        batch.drop_column("device_count")
