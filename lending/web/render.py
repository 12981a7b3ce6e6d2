"""Rendering pages and the parts htmx swaps, and reading forms into the API's own schemas."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from litestar import Request
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError

from lending.core.errors import DomainError, dotted_path

M = TypeVar("M", bound=BaseModel)


def page(template: str, *, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context=context, status_code=status_code)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    # From the header, not `request.htmx`: an exception handler's request is the app's class, not the pages'.
    return request.headers.get("hx-request") == "true"


def page_or_part(request: Request[Any, Any, Any], template: str, part: str, **context: Any) -> Template:
    """The whole page for a plain request (no JavaScript), only `part` for htmx."""
    return page(part if is_htmx(request) else template, **context)


class FormErrors(dict[str, str]):
    """Field name → message, shown next to each field and summarised at the top of the form."""

    @classmethod
    def of(cls, exc: ValidationError | DomainError) -> FormErrors:
        errors = cls()
        if isinstance(exc, ValidationError):
            for e in exc.errors():
                errors.setdefault(dotted_path(tuple(e["loc"])) or "form", str(e["msg"]).removeprefix("Value error, "))
        else:
            for fe in exc.errors:
                errors.setdefault(fe.field, fe.message)
            if not exc.errors:
                errors["form"] = exc.detail
        return errors


def parse(model: type[M], data: dict[str, Any]) -> M:
    """A form as the API's schema: blank fields are left out, so that optional fields stay unset rather than ''."""
    return model.model_validate({k: v for k, v in data.items() if v not in ("", None)})


async def form_dict(request: Request[Any, Any, Any], *lists: str) -> dict[str, Any]:
    """The posted form; fields named in `lists` keep every value (a basket of scanned tags), others the last."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == "_csrf_token":
            continue
        data[key] = form.getall(key) if key in lists else form.get(key)
    for key in lists:
        data.setdefault(key, [])
    return data


def query_pairs(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    """The query's fields in the order they were sent (the parsed `query_params` keep no order), blanks kept."""
    return parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


async def drop_blank_query(request: Request[Any, Any, Any]) -> Redirect | None:
    """A `before_request` for pages with a GET form of filters: a form sends its blank fields (`centre_id=`), which
    the API's typed query parameters rightly refuse, so the browser is sent once to the same page without them."""
    pairs = query_pairs(request)
    kept = [(k, v) for k, v in pairs if v != ""]
    if len(kept) == len(pairs):
        return None
    return Redirect(request.url.path + (f"?{urlencode(kept)}" if kept else ""), status_code=303)
