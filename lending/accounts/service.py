from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.access import Actor
from lending.accounts.models import Role, User
from lending.accounts.passwords import generate_password, hash_password_off_loop, password_problem
from lending.centres.models import Centre
from lending.core.errors import Conflict, Invalid, NotFound
from lending.core.pagination import ListParams, list_page
from lending.schools.models import School


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


SORTABLE = {"email": User.email, "name": User.name, "role": User.role, "created_at": User.created_at}


@dataclass
class NewUser:
    email: str
    name: str
    role: Role
    password: str | None = None
    home_centre_id: int | None = None
    school_id: int | None = None


class AccountService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = UserRepository(session=session)

    async def find_by_email(self, email: str) -> User | None:
        return await self.repo.get_one_or_none(email=email.strip().lower())

    async def get(self, user_id: int) -> User:
        user = await self.repo.get_one_or_none(id=user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}.")
        return user

    async def list(
        self, params: ListParams, *, role: Role | None = None, active: bool | None = None, q: str | None = None
    ) -> tuple[list[User], int]:
        where: list[Any] = []
        if role is not None:
            where.append(User.role == role.value)
        if active is not None:
            where.append(User.is_active.is_(active))
        if q:
            like = f"%{q.lower()}%"
            where.append(or_(User.email.like(like), func.lower(User.name).like(like)))
        return await list_page(self.repo, params, *where, sortable=SORTABLE, default_sort="email")

    async def _check_centre(self, centre_id: int | None) -> None:
        if centre_id is not None and await self.session.get(Centre, centre_id) is None:
            raise Invalid.field("home_centre_id", f"no centre with id {centre_id}")

    async def _check_school(self, role: Role, school_id: int | None) -> None:
        if role is Role.school and school_id is None:
            raise Invalid.field("school_id", "required for the school role")
        if role is not Role.school and school_id is not None:
            raise Invalid.field("school_id", "only school users belong to a school")
        if school_id is not None and await self.session.get(School, school_id) is None:
            raise Invalid.field("school_id", f"no school with id {school_id}")

    async def create(self, new: NewUser) -> tuple[User, str | None]:
        """Create a user; returns the generated password when none was given."""
        email = new.email.strip().lower()
        existing = await self.repo.get_one_or_none(email=email)
        if existing is not None:
            raise Conflict(f"A user with email {email} already exists (id {existing.id}).", existing_id=existing.id)
        await self._check_centre(new.home_centre_id)
        await self._check_school(new.role, new.school_id)
        _check_policy(new.password, email)
        generated = None if new.password else generate_password()
        user = User(
            email=email,
            name=new.name,
            role=new.role,
            home_centre_id=new.home_centre_id,
            school_id=new.school_id,
            is_active=True,
            password_hash=await hash_password_off_loop(new.password or generated or ""),
            password_changed_at=datetime.now(UTC),
        )
        await self.repo.add(user)
        return user, generated

    async def _active_admins(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active.is_(True))
            )
            or 0
        )

    async def update(self, user_id: int, *, actor: Actor, changes: dict[str, Any]) -> User:
        user = await self.get(user_id)
        losing_admin = (
            user.role == Role.admin
            and user.is_active
            and (changes.get("is_active") is False or changes.get("role") not in (None, Role.admin))
        )
        if losing_admin and await self._active_admins() <= 1:
            raise Conflict("This is the last active admin; make another admin first.")
        if user.id == actor.id and changes.get("is_active") is False:
            raise Conflict("You cannot deactivate yourself.")
        if "home_centre_id" in changes:
            await self._check_centre(changes["home_centre_id"])
            user.home_centre_id = changes["home_centre_id"]
        if changes.get("role") is not None or "school_id" in changes:
            role = Role(changes.get("role") or user.role)
            school_id = changes.get("school_id", user.school_id if role is Role.school else None)
            await self._check_school(role, school_id)
            user.role, user.school_id = role, school_id
        if changes.get("name") is not None:
            user.name = changes["name"]
        if changes.get("is_active") is not None:
            if user.is_active and not changes["is_active"]:
                user.token_version += 1  # signed out now, and still signed out if made active again
            user.is_active = changes["is_active"]
        await self.session.flush()
        return user

    async def reset_password(self, user_id: int, password: str | None) -> tuple[User, str | None]:
        user = await self.get(user_id)
        _check_policy(password, user.email)
        generated = None if password else generate_password()
        await self.set_password(user, await hash_password_off_loop(password or generated or ""))
        return user, generated

    async def set_password(self, user: User, password_hash: str) -> None:
        """Every token and known device of the user ends with the old password."""
        user.password_hash = password_hash
        user.password_changed_at = datetime.now(UTC)
        user.token_version += 1
        await self.session.flush()

    async def any_user(self) -> bool:
        return await self.session.scalar(select(User.id).limit(1)) is not None


def _check_policy(password: str | None, email: str) -> None:
    problem = password_problem(password, email=email) if password is not None else None
    if problem:
        raise Invalid.field("password", problem)
