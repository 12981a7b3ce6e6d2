"""Families and nominations: who needs a device, scoped to who may see them, in priority order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from lending.access import Actor
from lending.audit.models import AuditEntry
from lending.audit.recorder import actor_of, json_safe, record, scrub_audit
from lending.core.db import upsert_insert
from lending.core.errors import Conflict, Invalid, NotFound
from lending.core.pagination import ListParams, list_page, order_by
from lending.core.validators import postcode_district
from lending.families.models import (
    FAMILY_PERSONAL,
    DuplicateStatus,
    Family,
    ImdPostcode,
    Nomination,
    NominationEvent,
    NominationStatus,
    PossibleDuplicate,
    Urgency,
)
from lending.families.priority import Factor, Priority, effective_weights
from lending.families.records import registered
from lending.families.schemas import DecisionIn, FamilyIn, FamilyOut, MergeIn, NominationIn
from lending.schools.models import School

NS = NominationStatus
OPEN = frozenset({NS.submitted, NS.approved, NS.waitlisted})
# Staff decisions, and which statuses each may be taken from.
DECISIONS: dict[str, tuple[NominationStatus, frozenset[NominationStatus]]] = {
    "approve": (NS.approved, frozenset({NS.submitted, NS.waitlisted})),
    "waitlist": (NS.waitlisted, frozenset({NS.submitted, NS.approved})),
    "decline": (NS.declined, frozenset({NS.submitted, NS.waitlisted, NS.approved})),
}

FAMILY_SORTABLE = {"lead_name": Family.lead_name, "created_at": Family.created_at, "updated_at": Family.updated_at}
NOMINATION_SORTABLE = {
    "submitted_at": Nomination.submitted_at,
    "status": Nomination.status,
    "urgency": Nomination.urgency,
}


class FamilyRepository(SQLAlchemyAsyncRepository[Family]):
    model_type = Family

    @staticmethod
    def readable_by(actor: Actor) -> list[Any]:
        """Where-clauses narrowing families to what `actor` may read: a school sees only those it nominated."""
        if not actor.is_school:
            return []
        # A nomination staff merged in from a duplicate record grants nothing: a school never gains access to a
        # family through what it typed.
        return [
            exists().where(
                Nomination.family_id == Family.id,
                Nomination.school_id == actor.school_id,
                Nomination.merged_from_family_id.is_(None),
            )
        ]

    def get_readable_statement(self, actor: Actor) -> Select[tuple[Family]]:
        """Every list, lookup, update and export of families starts here, so none can forget the school's scope."""
        return select(Family).where(*self.readable_by(actor))


class NominationRepository(SQLAlchemyAsyncRepository[Nomination]):
    model_type = Nomination

    @staticmethod
    def readable_by(actor: Actor) -> list[Any]:
        """Where-clauses narrowing nominations to what `actor` may read: a school only its own nominations."""
        return [Nomination.school_id == actor.school_id] if actor.is_school else []

    @classmethod
    def get_readable_statement(cls, actor: Actor) -> Select[tuple[Nomination, Family]]:
        """Nominations with their family, narrowed to what `actor` may read."""
        return select(Nomination, Family).join(Family, Family.id == Nomination.family_id).where(*cls.readable_by(actor))


@dataclass
class DeskNomination:
    """An approved nomination as the desk lends against it: with its family and the school that made it."""

    nomination: Nomination
    family: Family
    school: School


@dataclass
class Scored:
    nomination: Nomination
    priority: int
    breakdown: list[Factor]


@dataclass
class DuplicatePair:
    duplicate: PossibleDuplicate
    family: Family
    held_family: Family
    nomination: Nomination | None


log = logging.getLogger("lending.families")
DUPLICATE_SORTABLE = {"created_at": PossibleDuplicate.created_at, "status": PossibleDuplicate.status}


