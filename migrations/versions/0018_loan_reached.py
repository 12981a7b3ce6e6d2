"""Where a loan reached: its nominating school, when it was nominated, and the family's postcode district

The loans report by school joined every loan in the period to its nomination, by postcode district to its family,
and the pipeline's wait from nomination to loan to its nomination again; on SQLite at 100,000 assets the two
reports took 0.8-1.3 s against a target of 1 s, and the dashboard shows the district report. A loan now keeps, when
it is issued, `school_id` and `nominated_at` (held to its nomination's by a foreign key on (nomination_id,
school_id, nominated_at)) and `postcode_district`, the family's when it was lent to, as the children are (0015). A
school's loans are those with its id, without a subquery on nominations.

Earlier loans take their nomination's school and time, and their family's district as it is now.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-23
"""

from __future__ import annotations

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ISSUED = [
    "issued_at",
    "family_id",
    "centre_id",
    "nomination_id",
    "school_id",
    "nominated_at",
    "postcode_district",
    "children",
]
CLOSED = ["status", "closed_at", "issued_at", "family_id", "centre_id", "school_id", "postcode_district"]


def upgrade() -> None:
    with op.batch_alter_table("nomination") as batch:
        batch.create_unique_constraint("uq_nomination_kept_by_loans", ["id", "school_id", "submitted_at"])
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("school_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("nominated_at", aa.DateTimeUTC(timezone=True), nullable=True))
        batch.add_column(sa.Column("postcode_district", sa.String(length=4), nullable=True))
    op.execute(
        "UPDATE loan SET school_id = nomination.school_id, nominated_at = nomination.submitted_at "
        "FROM nomination WHERE nomination.id = loan.nomination_id"
    )
    op.execute(
        "UPDATE loan SET postcode_district = (SELECT family.postcode_district FROM family "
        "WHERE family.id = loan.family_id)"
    )
    with op.batch_alter_table("loan") as batch:
        batch.create_foreign_key(
            "fk_loan_nomination_kept",
            "nomination",
            ["nomination_id", "school_id", "nominated_at"],
            ["id", "school_id", "submitted_at"],
        )
        batch.create_check_constraint(
            op.f("ck_loan_kept_with_nomination"),
            "(nomination_id IS NULL) = (school_id IS NULL) AND (nomination_id IS NULL) = (nominated_at IS NULL)",
        )
    op.drop_index("ix_loan_issued_at", table_name="loan")
    op.create_index("ix_loan_issued_at", "loan", ISSUED)
    op.drop_index("ix_loan_status_closed_at", table_name="loan")
    op.create_index("ix_loan_status_closed_at", "loan", CLOSED)


def downgrade() -> None:
    op.drop_index("ix_loan_status_closed_at", table_name="loan")
    op.create_index("ix_loan_status_closed_at", "loan", ["status", "closed_at", "issued_at", "family_id"])
    op.drop_index("ix_loan_issued_at", table_name="loan")
    op.create_index("ix_loan_issued_at", "loan", ["issued_at", "family_id", "centre_id", "nomination_id", "children"])
    with op.batch_alter_table("loan") as batch:
        batch.drop_constraint(op.f("ck_loan_kept_with_nomination"), type_="check")
        batch.drop_constraint("fk_loan_nomination_kept", type_="foreignkey")
        batch.drop_column("postcode_district")
        batch.drop_column("nominated_at")
        batch.drop_column("school_id")
    with op.batch_alter_table("nomination") as batch:
        batch.drop_constraint("uq_nomination_kept_by_loans", type_="unique")
