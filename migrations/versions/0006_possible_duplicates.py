"""possible duplicate nominations held for staff; erasure reaches every copy

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REDACTED = "[redacted]"


# Fields redacted from the audit log since this revision; rows written before it may still hold them.
NEWLY_REDACTED = {
    "family": ("name_key",),
    "loan": ("notes", "gift_reason"),
    "loan_item": ("return_notes",),
    "loan_extension": ("reason",),
}


def _redact_older_audit_rows() -> None:
    """Family audit rows carried the lower-cased name, loan rows their free-text notes: redact them there too."""
    audit = sa.table(
        "audit_entry",
        sa.column("id", sa.BigInteger),
        sa.column("entity_type", sa.String),
        sa.column("before", aa.JsonB),
        sa.column("after", aa.JsonB),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(audit.c.id, audit.c.entity_type, audit.c.before, audit.c.after).where(
            audit.c.entity_type.in_(list(NEWLY_REDACTED))
        )
    ).all()
    for row_id, entity_type, before, after in rows:
        changed = {}
        for column, value in (("before", before), ("after", after)):
            if not isinstance(value, dict):
                continue
            redacted = {k: REDACTED for k in NEWLY_REDACTED[entity_type] if value.get(k) not in (None, REDACTED)}
            if redacted:
                changed[column] = {**value, **redacted}
        if changed:
            bind.execute(audit.update().where(audit.c.id == row_id).values(**changed))


def _link_stored_answers_to_families() -> None:
    """Stored Idempotency-Key answers (loans) name their family, so that erasure can find and forget them."""
    keys = sa.table(
        "idempotency_key",
        sa.column("id", sa.BigInteger),
        sa.column("response", aa.JsonB),
        sa.column("family_id", sa.BigInteger),
    )
    bind = op.get_bind()
    for row_id, response in bind.execute(
        sa.select(keys.c.id, keys.c.response).where(keys.c.response.is_not(None))
    ).all():
        family_id = response.get("family_id") if isinstance(response, dict) else None
        if isinstance(family_id, int):
            bind.execute(keys.update().where(keys.c.id == row_id).values(family_id=family_id))


def upgrade() -> None:
    op.create_table(
        "possible_duplicate",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("family_id", sa.BigInteger(), nullable=False),
        sa.Column("held_family_id", sa.BigInteger(), nullable=False),
        sa.Column("nomination_id", sa.BigInteger(), nullable=True),
        sa.Column("matched_on", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("raised_by_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'merged', 'kept_apart', 'superseded')", name=op.f("ck_possible_duplicate_status_known")
        ),
        sa.CheckConstraint("family_id <> held_family_id", name=op.f("ck_possible_duplicate_two_families")),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name=op.f("fk_possible_duplicate_family_id_family")),
        sa.ForeignKeyConstraint(
            ["held_family_id"], ["family.id"], name=op.f("fk_possible_duplicate_held_family_id_family")
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["nomination.id"], name=op.f("fk_possible_duplicate_nomination_id_nomination")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["user_account.id"], name=op.f("fk_possible_duplicate_raised_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user_account.id"], name=op.f("fk_possible_duplicate_resolved_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_duplicate")),
    )
    with op.batch_alter_table("possible_duplicate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_possible_duplicate_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_possible_duplicate_held_family_id"), ["held_family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_possible_duplicate_status"), ["status"], unique=False)

    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_family_merged_into_id_family"), "family", ["merged_into_id"], ["id"])

    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_idempotency_key_family_id"), ["family_id"], unique=False)

    with op.batch_alter_table("loan_acceptance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_pdf_withdrawn_at", aa.DateTimeUTC(timezone=True), nullable=True))

    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_from_family_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_nomination_merged_from_family_id_family"), "family", ["merged_from_family_id"], ["id"]
        )

    _link_stored_answers_to_families()
    _redact_older_audit_rows()


def downgrade() -> None:
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_nomination_merged_from_family_id_family"), type_="foreignkey")
        batch_op.drop_column("merged_from_family_id")

    with op.batch_alter_table("loan_acceptance", schema=None) as batch_op:
        batch_op.drop_column("signed_pdf_withdrawn_at")

    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_key_family_id"))
        batch_op.drop_column("family_id")

    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_family_merged_into_id_family"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("possible_duplicate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_possible_duplicate_status"))
        batch_op.drop_index(batch_op.f("ix_possible_duplicate_held_family_id"))
        batch_op.drop_index(batch_op.f("ix_possible_duplicate_family_id"))

    op.drop_table("possible_duplicate")
