"""Signing in and out of the pages, and each role's landing page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from lending.accounts.models import Role, User
from lending.accounts.sessions import COOKIE, WebSessions
from lending.accounts.signin import SignIn, client_address
from lending.config import Settings
from lending.web.auth import DEVICE_COOKIE, clear_session_cookie, set_session_cookies
from lending.web.render import form_dict, page

HOMES = {Role.volunteer: "/desk", Role.school: "/school", Role.staff: "/staff", Role.admin: "/staff"}


def home_of(user: User) -> str:
    return HOMES[Role(user.role)]


def safe_next(value: Any) -> str | None:
    """Only a path of this site: `next` must never send someone signing in to another site."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    return value if len(value) <= 2000 and not any(c in value for c in "\r\n") else None


class SignInPages(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self, request: Request[Any, Any, Any]) -> Redirect:
        user = request.scope.get("user")
        return Redirect(home_of(user) if isinstance(user, User) else "/login", status_code=303)

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        user = request.scope.get("user")
        if isinstance(user, User):
            return Redirect(safe_next(request.query_params.get("next")) or home_of(user), status_code=303)
        return page("login.html", next=safe_next(request.query_params.get("next")), email="", error=None)

    @post("/login")
    async def login(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, settings: Settings
    ) -> Response[Any]:
        form = await form_dict(request)
        email = str(form.get("email") or "").strip()
        password = str(form.get("password") or "")
        next_path = safe_next(form.get("next"))
        if not email or not password:
            return page(
                "login.html", status_code=422, next=next_path, email=email, error="Enter your email and password."
            )
        sign_in: SignIn = request.app.state.sign_in
        try:
            done = await sign_in.sign_in(client_address(request), email, password, request.cookies.get(DEVICE_COOKIE))
        except TooManyRequestsException as exc:
            return Template(
                template_name="login.html",
                context={"next": next_path, "email": email, "error": exc.detail},
                status_code=429,
                headers=dict(exc.headers or {}),
            )
        if done is None:
            # The same words for an unknown email and a wrong password, as the API: no account discovery.
            return page("login.html", status_code=401, next=next_path, email=email, error="Wrong email or password.")
        sessions = WebSessions(db_session, timedelta(hours=settings.session_hours))
        if old := request.cookies.get(COOKIE):
            await sessions.close(old)  # a new session id on every sign-in: no fixation
        token = await sessions.open(done.user)
        response = Redirect(next_path or home_of(done.user), status_code=303)
        return set_session_cookies(response, settings, token, done.device_token)

    @post("/logout")
    async def logout(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, settings: Settings
    ) -> Response[Any]:
        if token := request.cookies.get(COOKIE):
            await WebSessions(db_session, timedelta(hours=settings.session_hours)).close(token)
        return clear_session_cookie(Redirect("/login", status_code=303), settings)
