"""Addenda: an extension made after the agreement was signed is signed by the family too, its PDF kept with its hash

One row per such extension (`extension_id` unique), awaiting a signature until the family signs on the desk's pad;
then who signed, how related, when, before which witness, the signature image and the signed PDF with its SHA-256.
Erasure withdraws the PDF and keeps the hash, as for the agreement.

Extensions already made after their loan's agreement was recorded get an addendum awaiting a signature here.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loan_addendum",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("extension_id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("relationship_to_family", sa.String(length=20), nullable=True),
        sa.Column("signed_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("witnessed_by_id", sa.BigInteger(), nullable=True),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("signed_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("signed_pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_pdf_withdrawn_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(signed_at IS NULL) = (signer_name IS NULL) AND (signed_at IS NULL) = (relationship_to_family IS NULL) "
            "AND (signed_at IS NULL) = (witnessed_by_id IS NULL)",
            name=op.f("ck_loan_addendum_signed_together"),
        ),
        sa.CheckConstraint(
            "relationship_to_family IS NULL OR relationship_to_family IN ('parent', 'guardian', 'carer', 'self', "
            "'other')",
            name=op.f("ck_loan_addendum_relationship_known"),
        ),
        sa.CheckConstraint(
            "signed_at IS NOT NULL OR (signature_png IS NULL AND signed_pdf IS NULL AND signed_pdf_sha256 IS NULL)",
            name=op.f("ck_loan_addendum_unsigned_is_empty"),
        ),
        sa.CheckConstraint(
            "signed_pdf IS NULL OR signed_pdf_sha256 IS NOT NULL", name=op.f("ck_loan_addendum_pdf_has_hash")
        ),
        sa.CheckConstraint(
            "signed_pdf_sha256 IS NULL OR length(signed_pdf_sha256) = 64",
            name=op.f("ck_loan_addendum_sha256_length"),
        ),
        sa.CheckConstraint(
            "signed_pdf_withdrawn_at IS NULL OR (signed_pdf IS NULL AND signed_pdf_sha256 IS NOT NULL)",
            name=op.f("ck_loan_addendum_withdrawn_keeps_hash"),
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"], ["loan_extension.id"], name=op.f("fk_loan_addendum_extension_id_loan_extension")
        ),
        sa.ForeignKeyConstraint(["loan_id"], ["loan.id"], name=op.f("fk_loan_addendum_loan_id_loan")),
        sa.ForeignKeyConstraint(
            ["witnessed_by_id"], ["user_account.id"], name=op.f("fk_loan_addendum_witnessed_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_addendum")),
        sa.UniqueConstraint("extension_id", name=op.f("uq_loan_addendum_extension_id")),
    )
    with op.batch_alter_table("loan_addendum", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_addendum_loan_id"), ["loan_id"], unique=False)
    # Extensions recorded after their loan's agreement was: each is owed an addendum, awaiting the family's signature.
    op.execute(
        """
        INSERT INTO loan_addendum (extension_id, loan_id, created_at, updated_at)
        SELECT loan_extension.id, loan_extension.loan_id, loan_extension.created_at, loan_extension.created_at
        FROM loan_extension JOIN loan_acceptance ON loan_acceptance.loan_id = loan_extension.loan_id
        WHERE loan_extension.created_at > loan_acceptance.created_at
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("loan_addendum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_addendum_loan_id"))
    op.drop_table("loan_addendum")
