from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.core.errors import Conflict, NotFound
from lending.core.pagination import ListParams, list_page
from lending.schools.gias import GiasCounts, GiasSchool, RowProblem
from lending.schools.models import School
from lending.schools.schemas import SchoolCreate


class SchoolRepository(SQLAlchemyAsyncRepository[School]):
    model_type = School

    @staticmethod
    def get_readable_statement(actor: Actor) -> Select[tuple[School]]:
        """The schools `actor` may read: a school user its own school, everyone else all of them."""
        stmt = select(School)
        if actor.is_school:
            stmt = stmt.where(School.id == actor.school_id)
        return stmt


SORTABLE = {"name": School.name, "urn": School.urn, "created_at": School.created_at}


class SchoolService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = SchoolRepository(session=session)

    async def get(self, school_id: int, actor: Actor) -> School:
        stmt = self.repo.get_readable_statement(actor).where(School.id == school_id)
        school = (await self.session.scalars(stmt)).one_or_none()
        if school is None:
            # Another school's record answers exactly like one that does not exist.
            raise NotFound(f"No school with id {school_id}.")
        return school

    async def by_urn(self, urn: str) -> School | None:
        return await self.repo.get_one_or_none(urn=urn.strip())

    async def list(
        self, params: ListParams, actor: Actor, *, q: str | None = None, active: bool | None = None
    ) -> tuple[list[School], int]:
        where: list[Any] = []
        if active is not None:
            where.append(School.is_active.is_(active))
        if q:
            where.append(or_(func.lower(School.name).like(f"%{q.lower()}%"), School.urn == q.strip()))
        return await list_page(
            self.repo,
            params,
            *where,
            sortable=SORTABLE,
            default_sort="name",
            statement=self.repo.get_readable_statement(actor),
        )

    async def _urn_free(self, urn: str, except_id: int | None = None) -> None:
        existing = await self.by_urn(urn)
        if existing is not None and existing.id != except_id:
            raise Conflict(f"URN {urn} is already {existing.name} (id {existing.id}).", existing_id=existing.id)

    async def create(self, data: SchoolCreate) -> School:
        await self._urn_free(data.urn)
        return await self.repo.add(School(**data.model_dump()))

    async def update(self, school_id: int, actor: Actor, changes: dict[str, Any]) -> School:
        school = await self.get(school_id, actor)
        if changes.get("urn"):
            await self._urn_free(changes["urn"], except_id=school.id)
        for key, value in changes.items():
            if value is not None or key in {"postcode", "phone", "contact_name", "contact_email"}:
                setattr(school, key, value)
        await self.session.flush()
        return school

    async def import_gias(self, batch: Sequence[GiasSchool], counts: GiasCounts, seen: set[str]) -> None:
        """Add or update a batch of the DfE register's schools by URN, adding to `counts`.

        Through the ORM, so each school added or changed is audited with its before and after, and a school that
        the register repeats unchanged writes nothing. What the charity keeps itself (the contact's name and
        email) is never touched, nor a postcode or phone the register leaves empty. A closed establishment is
        only of use for a school we hold: it is marked closed and inactive, and keeps its history.
        """
        fresh: list[GiasSchool] = []
        for item in batch:
            if item.urn in seen:
                counts.repeated.append(RowProblem(item.row, "URN", f"URN {item.urn} is on an earlier row too"))
                continue
            seen.add(item.urn)
            fresh.append(item)
        if not fresh:
            return
        held = {
            school.urn: school
            for school in await self.session.scalars(select(School).where(School.urn.in_([i.urn for i in fresh])))
        }
        for item in fresh:
            school = held.get(item.urn)
            values: dict[str, Any] = {
                "name": item.name,
                "phase": item.phase,
                "percentage_fsm": item.percentage_fsm,
                "establishment_status": item.establishment_status,
            }
            kept_if_empty = {"address": item.address, "postcode": item.postcode, "phone": item.phone}
            values.update({key: value for key, value in kept_if_empty.items() if value})
            if school is None:
                if item.is_closed:
                    counts.skipped_closed += 1
                else:
                    self.session.add(School(urn=item.urn, is_active=True, **values))
                    counts.added += 1
                continue
            if item.is_closed:
                values["is_active"] = False
            changed = {key: value for key, value in values.items() if getattr(school, key) != value}
            for key, value in changed.items():
                setattr(school, key, value)
            if not changed:
                counts.unchanged += 1
            elif item.is_closed and "establishment_status" in changed:
                counts.closed += 1
            else:
                counts.updated += 1
        await self.session.flush()
