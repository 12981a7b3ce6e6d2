"""Counting a centre's shelf at the desk: start, scan everything, see what is found, missing, unexpected or in the
wrong status, move an unexpected asset here, finish to keep the count. The same service as /api/v1/stocktakes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from lending.access import Actor, allow
from lending.centres.deps import provide_centre_service
from lending.centres.service import CentreService
from lending.core.errors import Conflict, DomainError, NotFound
from lending.core.pagination import ListParams
from lending.inventory.deps import provide_assets
from lending.inventory.service import AssetService
from lending.stocktakes.deps import provide_stocktakes
from lending.stocktakes.models import Outcome
from lending.stocktakes.service import StocktakeService
from lending.web.render import FormErrors, form_dict, is_htmx, page, page_or_part

OUTCOMES = [
    (Outcome.found, "Found", "On the shelf and recorded here."),
    (Outcome.missing, "Missing", "Recorded here, not scanned."),
    (Outcome.unexpected, "Unexpected", "Scanned here, recorded at another centre."),
    (Outcome.wrong_status, "Wrong status", "Scanned, but its status says it should not be on a shelf."),
]


async def _centres(centres: CentreService) -> list[Any]:
    items, _ = await centres.list(ListParams(limit=500), active=True)
    return items


class StocktakePages(Controller):
    path = "/desk/stocktake"
    guards = [allow("desk.use")]
    include_in_schema = False
    dependencies = {
        "stocktakes": Provide(provide_stocktakes),
        "centres": Provide(provide_centre_service),
        "assets": Provide(provide_assets),
    }

    @get("/", guards=[allow("stocktakes.read")])
    async def index(self, actor: Actor, stocktakes: StocktakeService, centres: CentreService) -> Response[Any]:
        counts, _ = await stocktakes.list_stocktakes(ListParams(limit=20), centre_id=None, statuses=[])
        return page(
            "stocktake/index.html",
            counts=counts,
            centres=await _centres(centres),
            chosen=actor.home_centre_id,
            errors={},
        )

    @post("/", guards=[allow("stocktakes.count")])
    async def start(
        self, request: Request[Any, Any, Any], actor: Actor, stocktakes: StocktakeService, centres: CentreService
    ) -> Response[Any]:
        form = await form_dict(request)
        try:
            centre_id = int(form.get("centre_id") or 0)
        except ValueError:
            centre_id = 0
        try:
            if not centre_id:
                raise DomainError("Choose the centre whose shelf you are counting.")
            count = await stocktakes.start(centre_id, actor)
        except Conflict as exc:
            if existing := exc.extra.get("existing_id"):
                # The count already open there is the one to carry on with.
                return Redirect(f"/desk/stocktake/{existing}?{urlencode({'note': exc.detail})}", status_code=303)
            raise
        except DomainError as exc:
            listed, _ = await stocktakes.list_stocktakes(ListParams(limit=20), centre_id=None, statuses=[])
            errors = FormErrors.of(exc)
            if "form" in errors:
                errors["centre_id"] = errors.pop("form")
            return page(
                "stocktake/index.html",
                status_code=exc.status if exc.status != 400 else 422,
                counts=listed,
                centres=await _centres(centres),
                chosen=centre_id,
                errors=errors,
            )
        return Redirect(f"/desk/stocktake/{count.id}", status_code=303)

    @get("/{stocktake_id:int}", guards=[allow("stocktakes.read")])
    async def count(
        self, request: Request[Any, Any, Any], stocktake_id: int, stocktakes: StocktakeService
    ) -> Response[Any]:
        return await self._show(request, stocktakes, stocktake_id)

    async def _show(
        self,
        request: Request[Any, Any, Any],
        stocktakes: StocktakeService,
        stocktake_id: int,
        *,
        scan: Any = None,
        error: str | None = None,
        typed: str = "",
        status_code: int = 200,
    ) -> Response[Any]:
        count = await stocktakes.count(stocktake_id)
        note = request.query_params.get("note")
        context = {
            "count": count,
            "outcomes": OUTCOMES,
            "scan": scan,
            "error": error,
            "typed": typed,
            "note": note if isinstance(note, str) else None,
        }
        response = page_or_part(request, "stocktake/count.html", "stocktake/_results.html", **context)
        response.status_code = status_code
        return response

    @post("/{stocktake_id:int}/scans", guards=[allow("stocktakes.count")])
    async def scan(
        self, request: Request[Any, Any, Any], actor: Actor, stocktake_id: int, stocktakes: StocktakeService
    ) -> Response[Any]:
        form = await form_dict(request)
        tag = str(form.get("tag") or "").strip()
        try:
            if not tag:
                raise DomainError("Scan or type a tag.")
            result = await stocktakes.scan(stocktake_id, tag, actor)
        except NotFound:
            raise  # no such count: the 404 page
        except DomainError as exc:
            # A bad or unknown tag (422), a finished count (409): said next to the box, which keeps what was typed.
            status = exc.status if exc.status in {409, 422} else 422
            return await self._show(request, stocktakes, stocktake_id, error=exc.detail, typed=tag, status_code=status)
        if not is_htmx(request):
            return Redirect(f"/desk/stocktake/{stocktake_id}?{urlencode({'note': _said(result)})}", status_code=303)
        return await self._show(request, stocktakes, stocktake_id, scan=result)

    @post("/{stocktake_id:int}/move", guards=[allow("assets.move")])
    async def move_here(
        self,
        request: Request[Any, Any, Any],
        stocktake_id: int,
        stocktakes: StocktakeService,
        assets: AssetService,
    ) -> Response[Any]:
        form = await form_dict(request)
        count = await stocktakes.count(stocktake_id)
        tag = str(form.get("tag") or "")
        await assets.move(tag, count.centre_id, f"found on the shelf in stocktake {stocktake_id}")
        note = f"{tag.upper()} is now recorded at {count.centre_name}."
        return Redirect(f"/desk/stocktake/{stocktake_id}?{urlencode({'note': note})}", status_code=303)

    @post("/{stocktake_id:int}/finish", guards=[allow("stocktakes.count")])
    async def finish(self, actor: Actor, stocktake_id: int, stocktakes: StocktakeService) -> Response[Any]:
        await stocktakes.finish(stocktake_id, actor)
        note = urlencode({"note": "Count finished and kept."})
        return Redirect(f"/desk/stocktake/{stocktake_id}?{note}", status_code=303)


def _said(result: Any) -> str:
    label = {o: name for o, name, _ in OUTCOMES}[result.outcome]
    again = " (already counted)" if result.already_counted else ""
    return f"{result.item.tag}: {label}{again}."
