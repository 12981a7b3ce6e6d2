"""The written contract: every route's problem responses, derived from the route itself, in one table.

Each route handler says enough about itself to know which problems it can answer: whether it needs a signed-in
user (401), has role guards (403), names something in its path (404), writes (409), takes a body (400, 408,
413), and touches the database (503); every route can refuse its input (422). `RULES` turns those facts into documented
responses, each an `application/problem+json` body with the one shared `Problem` schema. `ContractPlugin` applies
the table to every route as it is registered on the app, so a new route cannot be left out of it; a handler's own
`responses=` win for a status it documents itself, and a status in its `raises=` (e.g. 429 on sign-in) is
documented as a problem.

The plugin also holds each route to its document where Litestar does not: a query parameter the route does not
list is a 422 naming it (a mistyped filter must not silently return, or export, everything), and an OPTIONS answer
lists every method of its path (Litestar 2 lists only one handler's when several share a path).

`ClosedModels` documents every pydantic model as closed (`additionalProperties: false`): requests refuse unknown
keys (`extra="forbid"`) and responses carry exactly their fields. That is also what keeps the role-dependent
answers apart: a route whose answer depends on the role is annotated with a union (`NominationStaffDetail |
NominationDetail`) and documented as `oneOf`, and only closed shapes make "exactly one of" true.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from inspect import isawaitable
from typing import Any

from litestar import Request
from litestar._signature.types import ExtendedMsgSpecValidationError
from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import InitPlugin, ReceiveRoutePlugin
from litestar.plugins.pydantic import PydanticInitPlugin, PydanticSchemaPlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.security.jwt import JWTAuth
from litestar.types import Message, Scope
from litestar.typing import FieldDefinition
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lending.core.errors import PROBLEM_JSON, FieldError, Invalid
from lending.core.schemas import JSON_BODY

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Dependencies that reach the database: the session every service uses, and the engine /health probes.
DATABASE_DEPENDENCIES = frozenset({"db_session", "db_engine"})
USES_DATABASE = "uses_database"  # handler opt for a public route that opens its own sessions


class ProblemFieldError(BaseModel):
    model_config = ConfigDict(title="ProblemFieldError")

    field: str = Field(
        description="The field at fault, dotted with indexes: `items[3].iccid`; `body` for the whole body."
    )
    message: str
    row: int | None = Field(None, description="For file imports: the spreadsheet row (header = row 1).")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error answer carries them (`lending.core.errors.Problem`)."""

    # Some problems add keys of their own: `existing_id` on a duplicate, `loan_id` and `asset` on a device already
    # out, `allowed` on a lifecycle move that is not allowed.
    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = "about:blank"
    status: int = Field(ge=400, le=599)
    title: str
    detail: str
    instance: str = Field(description="The request's path.")
    request_id: str = Field(description="Also in the X-Request-ID header; quote it when reporting a problem.")
    errors: list[ProblemFieldError] = Field(default_factory=list, description="One entry per field at fault.")


@dataclass(frozen=True)
class RouteFacts:
    """What a route handler tells about itself, read from its signature, guards, path and dependencies."""

    methods: frozenset[str]
    public: bool
    guarded: bool
    names_a_resource: bool
    takes_body: bool
    uses_database: bool
    raises: frozenset[int]

    @property
    def writes(self) -> bool:
        return bool(self.methods & WRITES)


@dataclass(frozen=True)
class Rule:
    status: int
    description: str
    applies: Callable[[RouteFacts], bool]


# The one table: which problem answers a route documents, from what it is.
RULES: tuple[Rule, ...] = (
    Rule(400, "The body is not valid JSON, or cannot be read; `errors` names `body`.", lambda f: f.takes_body),
    Rule(401, "Not signed in, or the token is expired or was revoked.", lambda f: not f.public),
    Rule(403, "Signed in, but this role may not do this.", lambda f: f.guarded),
    Rule(404, "Nothing with that id or tag, or nothing this user may see.", lambda f: f.names_a_resource),
    # Signing in (the only public write) changes no record, so it cannot conflict with one.
    # A client that starts a body and stalls is cut off rather than allowed to hold a worker.
    Rule(408, "The request body did not arrive in time.", lambda f: f.takes_body),
    Rule(
        409,
        "Conflicts with data already held or with the current state of the record.",
        lambda f: f.writes and not f.public,
    ),
    Rule(413, "The request body is too large.", lambda f: f.takes_body),
    # Every route refuses a query parameter it does not take, so every route can answer 422.
    Rule(
        422,
        "A field (of the body, query, path or headers) breaks a rule, or the query names a parameter this "
        "route does not take; `errors` names each one.",
        lambda f: True,
    ),
    Rule(429, "Too many attempts; try again after `Retry-After` seconds.", lambda f: 429 in f.raises),
    Rule(503, "The database is unreachable or busy; try again after `Retry-After` seconds.", lambda f: f.uses_database),
)
RETRY_AFTER_STATUSES = frozenset({429, 503})


