"""Who may do what: the acting user of a request, and the one table of actions and the roles allowed each.

Every route handler names its action with `allow("...")` (or is declared public), so a route cannot be added
without a decision; tests/core/test_access_policy.py walks every route and role against the README's roles table.
What an actor may *read* (a school's own families and nominations) is narrowed in SQL by each domain's repository
from the Actor; what fields it sees is shaped by one function per entity next to its schemas, asking `may` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from lending.accounts.models import Role, User

ADMIN = frozenset({Role.admin})
STAFF = frozenset({Role.admin, Role.staff})
DESK = frozenset({Role.admin, Role.staff, Role.volunteer})
STAFF_AND_SCHOOLS = frozenset({Role.admin, Role.staff, Role.school})
SCHOOLS = frozenset({Role.school})
SIGNED_IN = frozenset(Role)

# One row per action: the roles that may take it. Route actions are named "<area>.<verb>"; the last block guards no
# route: it shapes answers (who sees scores, evidence, contact, voucher codes) and says who may witness a signature.
ACTIONS: dict[str, frozenset[Role]] = {
    "me.read": SIGNED_IN,
    "me.change_password": SIGNED_IN,
    "users.manage": ADMIN,
    "audit.read": ADMIN,
    "centres.read": SIGNED_IN,
    "centres.manage": STAFF,
    "schools.read": SIGNED_IN,
    "schools.manage": STAFF,
    "donors.manage": STAFF,
    "donations.manage": STAFF,
    "assets.read": DESK,
    "assets.move": DESK,
    "assets.export": DESK,
    "assets.manage": STAFF,
    "assets.import": STAFF,
    "families.read": SIGNED_IN,
    "families.create": STAFF,
    "families.update": STAFF_AND_SCHOOLS,
    "families.merge": STAFF,
    "families.subject_access": ADMIN,
    "families.erase": ADMIN,
    "nominations.create": STAFF_AND_SCHOOLS,
    "nominations.read": STAFF_AND_SCHOOLS,
    "nominations.withdraw": STAFF_AND_SCHOOLS,
    "nominations.decide": STAFF,
    "loans.read": DESK,
    "loans.lend": DESK,
    # The desk finds the approved nomination it lends against (never the reason, evidence or scores).
    "loans.find_nomination": DESK,
    "loans.export": DESK,
    "loans.gift": STAFF,
    "sims.bar": STAFF,
    # The outbox: what was sent to families and staff, with its status.
    "messages.read": STAFF,
    "documents.print": DESK,
    "labels.calibrate": DESK,
    "stocktakes.read": DESK,
    "stocktakes.count": DESK,
    # Reports never show a family's personal data; a school's loans report covers its own school only (in SQL).
    "reports.summary": DESK,
    "reports.loans": STAFF_AND_SCHOOLS,
    "reports.pipeline": STAFF,
    "reports.donations": STAFF,
    "reports.funder": STAFF,
    "donors.impact": STAFF,
    # The pages' areas: each page also names the action it takes (a school's nomination form is also
    # nominations.create), so an area narrows who reaches a page and never widens it.
    "desk.use": DESK,
    "school.use": SCHOOLS,
    "staff.use": STAFF,
    # Not routes.
    "families.see_evidence": STAFF_AND_SCHOOLS,
    "nominations.see_scores": STAFF,
    "loans.see_family_contact": STAFF,
    "loans.witness": DESK,
    "assets.see_vouchers": STAFF,
    "messages.see_addresses": STAFF,
}

# Routes anyone may call, signed in or not; the OpenAPI document is served under the prefix. The API's say
# `exclude_from_auth=True`; the pages' sign-in middleware never refuses by itself, so these simply have no guard
# (the sign-in page and the finder page still know who is signed in). `/logout` needs nobody either: it ends
# whatever session the cookie names.
PUBLIC_PATHS = frozenset({"/health", "/api/v1/auth/token", "/", "/login", "/logout", "/a/{tag}", "/static/{file_path}"})
PUBLIC_PATH_PREFIX = "/schema"


@dataclass(frozen=True)
class Actor:
    """The signed-in user as services see them: built once per request, never the ORM row."""

    id: int
    role: Role
    school_id: int | None
    home_centre_id: int | None
    label: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            id=user.id,
            role=Role(user.role),
            school_id=user.school_id,
            home_centre_id=user.home_centre_id,
            label=user.email,
        )

    @property
    def is_school(self) -> bool:
        return self.role is Role.school

    def may(self, action: str) -> bool:
        return may(self.role, action)


def may(role: Role | str, action: str) -> bool:
    """The policy's answer; an action missing from the table is a bug, never a quiet yes or no."""
    roles = ACTIONS[action]
    try:
        return Role(role) in roles
    except ValueError:
        return False


class Allow:
    """Route guard for one action of the table: 401 when nobody is signed in, 403 for a role not allowed."""

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise KeyError(f"{action!r} is not in lending.access.ACTIONS: give it a row there first")
        self.action = action
        self.roles = ACTIONS[action]
        # A guard every role passes can still answer 401, never 403 (the OpenAPI document says so).
        self.may_refuse = self.roles != SIGNED_IN
        self.__name__ = f"allow_{action.replace('.', '_')}"

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, User):
            raise NotAuthorizedException("Sign in first.")
        if not may(user.role, self.action):
            raise PermissionDeniedException(
                f"Your role ({user.role}) may not do this ({self.action}); it needs one of: "
                f"{', '.join(sorted(self.roles))}."
            )

    def __repr__(self) -> str:
        return f"allow({self.action!r})"


def allow(action: str) -> Allow:
    return Allow(action)


def actions_of(handler: BaseRouteHandler) -> list[str]:
    """The actions a route handler's guards demand (from every layer: app, router, controller, handler)."""
    # Litestar keeps each guard wrapped (AsyncCallable.func); a guard that is not ours names no action.
    guards = [getattr(g, "func", g) for g in handler.resolve_guards()]
    return [g.action for g in guards if isinstance(g, Allow)]


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path == PUBLIC_PATH_PREFIX or path.startswith(PUBLIC_PATH_PREFIX + "/")


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    user = request.scope.get("user")
    if not isinstance(user, User):
        raise NotAuthorizedException("Sign in first.")
    return Actor.of(user)
