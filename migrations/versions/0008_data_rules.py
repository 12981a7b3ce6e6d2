"""wipe certificates unique, lost and stolen loan endings, SIM barring recorded

Serials become unique whatever their case, a wipe certificate's reference can be recorded for one device only,
loans that ended with a lost or stolen item say so, and a lost or stolen SIM's barring is recorded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from datetime import UTC, datetime, time, timedelta

import advanced_alchemy.types as aa
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_LOAN_STATUSES = "status IN ('active', 'returned', 'gifted')"
NEW_LOAN_STATUSES = "status IN ('active', 'returned', 'lost', 'stolen', 'gifted')"


def _recreate() -> str:
    # SQLite cannot add a stored generated column or change a CHECK in place: it copies the table. PostgreSQL alters
    # it (and must, since other tables' foreign keys point at it).
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def _after(column: str) -> dict:
    # Only a copied table can place a column; ALTER TABLE adds it at the end.
    return {"insert_after": column} if op.get_bind().dialect.name == "sqlite" else {}


def _make_key_recomputed(batch_op) -> None:
    """On SQLite's table copy, the generated `make_key` is computed again rather than copied (SQLite refuses an
    INSERT into a generated column, and Alembic's copy would write one)."""
    if op.get_bind().dialect.name == "sqlite":
        batch_op.drop_column("make_key")
        batch_op.add_column(
            sa.Column("make_key", sa.String(length=100), sa.Computed("lower(make)", persisted=True), nullable=True),
            **_after("make"),
        )


def _refuse_clashes(sql: str, what: str) -> None:
    """Rows the new unique rules would reject: say which, rather than fail on an anonymous constraint error."""
    clashes = op.get_bind().execute(sa.text(sql)).all()
    if clashes:
        listed = "; ".join(str(row[0]) for row in clashes[:20])
        raise RuntimeError(f"Cannot upgrade: {what}: {listed}. Correct them, then upgrade again.")


