"""families: schools, families, nominations and their timeline, IMD lookup; users belong to schools

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imd_postcode",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("imd_decile", sa.Integer(), nullable=False),
        sa.Column("lsoa", sa.String(length=12), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("imd_decile BETWEEN 1 AND 10", name=op.f("ck_imd_postcode_decile_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imd_postcode")),
        sa.UniqueConstraint("postcode", name=op.f("uq_imd_postcode_postcode")),
    )
    op.create_table(
        "school",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("urn", sa.String(length=6), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("length(urn) = 6", name=op.f("ck_school_urn_six_digits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("urn", name=op.f("uq_school_urn")),
    )
    op.create_table(
        "family",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("lead_name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("postcode_district", sa.String(length=4), nullable=True),
        sa.Column("preferred_language", sa.String(length=12), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("school_age_children", sa.Integer(), nullable=False),
        sa.Column("devices_at_home", sa.Integer(), nullable=False),
        sa.Column("has_broadband", sa.Boolean(), nullable=False),
        sa.Column("free_school_meals", sa.Boolean(), nullable=True),
        sa.Column("pupil_premium", sa.Boolean(), nullable=True),
        sa.Column("on_benefits", sa.Boolean(), nullable=True),
        sa.Column("imd_decile", sa.Integer(), nullable=True),
        sa.Column("imd_from_lookup", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("consent_given_on", sa.Date(), nullable=True),
        sa.Column("consent_recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("consent_recorded_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_activity_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("erased_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "children >= 0 AND school_age_children >= 0 AND school_age_children <= children",
            name=op.f("ck_family_children_counts"),
        ),
        sa.CheckConstraint(
            "imd_decile IS NULL OR imd_decile BETWEEN 1 AND 10", name=op.f("ck_family_imd_decile_range")
        ),
        sa.ForeignKeyConstraint(
            ["consent_recorded_by_id"], ["user_account.id"], name=op.f("fk_family_consent_recorded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family")),
    )
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_last_activity_at"), ["last_activity_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_postcode"), ["postcode"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_postcode_district"), ["postcode_district"], unique=False)

    op.create_table(
        "nomination",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("family_id", sa.BigInteger(), nullable=False),
        sa.Column("school_id", sa.BigInteger(), nullable=False),
        sa.Column("laptops", sa.Integer(), nullable=False),
        sa.Column("tablets", sa.Integer(), nullable=False),
        sa.Column("sims", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("decided_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closed_at", aa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'waitlisted', 'declined', 'fulfilled', 'withdrawn')",
            name=op.f("ck_nomination_status_known"),
        ),
        sa.CheckConstraint(
            "laptops >= 0 AND tablets >= 0 AND sims >= 0 AND laptops + tablets + sims > 0",
            name=op.f("ck_nomination_something_needed"),
        ),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name=op.f("fk_nomination_family_id_family")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_nomination_school_id_school")),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user_account.id"], name=op.f("fk_nomination_submitted_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination")),
    )
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_status"), ["status"], unique=False)

    op.create_table(
        "nomination_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("nomination_id", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", aa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["nomination.id"], name=op.f("fk_nomination_event_nomination_id_nomination")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_event")),
    )
    with op.batch_alter_table("nomination_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_event_nomination_id"), ["nomination_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_school_id"), ["school_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_user_account_school_id_school"), "school", ["school_id"], ["id"])
        batch_op.create_check_constraint("school_role_has_school", "(role = 'school') = (school_id IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("school_role_has_school", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_user_account_school_id_school"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_account_school_id"))
        batch_op.drop_column("school_id")

    with op.batch_alter_table("nomination_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_event_nomination_id"))

    op.drop_table("nomination_event")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_status"))
        batch_op.drop_index(batch_op.f("ix_nomination_school_id"))
        batch_op.drop_index(batch_op.f("ix_nomination_family_id"))

    op.drop_table("nomination")
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_postcode_district"))
        batch_op.drop_index(batch_op.f("ix_family_postcode"))
        batch_op.drop_index(batch_op.f("ix_family_phone"))
        batch_op.drop_index(batch_op.f("ix_family_last_activity_at"))

    op.drop_table("family")
    op.drop_table("school")
    op.drop_table("imd_postcode")