def documented_problems(facts: RouteFacts) -> dict[int, str]:
    """Status -> description of every problem answer this route may give."""
    statuses = {rule.status: rule.description for rule in RULES if rule.applies(facts)}
    for status in sorted(facts.raises - statuses.keys()):
        statuses[status] = HTTPStatus(status).description
    return dict(sorted(statuses.items()))


def raw_body(media_type: str, description: str, *, required: bool = False) -> type[Operation]:
    """`operation_class=` for a handler that reads its own body (a CSV upload): documents that body."""

    @dataclass
    class RawBodyOperation(Operation):
        raw_body_media_type = media_type

        def __post_init__(self) -> None:
            if self.request_body is None:
                self.request_body = RequestBody(
                    content={media_type: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
                    description=description,
                    required=required,
                )

    return RawBodyOperation


def _documented_operation(base: type[Operation], *, public: bool, problems: frozenset[int]) -> type[Operation]:
    """The handler's operation class, finishing what `responses=` cannot say."""

    @dataclass
    class DocumentedOperation(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            post_init = getattr(super(), "__post_init__", None)
            if post_init is not None:
                post_init()
            if public:
                # The document's default is the bearer token; an empty list says "no sign-in needed".
                self.security: list[dict[str, list[str]]] = []
            for key, response in list((self.responses or {}).items()):
                status = int(key) if key.isdigit() else 0
                if status >= 400 and status not in problems:
                    # Litestar's generic `400 ValidationException` (application/json) is not what we send.
                    del self.responses[key]
                elif status in RETRY_AFTER_STATUSES and isinstance(response, OpenAPIResponse):
                    response.headers = {
                        **(response.headers or {}),
                        "Retry-After": OpenAPIHeader(
                            schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
                            description="Seconds to wait before trying again.",
                        ),
                    }

    DocumentedOperation.__name__ = DocumentedOperation.__qualname__ = f"Documented{base.__name__}"
    return DocumentedOperation


def _chain(*hooks: Any) -> Callable[[Request], Awaitable[Any]]:
    """One before-request hook running each of `hooks` in turn; the first answer wins."""
    present = [hook for hook in hooks if hook is not None]

    async def before_request(request: Request) -> Any:
        for hook in present:
            answer = hook(request)
            if isawaitable(answer):
                answer = await answer
            if answer is not None:
                return answer
        return None

    return before_request


def _needs(kwargs_model: Any, names: frozenset[str]) -> bool:
    """Whether the handler's dependency graph (every node, Litestar resolves it in batches) reaches one of `names`."""
    return any(dependency.key in names for batch in kwargs_model.dependency_batches for dependency in batch)


class ContractPlugin(InitPlugin, ReceiveRoutePlugin):
    """Documents the problem answers of every HTTP route as Litestar registers it (see `RULES`), and holds each
    route to the query parameters and methods its document lists."""

    __slots__ = ("_auth_excludes", "_auth_opt_key", "_methods", "_query_names")

    def __init__(self, auth: JWTAuth) -> None:
        excludes = auth.exclude if isinstance(auth.exclude, list) else [auth.exclude] if auth.exclude else []
        self._auth_excludes = [re.compile(pattern) for pattern in excludes]
        self._auth_opt_key = auth.exclude_opt_key
        self._methods: dict[str, frozenset[str]] = {}
        self._query_names: dict[HTTPRouteHandler, frozenset[str]] = {}

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.before_send.append(self._allow_every_method)
        app_config.before_request = _chain(self._refuse_unknown_query_parameters, app_config.before_request)
        return app_config

    async def _refuse_unknown_query_parameters(self, request: Request) -> None:
        known = self._query_names.get(request.scope["route_handler"])  # type: ignore[arg-type]
        if known is None:
            return
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            takes = ", ".join(sorted(known)) or "none"
            raise Invalid.of(
                [FieldError(name, f"unknown query parameter; this route takes: {takes}") for name in unknown]
            )

    async def _allow_every_method(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        methods = self._methods.get(scope.get("path_template", ""))
        headers = MutableScopeHeaders.from_message(message)
        if methods and "allow" in headers:
            headers["allow"] = ", ".join(sorted(methods))

    def facts(self, route: HTTPRoute, handler: HTTPRouteHandler, kwargs_model: Any) -> RouteFacts:
        public = bool(handler.opt.get(self._auth_opt_key)) or any(p.search(route.path) for p in self._auth_excludes)
        raw = getattr(handler.operation_class, "raw_body_media_type", None) is not None
        takes_body = raw or "data" in kwargs_model.expected_reserved_kwargs
        return RouteFacts(
            methods=frozenset(handler.http_methods),
            public=public,
            # A guard every role passes (lending.access.Allow.may_refuse) can answer 401, never 403.
            guarded=any(getattr(getattr(g, "func", g), "may_refuse", True) for g in handler.resolve_guards()),
            names_a_resource=bool(route.path_parameters),
            takes_body=takes_body,
            # Every signed-in request looks its user up, so only public routes can stay clear of the database.
            # A public route that reaches the database some other way (sign-in's own sessions) says so in its opt.
            uses_database=not public
            or _needs(kwargs_model, DATABASE_DEPENDENCIES)
            or bool(handler.opt.get(USES_DATABASE)),
            raises=frozenset(e.status_code for e in (handler.raises or []) if issubclass(e, HTTPException)),
        )

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        self._methods[route.path_format] = frozenset(route.methods)
        for handler, kwargs_model in route.route_handler_map.values():
            if not handler.resolve_include_in_schema():
                continue
            self._query_names[handler] = frozenset(p.field_alias for p in kwargs_model.expected_query_params)
            facts = self.facts(route, handler, kwargs_model)
            problems = documented_problems(facts)
            own = dict(handler.responses or {})
            handler.responses = {
                **{
                    status: ResponseSpec(
                        data_container=Problem, description=text, media_type=PROBLEM_JSON, generate_examples=False
                    )
                    for status, text in problems.items()
                },
                **own,
            }
            handler.operation_class = _documented_operation(
                handler.operation_class, public=facts.public, problems=frozenset(problems) | frozenset(own)
            )


class ClosedModels(PydanticSchemaPlugin):
    """Pydantic models as closed objects: `additionalProperties: false` unless the model allows extra keys."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        model = field_definition.annotation
        if model.model_config.get("extra") != "allow":
            schema.additional_properties = False
        if model.model_config.get("serialize_by_alias") and schema.properties:
            # A model that answers by its aliases (a report's period: `from`, a Python keyword) is documented so.
            names = {
                name: field.serialization_alias or field.alias or name for name, field in model.model_fields.items()
            }
            schema.properties = {names.get(k, k): v for k, v in schema.properties.items()}
            schema.required = [names.get(k, k) for k in schema.required or []] or None
        return schema


class JsonBodies(PydanticInitPlugin):
    """Request bodies are validated as JSON: their types are the document's, not what pydantic could convert."""

    @classmethod
    def decoders(cls, validate_strict: bool = False) -> list[tuple[Callable[[Any], bool], Callable[[Any, Any], Any]]]:
        return [(_is_model, _validate_json_body), *super().decoders(validate_strict)]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _validate_json_body(model_type: type[BaseModel], value: Any) -> BaseModel:
    try:
        return model_type.model_validate(value, context={JSON_BODY: True})
    except ValidationError as exc:
        # The error type Litestar turns into its 400/422 with each field named, as its own pydantic decoder does.
        hide_input = model_type.model_config.get("hide_input_in_errors", False)
        errors = exc.errors(include_input=not hide_input)
        raise ExtendedMsgSpecValidationError(errors=errors) from exc  # type: ignore[arg-type]


def contract_plugins(auth: JWTAuth) -> list[Any]:
    """The plugins `create_app` installs so that the OpenAPI document says what the API answers."""
    return [ContractPlugin(auth), ClosedModels(), JsonBodies()]
