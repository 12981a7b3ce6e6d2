"""Litestar providers for loans."""

from __future__ import annotations

from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from lending.config import Settings
from lending.core.pagination import IdQuery, comma_list
from lending.families.service import FamilyService
from lending.inventory.service import AssetService
from lending.loans.models import LoanStatus
from lending.loans.service import LoanFilters, LoanService


async def provide_loans(db_session: AsyncSession, settings: Settings) -> LoanService:
    return LoanService(
        db_session,
        AssetService(db_session, settings.tag_prefixes),
        FamilyService(db_session, settings.priority_weights),
        settings.loan_days,
        settings=settings,
    )


async def provide_loan_filters(
    family_id: IdQuery = None,
    centre_id: IdQuery = None,
    nomination_id: IdQuery = None,
    status: str | None = Parameter(
        default=None, description="Comma-separated: active, returned, lost, stolen, gifted."
    ),
    overdue: bool | None = None,
    due_within_days: int | None = Parameter(default=None, ge=0, le=3660),
    asset_tag: str | None = Parameter(default=None, max_length=20, description="Loans that include this asset."),
    sim_expiring_within_days: int | None = Parameter(
        default=None, ge=0, le=3660, description="Active loans with a SIM expiring that soon."
    ),
) -> LoanFilters:
    return LoanFilters(
        family_id=family_id,
        centre_id=centre_id,
        nomination_id=nomination_id,
        statuses=comma_list(status, LoanStatus, "status"),
        overdue=overdue,
        due_within_days=due_within_days,
        asset_tag=asset_tag,
        sim_expiring_within_days=sim_expiring_within_days,
    )
