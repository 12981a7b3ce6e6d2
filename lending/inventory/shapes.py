"""What each actor sees of an asset: SIM voucher codes are for those the policy lets see them, never the desk."""

from __future__ import annotations

from lending.access import Actor, may
from lending.inventory.models import Asset, Donation
from lending.inventory.schemas import AssetOut, AssetStaffOut, DonationOut, DonationStaffDetail


def sees_vouchers(actor: Actor) -> bool:
    return may(actor.role, "assets.see_vouchers")


def present_asset(asset: Asset, actor: Actor) -> AssetStaffOut | AssetOut:
    return (AssetStaffOut if sees_vouchers(actor) else AssetOut).model_validate(asset)


def present_donation(donation: Donation, assets: list[Asset]) -> DonationStaffDetail:
    """Donations are staff business, so their assets are shown with voucher codes."""
    return DonationStaffDetail.model_validate(
        {
            **DonationOut.model_validate(donation).model_dump(),
            "assets": [AssetStaffOut.model_validate(a) for a in assets],
        }
    )
