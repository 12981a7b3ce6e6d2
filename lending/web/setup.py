"""Wiring the pages into the app: templates, static files, CSRF, the session middleware and the pages' errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from jinja2 import pass_context
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from lending import __version__
from lending.access import may
from lending.accounts.models import User
from lending.config import Settings
from lending.web.auth import WebSessionAuth
from lending.web.errors import web_exception_handler
from lending.web.requests import WebRequest
from lending.web.routes import WEB_ROUTE_HANDLERS

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"


@dataclass(frozen=True)
class Web:
    router: Router
    static: Router
    templates: TemplateConfig[JinjaTemplateEngine]
    csrf: CSRFConfig
    paths: str  # a pattern of every page path (signed in by cookie, never by a bearer token)


def _signed_in(context: Any) -> User | None:
    request = context.get("request")
    user = request.scope.get("user") if request is not None else None
    return user if isinstance(user, User) else None


def _root(path: str) -> str:
    """`/desk/loans/{id}` → `/desk`: the first segment, which is the page area."""
    first = path.strip("/").split("/", 1)[0]
    return f"/{first}" if first else "/"


def web(settings: Settings, alchemy: SQLAlchemyAsyncConfig) -> Web:
    @pass_context
    def may_here(context: Any, action: str) -> bool:
        """Whether the signed-in user may take `action`: pages show a control only when the API would accept it."""
        user = _signed_in(context)
        return user is not None and may(user.role, action)

    @pass_context
    def signed_in(context: Any) -> User | None:
        return _signed_in(context)

    def static(path: str) -> str:
        # The version in the address: a new release's files are fetched again, the same release's are cached.
        return f"/static/{path}?v={__version__}"

    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.globals.update(
            may=may_here,
            signed_in=signed_in,
            static=static,
            org={
                "name": settings.org_name,
                "phone": settings.org_phone,
                "email": settings.org_email,
            },
            version=__version__,
        )
        env.trim_blocks = True
        env.lstrip_blocks = True

    router = Router(
        path="/",
        route_handlers=WEB_ROUTE_HANDLERS,
        middleware=[DefineMiddleware(WebSessionAuth, alchemy=alchemy, settings=settings)],
        exception_handlers={Exception: web_exception_handler},
        request_class=WebRequest,
        include_in_schema=False,
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        cache_control=None,
    )
    roots = sorted({_root(route.path) for route in router.routes} | {"/static"})
    pages = "|".join(rf"{re.escape(root)}(?:/|$)" if root != "/" else "/$" for root in roots)
    return Web(
        paths=f"^(?:{pages})",
        router=router,
        static=static_router,
        templates=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure),
        csrf=CSRFConfig(
            secret=settings.token_secret(),
            cookie_name="lending_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            # Only the pages' forms: the API is signed in by bearer tokens, which a cross-site form cannot send.
            exclude=[f"^(?!(?:{pages}))"],
        ),
    )
