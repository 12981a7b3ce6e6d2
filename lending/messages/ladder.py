"""The reminder ladder, in one place: on a given day, which family is due which reminder, item by item.

A loan's items are reminded on the days `settings.reminder_days` names, counted from the loan's due date (negative:
before it; 0: on it; positive: overdue), and a SIM on loan `settings.sim_expiry_reminder_days` before its plan ends.
The ladder answers for one as-of date and never looks at what was sent: the outbox's idempotency key (family,
channel, date) is what makes a day's reminders go once.

Each item is one line of the message, a msgid of lending/i18n/locale/lending.pot in the family's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending import i18n
from lending.centres.models import Centre
from lending.families.models import Family
from lending.inventory.models import Asset, AssetKind
from lending.loans.models import Loan, LoanItem, LoanStatus

# The words for a kind of item, as lending.pot has them (a phone's is the agreement's "Phone" label).
KIND_WORDS = {
    AssetKind.laptop: "Laptop",
    AssetKind.chromebook: "Chromebook",
    AssetKind.desktop: "Desktop",
    AssetKind.tablet: "Tablet",
    AssetKind.phone: "Phone",
    AssetKind.hotspot: "Hotspot",
    AssetKind.sim: "SIM",
    AssetKind.accessory: "Accessory",
}

BEFORE = "{item} {tag} is due back on {date}."
TODAY = "{item} {tag} is due back today."
OVERDUE = "{item} {tag} was due back on {date}. Please return it or call us to agree a new date."
SIM_ENDS = "The data SIM {tag} stops working on {date}."
EXTENDED = "{item} {tag} is now due back on {date}."


@dataclass(frozen=True)
class DueItem:
    """One line of a message: an item of a loan at a step of the ladder."""

    loan_id: int
    centre_id: int
    tag: str
    kind: AssetKind
    # "due-7", "due", "due+14" (days from the due date), "sim-14" (days before the plan ends) or "extended".
    step: str
    # The date the line names: the due date, or the day the SIM stops.
    day: date

    @property
    def order(self) -> tuple[int, str, str]:
        # The most pressing first: overdue, then due, then SIMs ending, each in tag order.
        if self.step.startswith("due+"):
            return (0, self.day.isoformat(), self.tag)
        if self.step.startswith("sim"):
            return (2, self.day.isoformat(), self.tag)
        return (1, self.day.isoformat(), self.tag)

    def line(self, language: str) -> str:
        item = i18n.gettext(language, KIND_WORDS.get(AssetKind(self.kind), "Item"))
        when = i18n.format_date(self.day, language)
        if self.step.startswith("sim"):
            return i18n.gettext(language, SIM_ENDS, tag=self.tag, date=when)
        if self.step == "extended":
            return i18n.gettext(language, EXTENDED, item=item, tag=self.tag, date=when)
        if self.step == "due":
            return i18n.gettext(language, TODAY, item=item, tag=self.tag)
        if self.step.startswith("due+"):
            return i18n.gettext(language, OVERDUE, item=item, tag=self.tag, date=when)
        return i18n.gettext(language, BEFORE, item=item, tag=self.tag, date=when)

    def record(self) -> dict[str, object]:
        """What the outbox keeps of the line: enough to say what a message covered, nothing about the family."""
        return {"loan_id": self.loan_id, "tag": self.tag, "step": self.step, "day": self.day.isoformat()}


@dataclass
class FamilyDue:
    """Everything one family is due on the day: one message per channel names all of it."""

    family: Family
    items: list[DueItem] = field(default_factory=list)
    centres: list[str] = field(default_factory=list)

    def lines(self, language: str) -> list[str]:
        return [item.line(language) for item in sorted(self.items, key=lambda i: i.order)]


def step_of(days_from_due: int) -> str:
    if days_from_due == 0:
        return "due"
    return f"due{days_from_due:+d}"


async def due(
    session: AsyncSession, as_of: date, reminder_days: Sequence[int], sim_expiry_days: int
) -> list[FamilyDue]:
    """Every family with something due on `as_of`, its items in the order the message names them.

    Only items still out on active loans count (an item brought back is never reminded), and only families that
    are still families: not erased, not merged into another record.
    """
    by_due_date = {as_of - timedelta(days=d): d for d in sorted(set(reminder_days))}
    items: list[tuple[int, DueItem]] = []
    if by_due_date:
        rows = await session.execute(
            select(Loan.family_id, Loan.id, Loan.centre_id, Loan.due_on, Asset.tag, Asset.kind)
            .join(LoanItem, LoanItem.loan_id == Loan.id)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .where(
                Loan.status == LoanStatus.active,
                LoanItem.ended_at.is_(None),
                Loan.due_on.in_(list(by_due_date)),
            )
        )
        for family_id, loan_id, centre_id, due_on, tag, kind in rows.all():
            items.append((family_id, DueItem(loan_id, centre_id, tag, kind, step_of(by_due_date[due_on]), due_on)))
    ends_on = as_of + timedelta(days=sim_expiry_days)
    rows = await session.execute(
        select(Loan.family_id, Loan.id, Loan.centre_id, Asset.tag, Asset.kind)
        .join(LoanItem, LoanItem.loan_id == Loan.id)
        .join(Asset, Asset.id == LoanItem.asset_id)
        .where(
            Loan.status == LoanStatus.active,
            LoanItem.ended_at.is_(None),
            Asset.kind == AssetKind.sim,
            Asset.expires_on == ends_on,
        )
    )
    for family_id, loan_id, centre_id, tag, kind in rows.all():
        items.append((family_id, DueItem(loan_id, centre_id, tag, kind, f"sim-{sim_expiry_days}", ends_on)))
    return await group(session, items)


async def group(session: AsyncSession, items: Sequence[tuple[int, DueItem]]) -> list[FamilyDue]:
    """Items by family (families in id order), with the names of the centres they came from."""
    if not items:
        return []
    family_ids = sorted({family_id for family_id, _ in items})
    families = {
        f.id: f
        for f in await session.scalars(
            select(Family).where(Family.id.in_(family_ids), Family.erased_at.is_(None), Family.merged_into_id.is_(None))
        )
    }
    centre_names = dict(
        (await session.execute(select(Centre.id, Centre.name).where(Centre.id.in_({i.centre_id for _, i in items}))))
        .tuples()
        .all()
    )
    out: dict[int, FamilyDue] = {}
    for family_id, item in items:
        if family_id not in families:
            continue
        entry = out.setdefault(family_id, FamilyDue(families[family_id]))
        entry.items.append(item)
        name = centre_names.get(item.centre_id, "")
        if name and name not in entry.centres:
            entry.centres.append(name)
    for entry in out.values():
        entry.items.sort(key=lambda i: i.order)
    return [out[family_id] for family_id in sorted(out)]
