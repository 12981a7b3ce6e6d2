"""First start: make sure someone can sign in."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from lending.accounts.models import Role
from lending.accounts.passwords import password_problem
from lending.accounts.service import AccountService, NewUser
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core.db import session_maker
from lending.core.errors import Invalid

log = logging.getLogger("lending.bootstrap")

DEFAULT_ADMIN_EMAIL = "admin@example.org"


async def ensure_admin(engine: AsyncEngine, settings: Settings) -> tuple[str, str | None] | None:
    """Create the first admin when no user exists.

    Returns (email, generated password or None) when an admin was created, None otherwise.
    """
    async with session_maker(engine)() as session, session.begin():
        service = AccountService(session)
        if await service.any_user():
            return None
        set_actor(session, user_id=None, label="system:first-start")
        email = settings.admin_email or DEFAULT_ADMIN_EMAIL
        password = settings.admin_password.get_secret_value() if settings.admin_password else None
        # The same policy as every other password, checked here to name the setting rather than a field.
        problem = password_problem(password, email=email) if password is not None else None
        if problem:
            raise Invalid.field("LENDING_ADMIN_PASSWORD", problem)
        user, generated = await service.create(
            NewUser(email=email, name="Administrator", role=Role.admin, password=password)
        )
        log.info("created the first admin %s (id %s)", user.email, user.id)
        return user.email, generated