class FamilyService:
    def __init__(self, session: AsyncSession, weights: dict[str, int]) -> None:
        self.session = session
        self.weights = effective_weights(weights)
        self.families = FamilyRepository(session=session)
        self.nominations = NominationRepository(session=session)

    # --- families ------------------------------------------------------------------------------------------

    async def get_family(self, family_id: int, actor: Actor) -> Family:
        stmt = self.families.get_readable_statement(actor).where(Family.id == family_id)
        family = (await self.session.scalars(stmt)).one_or_none()
        if family is None:
            # The same answer whether it does not exist or belongs to another school.
            raise NotFound(f"No family with id {family_id}.")
        return family

    async def list_families(
        self, params: ListParams, actor: Actor, *, q: str | None = None, postcode_district: str | None = None
    ) -> tuple[list[Family], int]:
        where: list[Any] = []
        if q:
            like = f"%{q.strip().lower()}%"
            digits = "".join(ch for ch in q if ch.isdigit()).lstrip("0")
            clauses = [Family.name_key.like(like), func.lower(Family.postcode).like(like)]
            if len(digits) >= 4:
                clauses.append(Family.phone.like(f"%{digits}%"))
            where.append(or_(*clauses))
        if postcode_district:
            where.append(Family.postcode_district == postcode_district.strip().upper())
        return await list_page(
            self.families,
            params,
            *where,
            sortable=FAMILY_SORTABLE,
            default_sort="lead_name",
            statement=self.families.get_readable_statement(actor),
        )

    async def find_duplicate(
        self, phone: str | None, postcode: str, name: str, *, except_id: int | None = None, where: Sequence[Any] = ()
    ) -> Family | None:
        """The oldest family held (among `where`) with the same phone, or the same postcode and name."""
        match = [and_(Family.postcode == postcode, Family.name_key == name.strip().lower())]
        if phone:
            match.append(Family.phone == phone)
        stmt = select(Family).where(or_(*match), Family.erased_at.is_(None), *where).order_by(Family.id).limit(1)
        if except_id is not None:
            stmt = stmt.where(Family.id != except_id)
        return (await self.session.scalars(stmt)).one_or_none()

    @staticmethod
    def _matched_on(held: Family, phone: str | None) -> str:
        return "phone" if phone and held.phone == phone else "name_postcode"

    async def imd_for(self, postcode: str | None) -> int | None:
        if not postcode:
            return None
        return await self.session.scalar(select(ImdPostcode.imd_decile).where(ImdPostcode.postcode == postcode))

    async def _new_family(self, data: FamilyIn) -> Family:
        if data.consent_given_on > date.today():
            raise Invalid.field("consent_given_on", "cannot be in the future")
        if data.school_age_children > data.children:
            raise Invalid.field("school_age_children", "cannot be more than children")
        actor_id, _ = actor_of(self.session)
        now = datetime.now(UTC)
        values = data.model_dump()
        imd, from_lookup = values.pop("imd_decile"), False
        if imd is None:
            imd = await self.imd_for(data.postcode)
            from_lookup = imd is not None
        family = Family(
            **values,
            name_key=data.lead_name.lower(),
            postcode_district=postcode_district(data.postcode),
            imd_decile=imd,
            imd_from_lookup=from_lookup,
            consent_recorded_by_id=actor_id,
            consent_recorded_at=now,
        )
        self.session.add(family)
        await self.session.flush()
        return family

    async def create_family(self, data: FamilyIn) -> Family:
        """Staff add a family directly; a likely duplicate is a 409 pointing at the one held."""
        existing = await self.find_duplicate(data.phone, data.postcode, data.lead_name)
        if existing is not None:
            raise Conflict(
                f"This family looks like one already held (id {existing.id}): same phone, or same postcode and name.",
                existing_id=existing.id,
            )
        return await self._new_family(data)

    async def update_family(self, family_id: int, actor: Actor, changes: dict[str, Any]) -> Family:
        family = await self.get_family(family_id, actor)
        if family.merged_into_id is not None:
            raise Conflict(f"Family {family_id} was merged into family {family.merged_into_id}; edit that one.")
        if family.erased_at is not None:
            raise Conflict(f"Family {family_id} has been erased.")
        merged_children = changes.get("children") or family.children
        merged_school_age = changes.get("school_age_children")
        if merged_school_age is None:
            merged_school_age = family.school_age_children
        if merged_school_age > merged_children:
            raise Invalid.field("school_age_children", "cannot be more than children")
        flag_as_duplicate_of: Family | None = None
        if "phone" in changes or "postcode" in changes or "lead_name" in changes:
            identity = (
                changes.get("phone", family.phone),
                changes.get("postcode") or family.postcode or "",
                changes.get("lead_name") or family.lead_name,
            )
            # A school may be told only of a clash with a family it already sees; any other match is flagged for
            # staff and the edit is answered exactly as one that matched nothing.
            duplicate = await self.find_duplicate(
                *identity, except_id=family.id, where=self.families.readable_by(actor)
            )
            if duplicate is not None:
                raise Conflict(
                    f"That would make this family a duplicate of family {duplicate.id}.", existing_id=duplicate.id
                )
            if actor.is_school:
                flag_as_duplicate_of = await self.find_duplicate(*identity, except_id=family.id)
        for key, value in changes.items():
            if value is None and key not in {"phone", "email", "imd_decile"}:
                continue
            setattr(family, key, value)
        if changes.get("lead_name"):
            family.name_key = family.lead_name.lower()
        if changes.get("postcode"):
            family.postcode_district = postcode_district(changes["postcode"])
            if "imd_decile" not in changes:
                looked_up = await self.imd_for(family.postcode)
                family.imd_decile, family.imd_from_lookup = looked_up, looked_up is not None
        if "imd_decile" in changes:
            family.imd_from_lookup = False
        if flag_as_duplicate_of is not None:
            await self._flag(family, flag_as_duplicate_of, None, only_if_new_pair=True)
        await self.session.flush()
        return family

    async def _flag(
        self, family: Family, held: Family, nomination: Nomination | None, *, only_if_new_pair: bool = False
    ) -> None:
        """Hold `family` (a school's record) as a possible duplicate of `held`, for staff to merge or keep apart."""
        if only_if_new_pair:
            pair = or_(
                and_(PossibleDuplicate.family_id == family.id, PossibleDuplicate.held_family_id == held.id),
                and_(PossibleDuplicate.family_id == held.id, PossibleDuplicate.held_family_id == family.id),
            )
            # Staff already have this pair in front of them, or decided to keep the two apart.
            if (
                await self.session.scalar(
                    select(PossibleDuplicate.id)
                    .where(
                        pair,
                        PossibleDuplicate.status.in_([DuplicateStatus.open, DuplicateStatus.kept_apart]),
                    )
                    .limit(1)
                )
                is not None
            ):
                return
        actor_id, _ = actor_of(self.session)
        self.session.add(
            PossibleDuplicate(
                family_id=family.id,
                held_family_id=held.id,
                nomination_id=nomination.id if nomination else None,
                matched_on=self._matched_on(held, family.phone),
                status=DuplicateStatus.open,
                raised_by_id=actor_id,
            )
        )

    # --- nominations ---------------------------------------------------------------------------------------

    async def scored(self, nomination: Nomination, now: datetime | None = None) -> Scored:
        """One nomination with its score and breakdown, as the database computes them for the waiting list."""
        rank = Priority(self.weights, now or datetime.now(UTC))
        stmt = (
            select(Family, *rank.columns())
            .select_from(Nomination)
            .join(Family, Family.id == Nomination.family_id)
            .where(Nomination.id == nomination.id)
        )
        row = (await self.session.execute(stmt)).one()
        return Scored(nomination, *rank.breakdown(row.Family, row._mapping))

    def _event(self, nomination: Nomination, action: str, before: str | None, note: str = "") -> None:
        actor_id, label = actor_of(self.session)
        self.session.add(
            NominationEvent(
                nomination_id=nomination.id,
                occurred_at=datetime.now(UTC),
                actor_id=actor_id,
                actor_label=label,
                action=action,
                from_status=before,
                to_status=nomination.status,
                note=note,
            )
        )

    async def nominate(self, data: NominationIn, actor: Actor) -> Scored:
        if data.laptops + data.tablets + data.sims == 0:
            raise Invalid.field("laptops", "ask for at least one laptop, tablet or SIM")
        if (data.family_id is None) == (data.family is None):
            raise Invalid.field("family_id", "give either family_id or a new family, not both or neither")
        if actor.is_school:
            if data.school_id not in (None, actor.school_id):
                raise Invalid.field("school_id", "a school user nominates for its own school only")
            school_id = actor.school_id
        else:
            if data.school_id is None:
                raise Invalid.field("school_id", "which school is nominating this family?")
            school_id = data.school_id
        school = await self.session.get(School, school_id)
        if school is None or not school.is_active:
            raise Invalid.field("school_id", f"no active school with id {school_id}")

        held: Family | None = None
        if data.family_id is not None:
            family = await self.get_family(data.family_id, actor)
        else:
            assert data.family is not None
            identity = (data.family.phone, data.family.postcode, data.family.lead_name)
            if not actor.is_school:
                existing = await self.find_duplicate(*identity)
                if existing is not None:
                    raise Conflict(
                        f"This family looks like one already held (id {existing.id}); nominate it by family_id.",
                        existing_id=existing.id,
                    )
                family = await self._new_family(data.family)
            elif (own := await self.find_duplicate(*identity, where=self.families.readable_by(actor))) is not None:
                # A family this school already sees: nothing is revealed by nominating it again.
                family = own
            else:
                # A match elsewhere is never linked: the school gets its own record of what it typed, answered
                # exactly as if nothing matched, and staff decide whether the two are one family.
                held = await self.find_duplicate(*identity)
                family = await self._new_family(data.family)
        if family.erased_at is not None:
            raise Conflict(f"Family {family.id} has been erased; it cannot be nominated.")
        open_one = await self.session.scalar(
            select(Nomination.id).where(
                Nomination.family_id == family.id,
                Nomination.school_id == school_id,
                Nomination.status.in_(list(OPEN)),
            )
        )
        if open_one is not None:
            raise Conflict(
                f"This school already has an open nomination for this family (id {open_one}).", existing_id=open_one
            )
        actor_id, _ = actor_of(self.session)
        now = datetime.now(UTC)
        nomination = Nomination(
            family_id=family.id,
            school_id=school_id,
            laptops=data.laptops,
            tablets=data.tablets,
            sims=data.sims,
            reason=data.reason,
            urgency=data.urgency,
            status=NS.submitted,
            submitted_at=now,
            submitted_by_id=actor_id,
        )
        self.session.add(nomination)
        await self.session.flush()
        self._event(nomination, "submitted", None, data.reason)
        if held is not None:
            await self._flag(family, held, nomination)
        await self.session.flush()
        return await self.scored(nomination, now)

    async def get_nomination(self, nomination_id: int, actor: Actor) -> tuple[Nomination, Family]:
        stmt = self.nominations.get_readable_statement(actor).where(Nomination.id == nomination_id)
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None:
            raise NotFound(f"No nomination with id {nomination_id}.")
        return row[0], row[1]

    async def families_of(self, nominations: Sequence[Nomination], actor: Actor) -> dict[int, Family]:
        """The families of a page of nominations in one query, narrowed to what `actor` may read."""
        ids = {n.family_id for n in nominations}
        if not ids:
            return {}
        stmt = self.families.get_readable_statement(actor).where(Family.id.in_(ids))
        return {f.id: f for f in (await self.session.scalars(stmt)).all()}

    async def timeline(self, nomination: Nomination) -> list[NominationEvent]:
        return list(
            (
                await self.session.scalars(
                    select(NominationEvent)
                    .where(NominationEvent.nomination_id == nomination.id)
                    .order_by(NominationEvent.occurred_at, NominationEvent.id)
                )
            ).all()
        )

    async def decide(self, nomination_id: int, data: DecisionIn, actor: Actor) -> Nomination:
        nomination, _family = await self.get_nomination(nomination_id, actor)
        to, allowed_from = DECISIONS[data.decision]
        current = nomination.status
        if current not in allowed_from:
            allowed = sorted(d for d, (_, froms) in DECISIONS.items() if current in froms)
            raise Conflict(
                f"A {current.value} nomination cannot be given '{data.decision}'. Possible now: "
                f"{', '.join(allowed) or 'nothing'}.",
                allowed=allowed,
            )
        now = datetime.now(UTC)
        nomination.status = to
        nomination.decided_at = now
        if to is NS.declined:
            nomination.closed_at = now
        self._event(nomination, data.decision, current.value, data.note)
        await self.session.flush()
        return nomination

    async def withdraw(self, nomination_id: int, note: str, actor: Actor) -> Nomination:
        nomination, _family = await self.get_nomination(nomination_id, actor)
        current = nomination.status
        if current not in OPEN:
            raise Conflict(f"A {current.value} nomination cannot be withdrawn.")
        now = datetime.now(UTC)
        nomination.status, nomination.closed_at = NS.withdrawn, now
        self._event(nomination, "withdrawn", current.value, note)
        await self.session.flush()
        return nomination

    async def mark_fulfilled(self, nomination: Nomination, note: str = "") -> None:
        """Called by a loan that covers what the nomination asked for."""
        current = nomination.status
        nomination.status, nomination.closed_at = NS.fulfilled, datetime.now(UTC)
        self._event(nomination, "fulfilled", current.value, note)

    async def list_nominations(
        self,
        params: ListParams,
        actor: Actor,
        *,
        statuses: Sequence[NominationStatus] = (),
        school_id: int | None = None,
        family_id: int | None = None,
        urgency: str | None = None,
    ) -> tuple[list[Scored], int]:
        where: list[Any] = []
        if statuses:
            where.append(Nomination.status.in_(statuses))
        if school_id is not None:
            where.append(Nomination.school_id == school_id)
        if family_id is not None:
            # A school knows a merged nomination by the record it submitted, never by the family it was merged into.
            where.append(
                func.coalesce(Nomination.merged_from_family_id, Nomination.family_id) == family_id
                if actor.is_school
                else Nomination.family_id == family_id
            )
        if urgency:
            where.append(Nomination.urgency == urgency)
        stmt = self.nominations.get_readable_statement(actor).where(*where)
        # Every nomination has its family (a foreign key): counted without the join, through the same narrowing.
        # count(*), not count(id): with nothing to narrow, SQLite then counts the table from its pages' own counts
        # (under a millisecond at 200,000 nominations) instead of reading every id (11 ms).
        total = await self.session.scalar(
            select(func.count()).select_from(Nomination).where(*self.nominations.readable_by(actor), *where)
        )
        # Priority moves with waiting time, so the database computes it for this moment rather than storing it.
        rank = Priority(self.weights, datetime.now(UTC))
        score, *factors = rank.columns()
        sort = params.sort or "-submitted_at"
        if sort.lstrip("+-") == "priority":
            if actor.is_school:
                raise Invalid.field("sort", "schools cannot sort by priority")
            # Ties go to the longest waiting.
            if sort.startswith("-"):
                ordering = [score.desc(), Nomination.submitted_at, Nomination.id]
            else:
                ordering = [score, Nomination.submitted_at.desc(), Nomination.id.desc()]
            # The page's ids first, sorting only (id, score) for every waiting nomination; the breakdown's columns
            # are then computed for that page alone.
            ids = stmt.with_only_columns(Nomination.id, score, maintain_column_froms=True).order_by(*ordering)
            ids = ids.limit(params.limit).offset(params.offset)
            chosen = select(ids.subquery().c.id)
            ordered = stmt.add_columns(score, *factors).where(Nomination.id.in_(chosen)).order_by(*ordering)
        else:
            ordered = stmt.add_columns(score, *factors).order_by(
                *order_by(sort, NOMINATION_SORTABLE, "-submitted_at"), Nomination.id
            )
            ordered = ordered.limit(params.limit).offset(params.offset)
        page = (await self.session.execute(ordered)).all()
        return [Scored(row.Nomination, *rank.breakdown(row.Family, row._mapping)) for row in page], int(total or 0)

    def _for_desk(self, actor: Actor) -> Select[tuple[Nomination, Family, School]]:
        """Approved nominations of families not erased, from what `actor` may read: what a loan can be issued
        against (a nomination a loan fulfilled is no longer approved)."""
        return (
            self.nominations.get_readable_statement(actor)
            .add_columns(School)
            .join(School, School.id == Nomination.school_id)
            .where(Nomination.status == NS.approved, Family.erased_at.is_(None))
        )

    async def find_for_desk(
        self, params: ListParams, actor: Actor, q: str | None = None
    ) -> tuple[list[DeskNomination], int]:
        """Approved nominations whose family name, phone or school matches `q`, urgent first, then the longest
        waiting."""
        stmt = self._for_desk(actor)
        if q and q.strip():
            text = q.strip().lower()
            like = f"%{text}%"
            clauses = [Family.name_key.like(like), func.lower(School.name).like(like)]
            digits = "".join(ch for ch in text if ch.isdigit()).lstrip("0")
            if len(digits) >= 4:
                # Phones are stored in E.164: `07700 900123` finds `+447700900123`.
                clauses.append(Family.phone.like(f"%{digits}%"))
            stmt = stmt.where(or_(*clauses))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(
            (Nomination.urgency == Urgency.urgent).desc(), Nomination.decided_at, Nomination.submitted_at, Nomination.id
        )
        rows = (await self.session.execute(ordered.limit(params.limit).offset(params.offset))).all()
        return [DeskNomination(*row) for row in rows], int(total or 0)

    async def get_for_desk(self, nomination_id: int, actor: Actor) -> DeskNomination:
        stmt = self._for_desk(actor).where(Nomination.id == nomination_id)
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None:
            raise NotFound(f"No approved nomination with id {nomination_id}.")
        return DeskNomination(*row)

    # --- possible duplicates ------------------------------------------------------------------------------

    async def list_duplicates(
        self, params: ListParams, statuses: Sequence[DuplicateStatus] = ()
    ) -> tuple[list[DuplicatePair], int]:
        held = aliased(Family)
        stmt = (
            select(PossibleDuplicate, Family, held, Nomination)
            .join(Family, Family.id == PossibleDuplicate.family_id)
            .join(held, held.id == PossibleDuplicate.held_family_id)
            .outerjoin(Nomination, Nomination.id == PossibleDuplicate.nomination_id)
            .where(PossibleDuplicate.status.in_(statuses or [DuplicateStatus.open]))
        )
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        ordered = stmt.order_by(*order_by(params.sort, DUPLICATE_SORTABLE, "created_at"), PossibleDuplicate.id)
        rows = (await self.session.execute(ordered.limit(params.limit).offset(params.offset))).all()
        return [DuplicatePair(*row) for row in rows], int(total or 0)

    async def _open_pair(self, duplicate_id: int) -> tuple[PossibleDuplicate, Family, Family]:
        duplicate = await self.session.get(PossibleDuplicate, duplicate_id, with_for_update=True)
        if duplicate is None:
            raise NotFound(f"No possible duplicate with id {duplicate_id}.")
        if duplicate.status != DuplicateStatus.open:
            raise Conflict(f"Possible duplicate {duplicate_id} is already {duplicate.status.replace('_', ' ')}.")
        family = await self.session.get(Family, duplicate.family_id, with_for_update=True)
        held = await self.session.get(Family, duplicate.held_family_id, with_for_update=True)
        assert family is not None and held is not None
        if family.erased_at is not None or held.erased_at is not None:
            raise Conflict(f"One of families {family.id} and {held.id} has been erased or merged.")
        return duplicate, family, held

    async def _pair_of(self, duplicate: PossibleDuplicate) -> DuplicatePair:
        family = await self.session.get(Family, duplicate.family_id)
        held = await self.session.get(Family, duplicate.held_family_id)
        nomination = await self.session.get(Nomination, duplicate.nomination_id) if duplicate.nomination_id else None
        assert family is not None and held is not None
        return DuplicatePair(duplicate, family, held, nomination)

    def _resolve(self, duplicate: PossibleDuplicate, status: DuplicateStatus, now: datetime) -> None:
        actor_id, _ = actor_of(self.session)
        duplicate.status, duplicate.resolved_by_id, duplicate.resolved_at = status, actor_id, now

    async def keep_apart(self, duplicate_id: int) -> DuplicatePair:
        duplicate, _, _ = await self._open_pair(duplicate_id)
        self._resolve(duplicate, DuplicateStatus.kept_apart, datetime.now(UTC))
        await self.session.flush()
        return await self._pair_of(duplicate)

    async def merge(self, duplicate_id: int, data: MergeIn) -> DuplicatePair:
        """One family after all: the school's record folds into the one held, in one transaction.

        Its nominations (and any loans) move to the family held, marked as merged so that they give their school
        no access to it; the school goes on seeing its nomination under the id it was given. The school's record
        is anonymised and points at the family held.
        """
        duplicate, family, held = await self._open_pair(duplicate_id)
        now = datetime.now(UTC)
        for name in data.take:
            setattr(held, name, getattr(family, name))
        if held.school_age_children > held.children:
            raise Invalid.field("take", "school_age_children would be more than children")
        if "lead_name" in data.take:
            held.name_key = held.lead_name.lower()
        if "postcode" in data.take:
            held.postcode_district = postcode_district(held.postcode) if held.postcode else None
        if "imd_decile" in data.take:
            held.imd_from_lookup = family.imd_from_lookup
        elif "postcode" in data.take:
            looked_up = await self.imd_for(held.postcode)
            held.imd_decile, held.imd_from_lookup = looked_up, looked_up is not None

        moving = list(
            (
                await self.session.scalars(
                    select(Nomination).where(Nomination.family_id == family.id).order_by(Nomination.id)
                )
            ).all()
        )
        open_here = {
            school: nid
            for nid, school in (
                await self.session.execute(
                    select(Nomination.id, Nomination.school_id).where(
                        Nomination.family_id == held.id, Nomination.status.in_(list(OPEN))
                    )
                )
            ).all()
        }
        clashes = [(n.id, open_here[n.school_id]) for n in moving if n.status in OPEN and n.school_id in open_here]
        if clashes:
            pairs = ", ".join(f"{a} and {b}" for a, b in clashes)
            raise Conflict(
                f"The same school has an open nomination for both families (nominations {pairs}): "
                "decide or withdraw one first, then merge.",
                nomination_ids=[i for pair in clashes for i in pair],
            )
        for nomination in moving:
            nomination.family_id = held.id
            nomination.merged_from_family_id = nomination.merged_from_family_id or family.id
        for records in registered():
            await records.move(self.session, family.id, held.id)
        for earlier in await self.session.scalars(select(Family).where(Family.merged_into_id == family.id)):
            earlier.merged_into_id = held.id
        for other in await self.session.scalars(
            select(PossibleDuplicate).where(
                PossibleDuplicate.id != duplicate.id,
                PossibleDuplicate.status == DuplicateStatus.open,
                or_(PossibleDuplicate.family_id == family.id, PossibleDuplicate.held_family_id == family.id),
            )
        ):
            # Any other pair with the school's record now concerns the family held (or is settled by this merge).
            ends = [held.id if end == family.id else end for end in (other.family_id, other.held_family_id)]
            if ends[0] == ends[1]:
                self._resolve(other, DuplicateStatus.superseded, now)
            else:
                other.family_id, other.held_family_id = ends
        self._anonymise(family, f"Merged into family {held.id}", now)
        family.merged_into_id = held.id
        self._resolve(duplicate, DuplicateStatus.merged, now)
        await self.session.flush()
        return await self._pair_of(duplicate)

    @staticmethod
    def _anonymise(family: Family, label: str, now: datetime) -> None:
        for name in FAMILY_PERSONAL:
            setattr(family, name, {"lead_name": label, "address": "", "notes": ""}.get(name))
        family.name_key = None
        family.imd_from_lookup = False
        family.erased_at = now

    # --- data protection -----------------------------------------------------------------------------------

    async def _held_about(self, family: Family) -> tuple[list[Nomination], list[NominationEvent], list[int]]:
        """The family's nominations, their timelines, and the school records merged into it."""
        nominations = list(
            (
                await self.session.scalars(
                    select(Nomination).where(Nomination.family_id == family.id).order_by(Nomination.id)
                )
            ).all()
        )
        events = (
            list(
                (
                    await self.session.scalars(
                        select(NominationEvent)
                        .where(NominationEvent.nomination_id.in_([n.id for n in nominations]))
                        .order_by(NominationEvent.occurred_at, NominationEvent.id)
                    )
                ).all()
            )
            if nominations
            else []
        )
        merged = list((await self.session.scalars(select(Family.id).where(Family.merged_into_id == family.id))).all())
        return nominations, events, merged

    async def subject_access(self, family_id: int, actor: Actor) -> dict[str, Any]:
        """Everything held about a family, as plain JSON (what other domains hold included, by their hook)."""
        family = await self.get_family(family_id, actor)
        nominations, events, merged = await self._held_about(family)
        out_nominations = []
        for nomination in nominations:
            out_nominations.append(
                {
                    **{c.key: json_safe(getattr(nomination, c.key)) for c in nomination.__table__.columns},
                    "timeline": [
                        {c.key: json_safe(getattr(e, c.key)) for c in e.__table__.columns}
                        for e in events
                        if e.nomination_id == nomination.id
                    ],
                }
            )
        entities: dict[str, list[int]] = {
            "family": [family.id, *merged],
            "nomination": [n.id for n in nominations],
            "nomination_event": [e.id for e in events],
        }
        for records in registered():
            entities.update(await records.entities(self.session, family.id))
        about = [
            and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_([str(i) for i in ids]))
            for kind, ids in entities.items()
            if ids
        ]
        audit = (await self.session.scalars(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.id))).all()
        document: dict[str, Any] = {
            "exported_at": datetime.now(UTC).isoformat(),
            "family": json_safe(FamilyOut.model_validate(family).model_dump()),
            "nominations": out_nominations,
            "audit": [
                {
                    c: json_safe(getattr(a, c))
                    for c in ("occurred_at", "actor_label", "action", "entity_type", "entity_id", "before", "after")
                }
                for a in audit
            ],
        }
        for records in registered():
            document.update(await records.section(self.session, family))
        return document

    async def erase(self, family_id: int, actor: Actor) -> Family:
        """Replace personal data with anonymised values everywhere it went; keep what reports count.

        The family's fields, its nominations' reasons and timeline notes, its loans' notes, signatures and signed
        agreements (withdrawn, their hash kept), stored Idempotency-Key answers, and every copy of those values in
        the audit rows about them. One transaction; SQLite's file forgets once it is checkpointed (`checkpoint_wal`).
        """
        family = await self.get_family(family_id, actor)
        if family.merged_into_id is not None:
            raise Conflict(f"Family {family_id} was merged into family {family.merged_into_id}; erase that one.")
        if family.erased_at is not None:
            raise Conflict(f"Family {family_id} was already erased on {family.erased_at:%Y-%m-%d}.")
        for records in registered():
            if (blocker := await records.blocks_erasure(self.session, family.id)) is not None:
                raise Conflict(f"Family {family_id} {blocker}.")
        now = datetime.now(UTC)
        # What was held, to find its copies in the audit rows once the records themselves are blank.
        personal = {getattr(family, name) for name in (*FAMILY_PERSONAL, "name_key")}
        personal.update(word for word in (family.lead_name or "").split() if len(word) >= 3)
        nominations, events, merged = await self._held_about(family)
        for nomination in nominations:
            personal.add(nomination.reason)
            nomination.reason = ""
        for event in events:
            personal.add(event.note)
            event.note = ""
        self._anonymise(family, f"Erased family {family.id}", now)
        elsewhere = [await records.erase(self.session, family.id, now) for records in registered()]
        for erased in elsewhere:
            personal |= erased.values
        duplicates = list(
            (
                await self.session.scalars(
                    select(PossibleDuplicate).where(
                        or_(PossibleDuplicate.family_id == family.id, PossibleDuplicate.held_family_id == family.id)
                    )
                )
            ).all()
        )
        for duplicate in duplicates:
            if duplicate.status == DuplicateStatus.open:
                self._resolve(duplicate, DuplicateStatus.superseded, now)
        await self.session.flush()
        scrubbed = await scrub_audit(
            self.session,
            {
                "family": [family.id, *merged],
                "nomination": [n.id for n in nominations],
                "nomination_event": [e.id for e in events],
                "possible_duplicate": [d.id for d in duplicates],
                **{kind: ids for erased in elsewhere for kind, ids in erased.entities.items()},
            },
            {p for p in personal if isinstance(p, str)},
        )
        await record(
            self.session,
            action="erase",
            entity_type="family",
            entity_id=family.id,
            after={
                "nominations": len(nominations),
                **{name: count for erased in elsewhere for name, count in erased.counts.items()},
                "audit_entries_scrubbed": scrubbed,
            },
        )
        return family

    async def stale_families(self, older_than_months: int, now: datetime | None = None) -> list[Family]:
        """Families with no activity since the cutoff: no edit, no nomination step, nothing open on the waiting list,
        no loan out or closed since.

        Activity is read from the records themselves rather than kept in a column of its own.
        """
        cutoff = (now or datetime.now(UTC)) - timedelta(days=round(older_than_months * 30.44))
        recent_step = exists().where(
            NominationEvent.nomination_id == Nomination.id,
            Nomination.family_id == Family.id,
            NominationEvent.occurred_at >= cutoff,
        )
        waiting = exists().where(Nomination.family_id == Family.id, Nomination.status.in_(list(OPEN)))
        return list(
            (
                await self.session.scalars(
                    select(Family)
                    .where(
                        Family.erased_at.is_(None),
                        Family.updated_at < cutoff,
                        ~recent_step,
                        ~waiting,
                        *(~records.recent_activity(cutoff) for records in registered()),
                    )
                    .order_by(Family.id)
                )
            ).all()
        )

    # --- IMD reference data --------------------------------------------------------------------------------

    async def load_imd(self, rows: Sequence[tuple[str, int, str | None]]) -> int:
        """Insert or replace postcode → decile rows (already validated)."""
        insert = upsert_insert(self.session)
        now = datetime.now(UTC)
        values = [
            {"postcode": p, "imd_decile": d, "lsoa": lsoa, "created_at": now, "updated_at": now} for p, d, lsoa in rows
        ]
        if values:
            stmt = insert(ImdPostcode).values(values)
            stmt = stmt.on_conflict_do_update(
                index_elements=["postcode"],
                set_={"imd_decile": stmt.excluded.imd_decile, "lsoa": stmt.excluded.lsoa, "updated_at": now},
            )
            await self.session.execute(stmt)
            # A bulk upsert passes the ORM by, so it is audited explicitly, as one entry per batch.
            await record(
                self.session,
                action="import",
                entity_type="imd_postcode",
                entity_id="*",
                after={"rows": len(values), "first": values[0]["postcode"], "last": values[-1]["postcode"]},
            )
        return len(values)


async def checkpoint_wal(bind: AsyncEngine | AsyncConnection) -> None:
    """Make SQLite's files forget what a committed erasure removed.

    With `secure_delete` the database pages are overwritten with zeros, but the write-ahead log still holds the
    pages as they were until a checkpoint copies it back; TRUNCATE then empties the log file. It must run outside
    any transaction, so it goes straight to the driver's connection. PostgreSQL reclaims dead rows by (auto)vacuum.
    """
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert raw.driver_connection is not None  # a live aiosqlite connection
        cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, *_ = await cursor.fetchone()
        await cursor.close()
    if busy:
        log.warning(
            "The write-ahead log could not be truncated yet (a reader is still open); the next checkpoint "
            "will fold the erasure into the database file."
        )
