"""The volunteer's desk: scan a tag and see its card; take a stack of returns back by scanning.

Every page reads through the same services and shapes as the API (GET /api/v1/assets/{tag},
/api/v1/loans/by-tag/{tag}, POST /api/v1/loans/{id}/returns), so the desk never shows what the API would refuse: a
volunteer sees who holds a device (name and phone), never why the family qualifies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template
from pydantic import ValidationError

from lending.access import Actor, allow
from lending.centres.deps import provide_centre_service
from lending.centres.service import CentreService
from lending.core.errors import DomainError, Invalid, NotFound
from lending.families.schemas import FamilyDeskOut, FamilyOut
from lending.families.shapes import present_family
from lending.inventory.deps import provide_inventory
from lending.inventory.lifecycle import needs_wipe
from lending.inventory.models import Status
from lending.inventory.schemas import AssetOut, WipeOut
from lending.inventory.service import NOT_HERE, Inventory
from lending.inventory.shapes import present_asset
from lending.inventory.tags import BadTag, normalise_tag
from lending.loans.deps import provide_loans
from lending.loans.models import ReturnCondition
from lending.loans.schemas import LoanOut, ReturnIn
from lending.loans.service import LoanService
from lending.loans.shapes import present
from lending.web.render import FormErrors, form_dict, is_htmx, page, page_or_part

CONDITIONS = [(c.value, c.value.capitalize()) for c in ReturnCondition]
CHARGER = [("", "No charger lent"), ("yes", "Yes"), ("no", "No")]
# One return request per loan takes at most this many items (ReturnIn's limit); a bigger stack is sent in parts.
RETURN_BATCH = 20


@dataclass
class Holder:
    """The loan holding a device and its family, as the desk may see them."""

    loan: LoanOut
    family: FamilyOut | FamilyDeskOut | None

    @property
    def still_out(self) -> list[str]:
        return [i.tag for i in self.loan.items if i.ended_at is None]


@dataclass
class Card:
    asset: AssetOut
    centre_name: str
    wipe: WipeOut | None
    wipe_needed: bool
    holder: Holder | None
    actions: list[str] = field(default_factory=list)


async def holder_of(loans: LoanService, actor: Actor, loan_id: int) -> Holder:
    loan = present(await loans.view(await loans.get(loan_id)))
    try:
        family = present_family(await loans.families.get_family(loan.family_id, actor), actor)
    except NotFound:
        family = None  # a family held out of this actor's sight: the loan is still shown, without a name
    return Holder(loan=loan, family=family)


async def asset_card(tag: str, actor: Actor, inventory: Inventory, loans: LoanService, centres: CentreService) -> Card:
    asset = await inventory.assets.get_asset(tag)
    status = Status(asset.status)
    wipe = (await inventory.wipes.current_wipes([asset])).get(asset.id)
    holder = None
    loan_id = await loans.holder_of(asset.id)
    if loan_id is not None and actor.may("loans.read"):
        holder = await holder_of(loans, actor, loan_id)
    centre = await centres.get(asset.centre_id)
    actions = []
    if status is Status.ready and actor.may("loans.lend"):
        actions.append("issue")
    if holder is not None and actor.may("loans.lend"):
        actions.append("return")
    if (
        actor.may("assets.move")
        and actor.home_centre_id is not None
        and actor.home_centre_id != asset.centre_id
        and status not in NOT_HERE | {Status.retired}
    ):
        actions.append("move")
    actions.append("label")
    return Card(
        asset=present_asset(asset, actor),
        centre_name=centre.name,
        wipe=WipeOut.model_validate(wipe) if wipe else None,
        wipe_needed=needs_wipe(asset) and wipe is None and status not in NOT_HERE | {Status.retired},
        holder=holder,
        actions=actions,
    )


# --- returns --------------------------------------------------------------------------------------------------


@dataclass
class BasketItem:
    tag: str
    kind: str
    description: str
    holder: Holder
    condition: str = ReturnCondition.good.value
    charger: str = ""


@dataclass
class Basket:
    items: list[BasketItem] = field(default_factory=list)
    message: str = ""  # what became of the last scan (added, already there)
    error: str = ""  # a scan refused, next to the box
    errors: dict[str, str] = field(default_factory=dict)  # per item, by tag

    @property
    def tags(self) -> list[str]:
        return [i.tag for i in self.items]


async def read_basket(form: dict[str, Any], loans: LoanService, actor: Actor) -> Basket:
    """The basket the form carries: each tag looked up again, so a device returned meanwhile drops out."""
    basket = Basket()
    holders: dict[int, Holder] = {}
    for raw in form["item"]:
        try:
            tag = normalise_tag(raw)
        except BadTag:
            continue
        if tag in basket.tags:
            continue
        try:
            await add_item(basket, tag, loans, actor, holders, form)
        except DomainError as exc:
            basket.errors[tag] = exc.detail
    return basket


async def add_item(
    basket: Basket, tag: str, loans: LoanService, actor: Actor, holders: dict[int, Holder], form: dict[str, Any]
) -> BasketItem:
    loan = await loans.active_for_tag(tag)
    holder = holders.get(loan.id) or await holder_of(loans, actor, loan.id)
    holders[loan.id] = holder
    item = next(i for i in holder.loan.items if i.tag == tag and i.ended_at is None)
    condition = str(form.get(f"condition-{tag}") or ReturnCondition.good.value)
    charger = str(form.get(f"charger-{tag}") or "")
    entry = BasketItem(
        tag=tag,
        kind=str(item.kind),
        description=" ".join(x for x in (item.make, item.model) if x) or str(item.kind),
        holder=holder,
        condition=condition if condition in {c for c, _ in CONDITIONS} else ReturnCondition.good.value,
        charger=charger if charger in {"yes", "no"} else "",
    )
    basket.items.append(entry)
    return entry


def by_loan(items: Iterable[BasketItem]) -> dict[int, list[BasketItem]]:
    grouped: dict[int, list[BasketItem]] = {}
    for item in items:
        grouped.setdefault(item.holder.loan.id, []).append(item)
    return grouped


def returns_page(request: Request[Any, Any, Any], basket: Basket, status_code: int = 200, **context: Any) -> Template:
    template = "desk/_returns_form.html" if is_htmx(request) else "desk/returns.html"
    return page(
        template,
        status_code=status_code,
        basket=basket,
        by_loan=by_loan(basket.items),
        conditions=CONDITIONS,
        charger_options=CHARGER,
        **context,
    )


class DeskPages(Controller):
    path = "/desk"
    guards = [allow("desk.use")]
    include_in_schema = False
    dependencies = {
        "inventory": Provide(provide_inventory),
        "loans": Provide(provide_loans),
        "centres": Provide(provide_centre_service),
    }

    @get("/", guards=[allow("assets.read")])
    async def home(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        inventory: Inventory,
        loans: LoanService,
        centres: CentreService,
        tag: str | None = None,
    ) -> Template:
        """The scan box; `?tag=` (the box without JavaScript) shows the card under it, or why there is none."""
        tag = (tag or "").strip()[:40]
        if not tag:
            return page_or_part(request, "desk/home.html", "desk/_scan_result.html", card=None, scanned="")
        try:
            card = await asset_card(tag, actor, inventory, loans, centres)
        except NotFound as exc:
            return Template(
                template_name="desk/_scan_result.html" if is_htmx(request) else "desk/home.html",
                context={"card": None, "scanned": tag, "scan_error": exc.detail},
                status_code=404,
            )
        return page_or_part(request, "desk/home.html", "desk/_scan_result.html", card=card, scanned=tag)

    @get("/assets/{tag:str}", guards=[allow("assets.read")])
    async def asset(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        tag: str,
        inventory: Inventory,
        loans: LoanService,
        centres: CentreService,
    ) -> Template:
        card = await asset_card(tag, actor, inventory, loans, centres)
        return page_or_part(request, "desk/home.html", "desk/_scan_result.html", card=card, scanned="")

    @post("/assets/{tag:str}/move", guards=[allow("assets.move")])
    async def move_here(self, actor: Actor, tag: str, inventory: Inventory) -> Redirect:
        """Move to the volunteer's own centre: a device found on this shelf that the records put elsewhere."""
        if actor.home_centre_id is None:
            await inventory.assets.get_asset(tag)  # an unknown tag is a 404 first, as in the API
            raise Invalid.field("centre_id", "you have no home centre: ask staff to set one")
        asset = await inventory.assets.move(tag, actor.home_centre_id, "found at the desk")
        return Redirect(f"/desk/assets/{asset.tag}", status_code=303)

    @get("/returns", guards=[allow("loans.lend")])
    async def returns_form(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        loans: LoanService,
        tag: str | None = None,
        returned: str | None = None,
    ) -> Template:
        """An empty basket, or one started from an asset card (`?tag=`), or what a confirmed return left out."""
        basket = Basket()
        if tag:
            try:
                await add_item(basket, normalise_tag(tag), loans, actor, {}, {})
            except BadTag as exc:
                basket.error = str(exc)
            except DomainError as exc:
                basket.error = exc.detail
        done = []
        for loan_id in (returned or "").split(",")[:50]:
            if loan_id.isdigit():
                try:
                    done.append(await holder_of(loans, actor, int(loan_id)))
                except NotFound:
                    continue
        return returns_page(request, basket, done=done)

    @post("/returns", guards=[allow("loans.lend")])
    async def returns(self, request: Request[Any, Any, Any], actor: Actor, loans: LoanService) -> Response[Any]:
        """A scan adds to the basket the form carries; "Confirm return" returns the whole basket, loan by loan,
        in this one request (the app commits once, or not at all when any item is refused)."""
        form = await form_dict(request, "item")
        basket = await read_basket(form, loans, actor)
        if remove := str(form.get("remove") or ""):
            basket.items = [i for i in basket.items if i.tag != remove]
            basket.message = f"Took {remove} out of the basket."
            return returns_page(request, basket, done=[])
        if form.get("confirm"):
            return await self._confirm(request, basket, loans)
        scanned = str(form.get("tag") or "").strip()[:40]
        if not scanned:
            return returns_page(request, basket, done=[])
        try:
            tag = normalise_tag(scanned)
        except BadTag as exc:
            basket.error = str(exc)
            return returns_page(request, basket, status_code=422, done=[], scanned=scanned)
        if tag in basket.tags:
            basket.message = f"{tag} is already in the basket."
            return returns_page(request, basket, done=[])
        try:
            item = await add_item(basket, tag, loans, actor, {}, form)
        except DomainError as exc:
            basket.error = exc.detail
            return returns_page(request, basket, status_code=exc.status, done=[], scanned=scanned)
        family = item.holder.family.lead_name if item.holder.family else "a family"
        basket.message = f"Added {tag}, on loan {item.holder.loan.reference} to {family}."
        return returns_page(request, basket, done=[])

    async def _confirm(self, request: Request[Any, Any, Any], basket: Basket, loans: LoanService) -> Response[Any]:
        if basket.errors:
            basket.error = "Some items can no longer be returned here; take them out of the basket first."
            return returns_page(request, basket, status_code=409, done=[])
        if not basket.items:
            basket.error = "Scan at least one item to return."
            return returns_page(request, basket, status_code=422, done=[])
        for loan_id, items in by_loan(basket.items).items():
            for start in range(0, len(items), RETURN_BATCH):
                part = items[start : start + RETURN_BATCH]
                try:
                    data = ReturnIn.model_validate(
                        {
                            "items": [
                                {
                                    "tag": i.tag,
                                    "condition": i.condition,
                                    "charger_returned": {"yes": True, "no": False}.get(i.charger),
                                }
                                for i in part
                            ]
                        }
                    )
                    await loans.return_items(loan_id, data)
                except (ValidationError, DomainError) as exc:
                    # Nothing is kept: the answer is an error, so the app does not commit what went before.
                    status = exc.status if isinstance(exc, DomainError) else 422
                    basket.error = "Nothing was returned: " + "; ".join(FormErrors.of(exc).values())
                    return returns_page(request, basket, status_code=status, done=[])
        done = ",".join(str(loan_id) for loan_id in by_loan(basket.items))
        return Redirect(f"/desk/returns?returned={done}", status_code=303)
