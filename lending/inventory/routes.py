from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from lending.access import Actor, allow
from lending.accounts.models import User
from lending.core.csv import CSV_MEDIA_TYPE, csv_response
from lending.core.errors import Invalid
from lending.core.inputs import past_date_param
from lending.core.openapi import raw_body
from lending.core.pagination import IdQuery, ListParams, comma_list, page
from lending.core.schemas import MAX_ID
from lending.inventory import csvio
from lending.inventory.deps import provide_inventory
from lending.inventory.lifecycle import Status, allowed_moves
from lending.inventory.models import AssetKind
from lending.inventory.schemas import (
    AssetDetail,
    AssetEventOut,
    AssetOut,
    AssetStaffDetail,
    AssetStaffOut,
    AssetUpdate,
    BatchTransitionIn,
    DonationCreate,
    DonationOut,
    DonationStaffDetail,
    DonorCreate,
    DonorOut,
    DonorUpdate,
    ImportReport,
    MoveIn,
    TransitionIn,
    WipeIn,
    WipeOut,
)
from lending.inventory.service import AssetFilters, Inventory
from lending.inventory.shapes import present_asset, present_donation, sees_vouchers

MAX_IMPORT_BYTES = 20 * 1024 * 1024


async def provide_asset_filters(
    kind: str | None = Parameter(default=None, description="Comma-separated kinds."),
    status: str | None = Parameter(default=None, description="Comma-separated statuses."),
    centre_id: IdQuery = None,
    donation_id: IdQuery = None,
    q: str | None = Parameter(
        default=None, max_length=100, description="Matches tag, serial, make, model, ICCID, MSISDN, IMEI."
    ),
    sim_expiring_within_days: int | None = Parameter(default=None, ge=0, le=3660),
) -> AssetFilters:
    return AssetFilters(
        kinds=comma_list(kind, AssetKind, "kind"),
        statuses=comma_list(status, Status, "status"),
        centre_id=centre_id,
        donation_id=donation_id,
        q=q,
        sim_expiring_within_days=sim_expiring_within_days,
    )


class DonorController(Controller):
    path = "/api/v1/donors"
    tags = ["inventory"]
    guards = [allow("donors.manage")]
    dependencies = {"inventory": Provide(provide_inventory)}

    @get("/", summary="List donors (search by name with q)")
    async def list_donors(
        self,
        inventory: Inventory,
        list_params: ListParams,
        q: str | None = Parameter(default=None, max_length=200),
    ) -> OffsetPagination[DonorOut]:
        donors, total = await inventory.donors.list_donors(list_params, q=q)
        return page([DonorOut.model_validate(d) for d in donors], total, list_params)

    @post("/", summary="Create a donor")
    async def create_donor(self, data: DonorCreate, inventory: Inventory) -> DonorOut:
        return DonorOut.model_validate(await inventory.donors.create_donor(data))

    @get("/{donor_id:int}", summary="Get a donor")
    async def get_donor(self, donor_id: int, inventory: Inventory) -> DonorOut:
        return DonorOut.model_validate(await inventory.donors.get_donor(donor_id))

    @patch("/{donor_id:int}", summary="Update a donor")
    async def update_donor(self, donor_id: int, data: DonorUpdate, inventory: Inventory) -> DonorOut:
        donor = await inventory.donors.update_donor(donor_id, data.model_dump(exclude_unset=True))
        return DonorOut.model_validate(donor)


class DonationController(Controller):
    path = "/api/v1/donations"
    tags = ["inventory"]
    guards = [allow("donations.manage")]
    dependencies = {"inventory": Provide(provide_inventory)}

    @post("/", summary="Record a donation and all its assets (all or nothing)")
    async def create_donation(self, data: DonationCreate, inventory: Inventory) -> DonationStaffDetail:
        return present_donation(*await inventory.donations.create_donation(data))

    @get("/", summary="List donations")
    async def list_donations(
        self, inventory: Inventory, list_params: ListParams, donor_id: IdQuery = None, centre_id: IdQuery = None
    ) -> OffsetPagination[DonationOut]:
        items, total = await inventory.donations.list_donations(list_params, donor_id=donor_id, centre_id=centre_id)
        return page([DonationOut.model_validate(d) for d in items], total, list_params)

    @get("/{donation_id:int}", summary="A donation with its assets")
    async def get_donation(self, donation_id: int, inventory: Inventory) -> DonationStaffDetail:
        return present_donation(*await inventory.donations.get_donation(donation_id))