def _backfill_intake() -> None:
    """Wipes now count only if done on or after the day the asset came in. Before 0008 an asset's intake was the
    moment it was recorded, so a donation typed in days after it arrived, or an imported row with its wipe, would
    lose the wipe that made it ready. For assets that have not come in again since (no return, not found after a
    loss), the intake becomes the start of the donation's date, or, for an imported asset, of the day of the wipe
    recorded with it (the import's own rule now)."""
    bind = op.get_bind()
    when = aa.DateTimeUTC(timezone=True)
    asset = sa.table(
        "asset",
        sa.column("id", sa.BigInteger),
        sa.column("intake_at", when),
        sa.column("created_at", when),
        sa.column("donation_id", sa.BigInteger),
    )
    donation = sa.table("donation", sa.column("id", sa.BigInteger), sa.column("received_on", sa.Date))
    wipe = sa.table(
        "wipe_certificate",
        sa.column("asset_id", sa.BigInteger),
        sa.column("performed_on", sa.Date),
        sa.column("recorded_at", when),
    )
    event = sa.table(
        "asset_event",
        sa.column("asset_id", sa.BigInteger),
        sa.column("kind", sa.String),
        sa.column("from_status", sa.String),
        sa.column("to_status", sa.String),
    )
    came_in_again = sa.exists().where(
        event.c.asset_id == asset.c.id,
        event.c.kind == "transition",
        sa.or_(event.c.to_status == "returned", event.c.from_status.in_(["lost", "stolen"])),
    )
    rows = bind.execute(
        sa.select(asset.c.id, asset.c.intake_at, asset.c.created_at, donation.c.received_on)
        .select_from(asset.outerjoin(donation, donation.c.id == asset.c.donation_id))
        .where(~came_in_again)
    ).all()
    first_wipe = dict(
        bind.execute(sa.select(wipe.c.asset_id, sa.func.min(wipe.c.performed_on)).group_by(wipe.c.asset_id)).all()
    )
    first_recorded = dict(
        bind.execute(sa.select(wipe.c.asset_id, sa.func.min(wipe.c.recorded_at)).group_by(wipe.c.asset_id)).all()
    )
    for asset_id, intake_at, created_at, received_on in rows:
        day = received_on
        recorded = first_recorded.get(asset_id)
        if day is None and recorded is not None and _as_utc(recorded) - _as_utc(created_at) < timedelta(minutes=5):
            day = first_wipe[asset_id]  # imported with its wipe
        if day is None:
            continue
        start = datetime.combine(day, time.min).astimezone()
        if start < _as_utc(intake_at):
            bind.execute(asset.update().where(asset.c.id == asset_id).values(intake_at=start))


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def upgrade() -> None:
    _refuse_clashes(
        "SELECT group_concat(tag, ' / ') FROM asset WHERE serial_number IS NOT NULL "
        "GROUP BY lower(make), lower(serial_number) HAVING count(*) > 1"
        if op.get_bind().dialect.name == "sqlite"
        else "SELECT string_agg(tag, ' / ') FROM asset WHERE serial_number IS NOT NULL "
        "GROUP BY lower(make), lower(serial_number) HAVING count(*) > 1",
        "these assets have serial numbers that differ only in case",
    )
    _refuse_clashes(
        "SELECT min(certificate_reference) FROM wipe_certificate WHERE certificate_reference IS NOT NULL "
        "GROUP BY lower(certificate_reference) HAVING count(*) > 1",
        "these wipe certificate references are recorded more than once",
    )

    with op.batch_alter_table("asset", schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_constraint("uq_asset_make_serial", type_="unique")
        _make_key_recomputed(batch_op)
        batch_op.add_column(
            sa.Column(
                "serial_key", sa.String(length=100), sa.Computed("lower(serial_number)", persisted=True), nullable=True
            ),
            **_after("serial_number"),
        )
        batch_op.create_unique_constraint("uq_asset_make_serial", ["make_key", "serial_key"])

    with op.batch_alter_table("wipe_certificate", schema=None, recreate=_recreate()) as batch_op:
        batch_op.add_column(
            sa.Column(
                "certificate_key",
                sa.String(length=200),
                sa.Computed("lower(certificate_reference)", persisted=True),
                nullable=True,
            )
        )
        batch_op.create_unique_constraint("uq_wipe_certificate_certificate_key", ["certificate_key"])

    with op.batch_alter_table("loan_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("barred_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("barring_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("barred_by_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_loan_item_barred_by_id_user_account"), "user_account", ["barred_by_id"], ["id"]
        )

    with op.batch_alter_table("loan", schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_loan_status_known"), NEW_LOAN_STATUSES)
    _backfill_intake()
    # Loans closed with a lost or stolen item were recorded as returned: give them their own ending.
    for status in ("stolen", "lost"):
        op.execute(
            f"UPDATE loan SET status = '{status}' WHERE status = 'returned' AND EXISTS ("
            f"SELECT 1 FROM loan_item WHERE loan_item.loan_id = loan.id AND loan_item.outcome = '{status}')"
        )


def downgrade() -> None:
    op.execute("UPDATE loan SET status = 'returned' WHERE status IN ('lost', 'stolen')")
    with op.batch_alter_table("loan", schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_constraint(op.f("ck_loan_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_loan_status_known"), OLD_LOAN_STATUSES)

    with op.batch_alter_table("loan_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_loan_item_barred_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("barred_by_id")
        batch_op.drop_column("barring_reference")
        batch_op.drop_column("barred_on")

    with op.batch_alter_table("wipe_certificate", schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_constraint("uq_wipe_certificate_certificate_key", type_="unique")
        batch_op.drop_column("certificate_key")

    with op.batch_alter_table("asset", schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_constraint("uq_asset_make_serial", type_="unique")
        batch_op.drop_column("serial_key")
        _make_key_recomputed(batch_op)
        batch_op.create_unique_constraint("uq_asset_make_serial", ["make_key", "serial_number"])
