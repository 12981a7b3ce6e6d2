"""How a page answers a refusal or a failure: the same decisions as the API, shown as pages.

Not signed in: to the sign-in page (htmx is told to go there). Refused, not found, invalid: the API's status and
words, on a page of the app's own. Another school's family is a 404 here exactly as in the API, because both come
from the same services and the same SQL scoping.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template

from lending.core.errors import log_problem, to_problem
from lending.core.request_id import request_id_of
from lending.web.render import is_htmx

TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    408: "Too slow",
    409: "That clashes with what is held",
    410: "Gone",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    503: "The service is busy",
}


def login_path(request: Request[Any, Any, Any]) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(here, safe='/')}"


def web_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    htmx = is_htmx(request)
    if isinstance(exc, NotAuthorizedException):
        if htmx:
            # An htmx request cannot follow a redirect to a whole page; htmx reloads on this header.
            return Response(b"", status_code=401, headers={"HX-Redirect": login_path(request)})
        return Redirect(login_path(request), status_code=303)
    problem = to_problem(exc)
    log_problem(request, exc, problem)
    context = {
        "status": problem.status,
        "title": TITLES.get(problem.status, "Something went wrong" if problem.status >= 500 else "That did not work"),
        "detail": problem.detail,
        "errors": problem.errors,
        "request_id": request_id_of(request.scope),
    }
    if problem.status >= 500 and "database" not in problem.extra:
        context["detail"] = "Something went wrong on our side. Nothing was saved; please try again."
    return Template(
        template_name="_problem.html" if htmx else "problem.html",
        context=context,
        status_code=problem.status,
        headers=problem.headers,
    )
