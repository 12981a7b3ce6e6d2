"""One transaction per request: committed before a 2xx/3xx answer is sent, or that answer is not sent.

Advanced Alchemy's autocommit handler commits in a before-send hook, when the answer is already made, and swallows
a failed commit: the client got 201 for a write that was never saved. Here the commit runs in Litestar's
`after_request` hook instead: the handler has returned but nothing is sent yet, so a failed commit can still
replace the answer (503 with Retry-After when the database is full, read-only, busy or unreachable; 500 or 409
otherwise), and is logged at ERROR with the request id. Streamed answers (label PDFs) are committed before their
first byte. Error answers (raised exceptions never reach `after_request`) are rolled back when their session is
closed, as the answer starts.

Two more rules keep a request from holding the database while it waits on something else:
- the transaction of the sign-in lookup (the JWT middleware reads the user before the body is read) ends before
  the body is read, so a client that sends its body slowly holds no connection, snapshot or lock;
- a request that is cancelled (client gone, server stopping) still closes its session, which releases its
  connection and SQLite's writer queue.

Routers, controllers and handlers must not set their own `after_request`: the nearest layer's hook replaces this
one, and that layer's writes would never be committed.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import anyio
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from litestar import Request
from litestar.config.app import AppConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from lending.core.errors import describe_failure, to_problem
from lending.core.request_id import request_id_of

log = logging.getLogger("lending.db")

_SCOPE: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("lending_request_scope", default=None)


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        name = name.lower()
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


class RequestTransactions:
    def __init__(self, alchemy: SQLAlchemyAsyncConfig) -> None:
        self.key = alchemy.session_scope_key
        # Close (and so roll back whatever was not committed) as the answer starts; this replaces the plugin's
        # own before-send handler.
        alchemy.before_send_handler = self.close_at_answer

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Run after the JWT plugin's hook: the guard goes outside its middleware, the sign-in release inside."""
        if app_config.after_request is not None:
            raise RuntimeError("the app's after_request is the per-request commit; chain it there instead")
        app_config.after_request = self.commit
        app_config.middleware.insert(0, self.guard)
        app_config.middleware.append(self.end_sign_in_transaction)
        return app_config

    def _session(self, scope: Scope, *, pop: bool = False) -> AsyncSession | None:
        return get_aa_scope_state(scope, self.key, pop=pop)

    async def commit(self, response: Any) -> Any:
        scope = _SCOPE.get()
        session = self._session(scope) if scope is not None else None
        status = getattr(response, "status_code", None)
        # Committed even when no statement ran yet: objects only added to the session are flushed now.
        if session is None or (status is not None and status >= 400):
            return response
        try:
            await session.commit()
        except Exception as exc:  # a failed commit becomes the answer, whatever it is
            assert scope is not None
            request: Request[Any, Any, Any] = Request(scope)
            log.error(
                "commit failed, nothing was saved [request_id=%s] %s %s: %s",
                request_id_of(scope),
                request.method,
                request.url.path,
                describe_failure(exc),
            )
            try:
                await session.rollback()
            except Exception:  # the connection may be gone too; closing the session cleans up
                log.debug("rollback after a failed commit failed", exc_info=True)
            problem = to_problem(exc)
            if problem.status < 500:
                problem.detail = f"Nothing was saved: {problem.detail}"
            return problem.response(request)
        return response

    async def close_at_answer(self, message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            await self._close(scope)

    async def _close(self, scope: Scope) -> None:
        session = self._session(scope, pop=True)
        if session is None:
            return
        # Shielded: a cancelled request must still hand its connection (and the writer queue) back.
        with anyio.CancelScope(shield=True):
            try:
                await session.close()
            except Exception:
                log.warning("closing the session failed [request_id=%s]", request_id_of(scope), exc_info=True)
                try:
                    # A connection that cannot even roll back (cut mid-statement) is dropped, never reused.
                    await session.invalidate()
                except Exception:
                    log.debug("invalidating the session failed", exc_info=True)

    def guard(self, app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            token = _SCOPE.set(scope)
            try:
                await app(scope, receive, send)
            finally:
                _SCOPE.reset(token)
                await self._close(scope)

        return middleware

    def end_sign_in_transaction(self, app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            session = self._session(scope)
            if session is not None and session.in_transaction() and _has_body(scope):
                # Only the signed-in user was read; the body comes next, at the client's pace.
                await session.commit()
            await app(scope, receive, send)

        return middleware
