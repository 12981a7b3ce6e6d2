"""Every report, aggregated in SQL from what the actor may read (the domains' readable statements).

Loans are counted from `LoanRepository.get_readable_statement(actor)` and nominations from
`NominationRepository.get_readable_statement(actor)`, so a school's user only ever counts its own school's loans and
nominations. Only aggregates leave the database (and the one page of stuck assets); people are counted, never listed,
and every count of families or children passes through `suppress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.centres.models import Centre
from lending.core.errors import NotFound
from lending.core.pagination import ListParams, order_by
from lending.families.models import Nomination, NominationStatus
from lending.families.service import NominationRepository
from lending.inventory.models import NOT_DEVICES, Asset, AssetEvent, AssetKind, Donation, Donor, DonorKind, Status
from lending.loans.models import ItemOutcome, Loan, LoanItem, LoanStatus
from lending.loans.service import LoanRepository
from lending.reports.schemas import (
    AssetCount,
    Bar,
    DonationsReport,
    DonorFigures,
    DonorImpact,
    Durations,
    FunderReport,
    GroupBy,
    LoanFigures,
    LoanGroup,
    LoansReport,
    NominationFigures,
    Period,
    Pipeline,
    Reach,
    StuckAsset,
    Summary,
    suppress,
)
from lending.reports.sql import Dialect, between_days, months, one_decimal, spread
from lending.schools.models import School

# "Devices" are what a family uses; SIMs are counted apart and accessories not at all.
WAITING = (NominationStatus.submitted, NominationStatus.approved, NominationStatus.waitlisted)
# States an asset should move on from; on loan is watched by due dates, and the rest are where assets end.
STUCK_STATES = (Status.received, Status.in_refurbishment, Status.ready, Status.returned, Status.repair)
STUCK_SORTABLE = {"since": Asset.status_changed_at, "tag": Asset.tag, "status": Asset.status, "kind": Asset.kind}
# Loans whose end closes their length; a gift does not (the family keeps the device).
LENGTH_ENDS = (LoanStatus.returned, LoanStatus.lost, LoanStatus.stolen)
DUE_SOON_DAYS = 14
SIM_EXPIRY_DAYS = 30
NO_SCHOOL = "no school"
NO_DISTRICT = "unknown"
# Groups keyed by a row's id, their names looked up once per group (a loan keeps only the id, 0018).
NAMED_BY = {GroupBy.school: School, GroupBy.centre: Centre}


@dataclass
class _Group:
    label: str
    group_id: int | None = None
    issued: int = 0
    returned: int = 0
    families: int = 0
    children: int = 0

    def shown(self) -> LoanGroup:
        return LoanGroup(
            group=self.label,
            group_id=self.group_id,
            loans_issued=self.issued,
            loans_returned=self.returned,
            families=suppress(self.families),
            children=suppress(self.families, self.children),
        )


def _key(value: Any) -> Any:
    # Enum members (a kind) group by their text, so that a key from one query meets the same key from another.
    return getattr(value, "value", value)


class ReportService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> Dialect:
        return Dialect(self.session.get_bind().dialect.name)

    # --- building blocks -------------------------------------------------------------------------------------

    @staticmethod
    def _loans(actor: Actor, centre_id: int | None = None) -> Select[tuple[Loan]]:
        stmt = LoanRepository.get_readable_statement(actor)
        return stmt.where(Loan.centre_id == centre_id) if centre_id is not None else stmt

    @staticmethod
    def _only(stmt: Select[Any], *columns: Any) -> Select[Any]:
        """The readable statement's rows (its FROM and WHERE kept), answering `columns` instead."""
        return stmt.with_only_columns(*columns, maintain_column_froms=True)

    async def _one(self, stmt: Select[Any]) -> Any:
        return (await self.session.execute(stmt)).one()

    async def _families(self, loans: Select[Any]) -> tuple[int, int, int]:
        """How many `loans`, their distinct families, and those families' children (as many as the family had when
        lent to, the most of its loans here)."""
        per_family = (
            self._only(
                loans,
                Loan.family_id.label("family_id"),
                func.count().label("loans"),
                func.max(Loan.children).label("children"),
            )
            .group_by(Loan.family_id)
            .subquery()
        )
        count, families, children = await self._one(
            select(
                func.coalesce(func.sum(per_family.c.loans), 0),
                func.count(),
                func.coalesce(func.sum(per_family.c.children), 0),
            ).select_from(per_family)
        )
        return int(count), int(families), int(children)

    async def _loan_figures(self, actor: Actor, centre_id: int | None) -> LoanFigures:
        today = date.today()
        active = Loan.status == LoanStatus.active
        total, overdue, due = await self._one(
            self._only(
                self._loans(actor, centre_id).where(active),
                func.count(),
                func.count().filter(Loan.due_on < today),
                func.count().filter(Loan.due_on >= today, Loan.due_on <= today + timedelta(days=DUE_SOON_DAYS)),
            )
        )
        return LoanFigures(active=total, overdue=overdue, due_in_14_days=due)

    async def _reaches(
        self, actor: Actor, periods: Sequence[tuple[date, date] | None], centre_id: int | None
    ) -> list[Reach]:
        """Reach in each period (None: since the start).

        Per family: the children it had when lent to (the most of its loans then), and the devices and SIMs its loans
        lent, in an ordered pass over an index by family that holds every column (no join, no sort). PostgreSQL
        reads the loans once for every period, each figure with its period's FILTER (at 100,000 assets 70-100 ms,
        where a pass a period took 220). SQLite evaluates those filters more slowly than it reads the index again:
        there, a pass a period, its filter in the WHERE."""

        def within(moment: Any, period: tuple[date, date] | None) -> ColumnElement[bool]:
            return and_(*between_days(moment, *period)) if period else true()

        def only(aggregate: Any, condition: ColumnElement[bool] | None) -> Any:
            return aggregate if condition is None else aggregate.filter(condition)

        loans = self._loans(actor, centre_id)
        passes = [list(periods)] if self.dialect.postgres else [[period] for period in periods]
        family_figures: list[Any] = []
        for batch in passes:
            if len(batch) == 1:
                read = loans.where(within(self.dialect.unindexed(Loan.issued_at), batch[0]))
                conditions: list[ColumnElement[bool] | None] = [None]
            else:
                read = loans
                conditions = [within(Loan.issued_at, period) for period in batch]
            columns = [Loan.family_id.label("family_id")]
            for n, condition in enumerate(conditions):
                columns += [
                    only(func.count(), condition).label(f"loans{n}"),
                    only(func.max(Loan.children), condition).label(f"children{n}"),
                    only(func.sum(Loan.device_count), condition).label(f"devices{n}"),
                    only(func.sum(Loan.sim_count), condition).label(f"sims{n}"),
                ]
            per_family = self._only(read, *columns).group_by(Loan.family_id).subquery()
            figures = []
            for n in range(len(conditions)):
                figures += [
                    func.count().filter(per_family.c[f"loans{n}"] > 0),
                    *(
                        func.coalesce(func.sum(per_family.c[f"{name}{n}"]), 0)
                        for name in ("children", "devices", "sims")
                    ),
                ]
            row = await self._one(select(*figures).select_from(per_family))
            family_figures += [row[4 * n : 4 * n + 4] for n in range(len(conditions))]
        # A gift counts when it was given, whenever the loan began: the few gifted items, by their own index. The
        # join to their loans is only for a scope (a school's, a centre's); without one it would only cost time.
        gifted = select(*(func.count().filter(within(LoanItem.ended_at, p)) for p in periods)).select_from(LoanItem)
        if loans.whereclause is not None:
            gifted = gifted.join(Loan, Loan.id == LoanItem.loan_id).where(loans.whereclause)
        gifts = await self._one(
            gifted.join(Asset, Asset.id == LoanItem.asset_id).where(
                LoanItem.outcome == ItemOutcome.gifted, Asset.kind.not_in(NOT_DEVICES)
            )
        )
        reaches = []
        for n in range(len(periods)):
            families, children, devices, sims = (int(v) for v in family_figures[n])
            reaches.append(
                Reach(
                    families=suppress(families),
                    children=suppress(families, children),
                    devices_lent=devices,
                    sims_lent=sims,
                    devices_gifted=gifts[n],
                )
            )
        return reaches

    # --- summary ---------------------------------------------------------------------------------------------

    async def summary(self, actor: Actor, centre_id: int | None = None) -> Summary:
        today = date.today()
        now = datetime.now(UTC)
        assets = select(Asset.kind, Asset.status, func.count()).group_by(Asset.kind, Asset.status)
        if centre_id is not None:
            assets = assets.where(Asset.centre_id == centre_id)
        asset_rows = (await self.session.execute(assets.order_by(Asset.kind, Asset.status))).all()
        since_start, this_year = await self._reaches(actor, [None, (today.replace(month=1, day=1), today)], centre_id)

        waiting, oldest = await self._one(
            self._only(
                # Nominations alone: the readable statement's join to families would only slow the count.
                select(Nomination).where(*NominationRepository.readable_by(actor), Nomination.status.in_(WAITING)),
                func.count(),
                func.min(Nomination.submitted_at),
            )
        )
        sims = await self._one(
            self._only(self._loans(actor, centre_id), func.count(func.distinct(Asset.id)))
            .join(LoanItem, LoanItem.loan_id == Loan.id)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .where(
                Loan.status == LoanStatus.active,
                LoanItem.ended_at.is_(None),
                Asset.kind == AssetKind.sim,
                # Implied by the open loan item (the lifecycle moves a lent SIM to on_loan); said, so that the
                # (kind, status) index finds the SIMs out on loan rather than every SIM ever held.
                Asset.status == Status.on_loan,
                Asset.expires_on <= today + timedelta(days=SIM_EXPIRY_DAYS),
            )
        )
        return Summary(
            as_of=today,
            centre_id=centre_id,
            assets=[AssetCount(kind=kind, status=status, count=count) for kind, status, count in asset_rows],
            loans=await self._loan_figures(actor, centre_id),
            nominations=NominationFigures(
                waiting=waiting, oldest_wait_days=None if oldest is None else (now - _utc(oldest)).days
            ),
            sims_expiring_in_30_days=sims[0],
            since_start=since_start,
            this_year=this_year,
        )

    # --- loans -----------------------------------------------------------------------------------------------

    def _grouped(self, stmt: Select[Any], group_by: GroupBy, moment: Any) -> tuple[Select[Any], Any]:
        """`stmt` joined to what `group_by` needs, and the column keying a group. A loan keeps its centre, school and
        district (0018), so only kinds need a join (to the loan's items); names are looked up per group after."""
        if group_by is GroupBy.month:
            return stmt, self.dialect.month(moment)
        if group_by is GroupBy.school:
            return stmt, Loan.school_id
        if group_by is GroupBy.centre:
            return stmt, Loan.centre_id
        if group_by is GroupBy.postcode_district:
            return stmt, Loan.postcode_district
        stmt = stmt.join(LoanItem, LoanItem.loan_id == Loan.id).join(Asset, Asset.id == LoanItem.asset_id)
        return stmt, Asset.kind

    async def _names(self, group_by: GroupBy, keys: Sequence[Any]) -> dict[Any, str]:
        """The schools' or centres' names for the groups found: a lookup per group, not a join per loan."""
        model: Any = NAMED_BY.get(group_by)
        wanted = [key for key in keys if key is not None]
        if model is None or not wanted:
            return {}
        return dict(
            (await self.session.execute(select(model.id, model.name).where(model.id.in_(wanted)))).tuples().all()
        )

    @staticmethod
    def _loans_counted(group_by: GroupBy) -> Any:
        """A loan's rows in a group: one, except by kind, where the join to its items repeats it per item. Counting
        distinct ids only there spares the database a sort of every loan in the period."""
        return func.count(func.distinct(Loan.id)) if group_by is GroupBy.kind else func.count()

    async def _count_loans(self, stmt: Select[Any], group_by: GroupBy, moment: Any) -> list[Any]:
        joined, key = self._grouped(stmt, group_by, moment)
        query = self._only(joined, key, self._loans_counted(group_by)).group_by(key)
        return list((await self.session.execute(query)).all())

    async def _count_families(self, stmt: Select[Any], group_by: GroupBy) -> list[Any]:
        """Per group: its key, its loans, its distinct families and their children. Counted per (group, family)
        first: a loan has one family, so the loans add up per group without counting any twice."""
        joined, key = self._grouped(stmt, group_by, Loan.issued_at)
        per_family = (
            self._only(
                joined,
                key.label("k"),
                Loan.family_id.label("family_id"),
                self._loans_counted(group_by).label("n"),
                func.max(Loan.children).label("children"),
            )
            .group_by(key, Loan.family_id)
            .subquery()
        )
        query = (
            select(
                per_family.c.k,
                func.sum(per_family.c.n),
                func.count(),
                func.coalesce(func.sum(per_family.c.children), 0),
            )
            .select_from(per_family)
            .group_by(per_family.c.k)
        )
        return list((await self.session.execute(query)).all())

    @staticmethod
    def _label(group_by: GroupBy, key: Any, names: dict[Any, str]) -> str:
        if group_by in NAMED_BY:
            return names.get(key, str(key)) if key is not None else NO_SCHOOL
        return str(key) if key is not None else NO_DISTRICT

    async def _loan_groups(
        self, actor: Actor, period: Period, group_by: GroupBy, centre_id: int | None
    ) -> tuple[list[_Group], _Group]:
        loans = self._loans(actor, centre_id)
        issued = loans.where(*between_days(Loan.issued_at, period.from_, period.to))
        returned = loans.where(
            Loan.status == LoanStatus.returned, *between_days(Loan.closed_at, period.from_, period.to)
        )
        per_group = await self._count_families(issued, group_by)
        # A return counts in the month it came back.
        returns = await self._count_loans(returned, group_by, Loan.closed_at)
        names = await self._names(group_by, [_key(row[0]) for row in (*per_group, *returns)])
        groups: dict[Any, _Group] = {}
        if group_by is GroupBy.month:
            groups = {month: _Group(month) for month in months(period.from_, period.to)}

        def group(row: Any) -> _Group:
            key = _key(row[0])
            if key not in groups:
                groups[key] = _Group(self._label(group_by, key, names), key if group_by in NAMED_BY else None)
            return groups[key]

        for row in per_group:
            found = group(row)
            found.issued, found.families, found.children = (int(v) for v in row[-3:])
        for row in returns:
            group(row).returned = row[-1]

        total = _Group("total")
        total.issued, total.families, total.children = await self._families(issued)
        total.returned = (await self._one(self._only(returned, func.count())))[0]
        ordered = list(groups.values())
        if group_by is not GroupBy.month:
            ordered.sort(key=lambda g: (g.label in (NO_SCHOOL, NO_DISTRICT), -g.issued, g.label))
        return ordered, total

    async def loans(self, actor: Actor, period: Period, group_by: GroupBy, centre_id: int | None = None) -> LoansReport:
        groups, total = await self._loan_groups(actor, period, group_by, centre_id)
        return LoansReport(
            period=period,
            group_by=group_by,
            centre_id=centre_id,
            school_id=actor.school_id if actor.is_school else None,
            groups=[g.shown() for g in groups],
            total=total.shown(),
        )

    # --- pipeline --------------------------------------------------------------------------------------------

    async def _durations(self, values: Select[Any]) -> Durations:
        found = await spread(self.session, values)
        return Durations(count=found.count, median_days=one_decimal(found.median), p90_days=one_decimal(found.p90))

    async def pipeline(
        self, actor: Actor, period: Period, stuck_days: int, params: ListParams, centre_id: int | None = None
    ) -> Pipeline:
        days = self.dialect.days_between
        # Received to ready: each move to ready in the period, from when that asset had come in (received from a
        # donor, returned by a family, found), which the move itself keeps (AssetEvent.intake_at).
        refurbished = select(days(AssetEvent.occurred_at, AssetEvent.intake_at)).where(
            AssetEvent.to_status == Status.ready, *between_days(AssetEvent.occurred_at, period.from_, period.to)
        )
        if centre_id is not None:
            refurbished = refurbished.join(Asset, Asset.id == AssetEvent.asset_id).where(Asset.centre_id == centre_id)
        loans = self._loans(actor, centre_id)
        # From the loans alone: a loan keeps when its nomination was made (0018). Loans made without one are no wait.
        waited = self._only(
            loans.where(Loan.nominated_at.is_not(None), *between_days(Loan.issued_at, period.from_, period.to)),
            days(Loan.issued_at, Loan.nominated_at),
        )
        # A gift is no end of a loan's length: the family keeps the device. The ended statuses are named, not "not
        # gifted", so that each is a range of the (status, closed_at) index.
        lasted = self._only(
            loans.where(Loan.status.in_(LENGTH_ENDS), *between_days(Loan.closed_at, period.from_, period.to)),
            days(Loan.closed_at, Loan.issued_at),
        )

        now = datetime.now(UTC)
        stuck_where: list[ColumnElement[bool]] = [
            Asset.status.in_(STUCK_STATES),
            Asset.status_changed_at <= now - timedelta(days=stuck_days),
        ]
        if centre_id is not None:
            stuck_where.append(Asset.centre_id == centre_id)
        ordering = [*order_by(params.sort, STUCK_SORTABLE, "since"), Asset.id]
        stuck_rows = await self.session.scalars(
            select(Asset).where(*stuck_where).order_by(*ordering).limit(params.limit).offset(params.offset)
        )
        stuck_total = (await self._one(select(func.count()).select_from(Asset).where(*stuck_where)))[0]
        return Pipeline(
            period=period,
            centre_id=centre_id,
            stuck_days=stuck_days,
            received_to_ready=await self._durations(refurbished),
            nomination_to_loan=await self._durations(waited),
            loan_length=await self._durations(lasted),
            stuck=[
                StuckAsset(
                    tag=a.tag,
                    kind=a.kind,
                    status=a.status,
                    centre_id=a.centre_id,
                    since=a.status_changed_at,
                    days=(now - _utc(a.status_changed_at)).days,
                )
                for a in stuck_rows
            ],
            stuck_total=stuck_total,
        )

    async def stuck_assets(self, actor: Actor, stuck_days: int, centre_id: int | None = None) -> list[StuckAsset]:
        """Every stuck asset (the pipeline's list unpaged), for its CSV."""
        period = period_of(date.today(), date.today())
        everything = ListParams(limit=10**9, offset=0)
        return (await self.pipeline(actor, period, stuck_days, everything, centre_id)).stuck

    # --- donations and donors --------------------------------------------------------------------------------

    async def donations(self, actor: Actor, period: Period) -> DonationsReport:
        lent = select(LoanItem.id).where(LoanItem.asset_id == Asset.id).exists()
        query = (
            select(
                Donor.id,
                Donor.name,
                Donor.kind,
                func.count(func.distinct(Donation.id)),
                func.count(Asset.id),
                func.count(Asset.id).filter(lent),
                func.count(Asset.id).filter(Asset.status == Status.gifted),
                func.count(Asset.id).filter(Asset.status == Status.retired),
            )
            .join(Donation, Donation.donor_id == Donor.id)
            .outerjoin(Asset, Asset.donation_id == Donation.id)
            .where(Donation.received_on >= period.from_, Donation.received_on <= period.to)
            .group_by(Donor.id, Donor.name, Donor.kind)
        )
        donors = [
            DonorFigures(
                donor_id=row[0],
                name=row[1],
                kind=row[2],
                donations=row[3],
                assets_donated=row[4],
                lent=row[5],
                gifted=row[6],
                retired=row[7],
            )
            for row in (await self.session.execute(query)).all()
        ]
        donors.sort(key=lambda d: (-d.assets_donated, d.name, d.donor_id))
        total = DonorFigures(
            donor_id=0,
            name="total",
            kind=DonorKind.other,
            donations=sum(d.donations for d in donors),
            assets_donated=sum(d.assets_donated for d in donors),
            lent=sum(d.lent for d in donors),
            gifted=sum(d.gifted for d in donors),
            retired=sum(d.retired for d in donors),
        )
        return DonationsReport(period=period, donors=donors, total=total)

    async def donor_impact(self, actor: Actor, donor_id: int, period: Period | None = None) -> DonorImpact:
        donor = await self.session.get(Donor, donor_id)
        if donor is None:
            raise NotFound(f"No donor {donor_id}.")
        given = (
            select(Asset.kind, func.count())
            .join(Donation, Donation.id == Asset.donation_id)
            .where(Donation.donor_id == donor_id)
            .group_by(Asset.kind)
            .order_by(Asset.kind)
        )
        if period is not None:
            given = given.where(Donation.received_on >= period.from_, Donation.received_on <= period.to)
        # The loans that carried at least one of the donor's assets, issued in the period.
        loans = self._loans(actor).where(
            select(LoanItem.id)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .join(Donation, Donation.id == Asset.donation_id)
            .where(LoanItem.loan_id == Loan.id, Donation.donor_id == donor_id)
            .exists()
        )
        if period is not None:
            loans = loans.where(*between_days(Loan.issued_at, period.from_, period.to))
        reached = await self._one(
            self._only(loans, func.count(func.distinct(Asset.id)))
            .join(LoanItem, LoanItem.loan_id == Loan.id)
            .join(Asset, Asset.id == LoanItem.asset_id)
            .join(Donation, Donation.id == Asset.donation_id)
            .where(Donation.donor_id == donor_id, Asset.kind.not_in(NOT_DEVICES))
        )
        _, families, children = await self._families(loans)
        districts = await self._families_by(loans, GroupBy.postcode_district)
        schools = await self._families_by(loans, GroupBy.school)
        month = self.dialect.month(Loan.issued_at)
        per_month = dict(
            (await self.session.execute(self._only(loans, month, func.count()).group_by(month))).tuples().all()
        )
        if period is not None:
            span = months(period.from_, period.to)
        elif per_month:
            first = min(per_month)
            span = months(date(int(first[:4]), int(first[5:7]), 1), date.today())
        else:
            span = []
        return DonorImpact(
            donor_id=donor.id,
            donor_name=donor.name,
            period=period,
            given=[Bar(label=str(kind), value=count) for kind, count in (await self.session.execute(given)).all()],
            devices_reached_families=reached[0],
            families=suppress(families),
            children=suppress(families, children),
            districts=districts,
            schools=schools,
            loans_by_month=[Bar(label=m, value=per_month.get(m, 0)) for m in span],
        )

    async def _families_by(self, loans: Select[Any], group_by: GroupBy) -> list[Bar]:
        """Families reached per school or postcode district, the most first; "no school" or "unknown" last."""
        rows = await self._count_families(loans, group_by)
        names = await self._names(group_by, [row[0] for row in rows])
        bars: list[tuple[int, Bar]] = []
        for row in rows:
            families = int(row[-2])
            bars.append((families, Bar(label=self._label(group_by, row[0], names), value=suppress(families))))
        bars.sort(key=lambda pair: (pair[1].label in (NO_SCHOOL, NO_DISTRICT), -pair[0], pair[1].label))
        return [bar for _, bar in bars]

    async def funder(self, actor: Actor, period: Period) -> FunderReport:
        by_month, _ = await self._loan_groups(actor, period, GroupBy.month, None)
        districts, _ = await self._loan_groups(actor, period, GroupBy.postcode_district, None)
        statuses = dict(
            (await self.session.execute(select(Asset.status, func.count()).group_by(Asset.status))).tuples().all()
        )
        return FunderReport(
            period=period,
            reach=(await self._reaches(actor, [(period.from_, period.to)], None))[0],
            loans=await self._loan_figures(actor, None),
            loans_by_month=[g.shown() for g in by_month],
            pipeline=[Bar(label=str(s), value=statuses[s]) for s in Status if statuses.get(s)],
            districts=[g.shown() for g in districts],
        )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_of(first: date, last: date) -> Period:
    """A Period from its two days (its field `from` is a Python keyword)."""
    return Period.model_validate({"from": first, "to": last})
