"""The list convention: `?limit=&offset=&sort=` in, `{"items","total","limit","offset"}` out."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from advanced_alchemy.filters import LimitOffset
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import OffsetPagination
from litestar.params import Parameter
from sqlalchemy import Select

from lending.core.errors import Invalid
from lending.core.schemas import MAX_ID

# An id in a query string (a filter): a positive BIGINT, or absent.
IdQuery = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]

MAX_LIMIT = 500
# Far beyond any list Lending holds, and small enough for every database's OFFSET.
MAX_OFFSET = 10**9
E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True)
class ListParams:
    limit: int = 50
    offset: int = 0
    sort: str | None = None


async def provide_list_params(
    limit: int = Parameter(query="limit", default=50, ge=1, le=MAX_LIMIT, description="Page size."),
    offset: int = Parameter(query="offset", default=0, ge=0, le=MAX_OFFSET, description="Rows to skip."),
    sort: str | None = Parameter(
        query="sort", default=None, description="Field to sort by; prefix with '-' for descending."
    ),
) -> ListParams:
    return ListParams(limit=limit, offset=offset, sort=sort)


def comma_list(raw: str | None, enum: type[E], field: str) -> list[E]:
    """`?status=ready,received` → [Status.ready, Status.received]; an unknown value is a 422 naming the field."""
    values: list[E] = []
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        try:
            values.append(enum(part.strip()))
        except ValueError:
            choices = ", ".join(str(e.value) for e in enum)
            raise Invalid.field(field, f"unknown value '{part.strip()}'; choose from: {choices}") from None
    return values


def order_by(sort: str | None, allowed: Mapping[str, Any], default: str) -> list[Any]:
    """Translate `-name` into ORDER BY clauses; an unknown field is the client's mistake (422)."""
    key = sort or default
    descending = key.startswith("-")
    name = key.lstrip("-+")
    if name not in allowed:
        raise Invalid.field("sort", f"cannot sort by '{name}'; choose one of: {', '.join(sorted(allowed))}")
    column = allowed[name]
    return [column.desc() if descending else column.asc()]


async def list_page(
    repo: SQLAlchemyAsyncRepository,
    params: ListParams,
    *where: Any,
    sortable: Mapping[str, Any],
    default_sort: str,
    statement: Select | None = None,
    **kwargs: Any,
) -> tuple[list[Any], int]:
    """One page of `repo`'s rows matching `where`, sorted by an allowed field, with the total count."""
    ordering = order_by(params.sort, sortable, default_sort)
    # The primary key breaks ties so that pages never overlap or skip rows.
    ordering.append(repo.model_type.id.asc())
    # Two queries, not count(*) OVER (): the window makes the database read and sort every matching row before the
    # LIMIT, where the page alone can walk an index in order and stop after `limit` rows (100,000 assets).
    rows, total = await repo.list_and_count(
        LimitOffset(limit=params.limit, offset=params.offset),
        *where,
        order_by=ordering,
        statement=statement,
        count_with_window_function=False,
        **kwargs,
    )
    return list(rows), total


def page(items: list[Any], total: int, params: ListParams) -> OffsetPagination:
    return OffsetPagination(items=items, total=total, limit=params.limit, offset=params.offset)