class AssetController(Controller):
    path = "/api/v1/assets"
    tags = ["inventory"]
    guards = [allow("assets.read")]
    dependencies = {"inventory": Provide(provide_inventory), "filters": Provide(provide_asset_filters)}

    @get("/", summary="List assets")
    async def list_assets(
        self,
        actor: Actor,
        inventory: Inventory,
        list_params: ListParams,
        filters: AssetFilters,
    ) -> OffsetPagination[AssetStaffOut | AssetOut]:
        assets, total = await inventory.assets.list_assets(list_params, filters)
        return page([present_asset(a, actor) for a in assets], total, list_params)

    @get("/{tag:str}", summary="Look an asset up by its tag (case and spaces ignored; a wrong check character is 404)")
    async def get_asset(self, actor: Actor, tag: str, inventory: Inventory) -> AssetStaffDetail | AssetDetail:
        asset = await inventory.assets.get_asset(tag)
        schema = AssetStaffDetail if sees_vouchers(actor) else AssetDetail
        return schema.model_validate(
            {
                **present_asset(asset, actor).model_dump(),
                "wipes": [WipeOut.model_validate(w) for w in await inventory.wipes.wipes_of(asset)],
                "wiped_since_intake": await inventory.assets.wiped_since_intake(asset),
                "allowed_moves": allowed_moves(Status(asset.status)),
            }
        )

    @patch("/{tag:str}", guards=[allow("assets.manage")], summary="Edit descriptive fields (not status or tag)")
    async def update_asset(
        self, actor: Actor, tag: str, data: AssetUpdate, inventory: Inventory
    ) -> AssetStaffOut | AssetOut:
        asset = await inventory.assets.update_asset(tag, data.model_dump(exclude_unset=True))
        return present_asset(asset, actor)

    @post(
        "/{tag:str}/transitions",
        status_code=200,
        guards=[allow("assets.manage")],
        summary="Move an asset through its lifecycle",
    )
    async def transition(
        self, actor: Actor, tag: str, data: TransitionIn, inventory: Inventory
    ) -> AssetStaffOut | AssetOut:
        return present_asset(await inventory.assets.change_status(tag, data), actor)

    @post(
        "/transitions",
        status_code=200,
        guards=[allow("assets.manage")],
        summary="Move many assets through their lifecycle together (all or none; each refusal names its tag)",
    )
    async def transition_many(
        self, actor: Actor, data: BatchTransitionIn, inventory: Inventory
    ) -> list[AssetStaffOut | AssetOut]:
        assets = await inventory.assets.change_many(data.tags, data.to, reason=data.reason)
        return [present_asset(a, actor) for a in assets]

    @post("/{tag:str}/wipes", guards=[allow("assets.manage")], summary="Record a wipe certificate")
    async def record_wipe(self, tag: str, data: WipeIn, inventory: Inventory) -> WipeOut:
        return WipeOut.model_validate(await inventory.wipes.record_wipe(tag, data))

    @post(
        "/{tag:str}/move", status_code=200, guards=[allow("assets.move")], summary="Transfer an asset to another centre"
    )
    async def move(self, actor: Actor, tag: str, data: MoveIn, inventory: Inventory) -> AssetStaffOut | AssetOut:
        return present_asset(await inventory.assets.move(tag, data.centre_id, data.reason), actor)

    @get("/{tag:str}/history", summary="Every transition, wipe, move and edit, oldest first")
    async def history(self, tag: str, inventory: Inventory) -> list[AssetEventOut]:
        return [AssetEventOut.model_validate(e) for e in await inventory.assets.history(tag)]

    @post(
        "/import",
        status_code=200,
        guards=[allow("assets.import")],
        operation_class=raw_body(
            "text/csv",
            "The CSV file: the export's columns, any subset with `kind`; an empty one is reported as having no header.",
        ),
        summary="Import assets from CSV (the export's columns); dry_run=true only validates",
    )
    async def import_assets(
        self,
        request: Request[User, Any, Any],
        inventory: Inventory,
        dry_run: bool = False,
        centre_id: int | None = Parameter(
            default=None, ge=1, le=MAX_ID, description="Centre for rows without one (and the donation)."
        ),
        donor_id: int | None = Parameter(
            default=None, ge=1, le=MAX_ID, description="Record the rows as one donation from this donor."
        ),
        received_on: date | None = Parameter(default=None, description="The donation's date (default today)."),
    ) -> ImportReport:
        # Spooled to a temporary file as it arrives (memory only for a small file): the import reads it in chunks.
        with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as upload:
            size = 0
            async for part in request.stream():
                size += len(part)
                if size > MAX_IMPORT_BYTES:
                    raise Invalid.field("body", f"larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
                upload.write(part)  # into the page cache: microseconds, no thread needed
            return await csvio.import_assets(
                inventory,
                upload,
                dry_run=dry_run,
                centre_id=centre_id,
                donor_id=donor_id,
                received_on=past_date_param(received_on, "received_on"),
            )


@get(
    "/api/v1/assets.csv",
    guards=[allow("assets.export")],
    tags=["inventory"],
    media_type=CSV_MEDIA_TYPE,
    dependencies={"inventory": Provide(provide_inventory), "filters": Provide(provide_asset_filters)},
    summary="The asset list as CSV (same filters; voucher codes for staff and admin only)",
)
async def export_assets(
    actor: Actor, inventory: Inventory, filters: AssetFilters, sort: str | None = None
) -> Response[str]:
    assets = await inventory.assets.all_assets(filters, sort=sort)
    text = await csvio.export_assets(inventory, assets, include_vouchers=sees_vouchers(actor))
    return csv_response(text, "assets.csv")
