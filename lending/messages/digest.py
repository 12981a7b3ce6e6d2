"""The staff's daily digest: what needs chasing today, from the same figures and lists as the dashboard.

An email leaves the charity's systems, so the digest names loans, tags and nominations by their references and
never a family: the figures are the reports' summary (lending.reports.service), the lists the dashboard's and the
staff pages' (LoanService's overdue and due-soon filters, its SIMs to bar, the waiting list oldest first), each
read with a staff actor, so the digest can show nothing the staff pages would not. In English: it is for staff.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.accounts.models import Role
from lending.centres.models import Centre
from lending.config import Settings
from lending.core.pagination import ListParams
from lending.families.models import NominationStatus
from lending.families.service import FamilyService
from lending.inventory.service import AssetService
from lending.loans.service import LoanFilters, LoanService, LoanView
from lending.reports.service import DUE_SOON_DAYS, SIM_EXPIRY_DAYS, WAITING, ReportService
from lending.schools.models import School

# Lines per list: the digest points at what to chase; the staff pages hold the rest.
LIST_SIZE = 10


def system_actor(label: str = "system:digest") -> Actor:
    """Reads as staff: the digest is written for staff and may show what the staff pages show, no more."""
    return Actor(id=0, role=Role.staff, school_id=None, home_centre_id=None, label=label)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _more(total: int, shown: int, link: str) -> list[str]:
    return [f"  … and {total - shown} more: {link}"] if total > shown else []


async def write_digest(session: AsyncSession, settings: Settings, as_of: date) -> tuple[str, str, dict[str, Any]]:
    """The digest's subject, body and its figures (kept with the message as what it covered)."""
    actor = system_actor()
    summary = await ReportService(session).summary(actor)
    loans = LoanService(
        session,
        AssetService(session, settings.tag_prefixes),
        FamilyService(session, settings.priority_weights),
        settings.loan_days,
    )
    base = (settings.public_url or "").rstrip("/")
    centres = dict((await session.execute(select(Centre.id, Centre.name))).tuples().all())

    def loan_line(view: LoanView, today: date) -> str:
        loan = view.loan
        out = [i for i, _ in view.items if i.ended_at is None]
        days = (today - loan.due_on).days
        when = f"{days} day{'s' if days != 1 else ''} late" if days > 0 else f"due {_day(loan.due_on)}"
        return (
            f"  {loan.reference} · {centres.get(loan.centre_id, '')} · {len(out)} item{'s' if len(out) != 1 else ''}"
            f" · {when}"
        )

    today = date.today()
    lines = [f"{settings.org_name}: what needs chasing, {_day(as_of)}.", ""]
    overdue, overdue_total = await loans.list_loans(
        ListParams(limit=LIST_SIZE, sort="due_on"), LoanFilters(overdue=True)
    )
    lines.append(f"Overdue loans: {summary.loans.overdue}")
    lines += [loan_line(v, today) for v in await loans.views(overdue)]
    lines += _more(overdue_total, len(overdue), f"{base}/staff/loans?overdue=true")
    soon, soon_total = await loans.list_loans(
        ListParams(limit=LIST_SIZE, sort="due_on"), LoanFilters(due_within_days=DUE_SOON_DAYS)
    )
    lines += ["", f"Due back within {DUE_SOON_DAYS} days: {summary.loans.due_in_14_days}"]
    lines += [loan_line(v, today) for v in await loans.views(soon)]
    lines += _more(soon_total, len(soon), f"{base}/staff/loans?due_within_days={DUE_SOON_DAYS}")
    to_bar, to_bar_total = await loans.sims_to_bar(ListParams(limit=LIST_SIZE))
    lines += ["", f"Lost or stolen SIMs to bar with their network: {to_bar_total}"]
    for barring in to_bar:
        reported = barring.item.ended_at.date() if barring.item.ended_at else None
        lines.append(
            f"  {barring.asset.tag} · {barring.asset.network or 'network unknown'} · {barring.loan.reference}"
            + (f" · reported {_day(reported)}" if reported else "")
        )
    lines += _more(to_bar_total, len(to_bar), f"{base}/staff/sims")
    lines += ["", f"SIM plans on loan ending within {SIM_EXPIRY_DAYS} days: {summary.sims_expiring_in_30_days}"]
    waiting, waiting_total = await FamilyService(session, settings.priority_weights).list_nominations(
        ListParams(limit=LIST_SIZE, sort="submitted_at"), actor, statuses=list(WAITING)
    )
    schools = dict(
        (
            await session.execute(
                select(School.id, School.name).where(School.id.in_({s.nomination.school_id for s in waiting}))
            )
        )
        .tuples()
        .all()
    )
    oldest = summary.nominations.oldest_wait_days
    lines += [
        "",
        f"Nominations waiting: {summary.nominations.waiting}"
        + (f" (the oldest for {oldest} days)" if oldest is not None else ""),
    ]
    now = datetime.now(UTC)
    for scored in waiting:
        nomination = scored.nomination
        submitted = (
            nomination.submitted_at if nomination.submitted_at.tzinfo else nomination.submitted_at.replace(tzinfo=UTC)
        )
        status = NominationStatus(nomination.status).value
        lines.append(
            f"  Nomination {nomination.id} · {schools.get(nomination.school_id, '')} · {status}"
            f" · waiting {(now - submitted).days} days · priority {scored.priority}"
            + (" · urgent" if nomination.urgency == "urgent" else "")
        )
    lines += _more(waiting_total, len(waiting), f"{base}/staff/waiting-list")
    if base:
        lines += ["", f"The dashboard: {base}/staff"]
    figures = {
        "overdue": summary.loans.overdue,
        "due_soon": summary.loans.due_in_14_days,
        "sims_to_bar": to_bar_total,
        "sims_ending": summary.sims_expiring_in_30_days,
        "nominations_waiting": summary.nominations.waiting,
    }
    subject = (
        f"{settings.org_name} daily digest, {_day(as_of)}: {summary.loans.overdue} overdue, "
        f"{to_bar_total} SIM{'s' if to_bar_total != 1 else ''} to bar"
    )
    return subject, "\n".join(lines), figures
