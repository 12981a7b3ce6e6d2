"""Every table, imported in one place so the metadata (and so Alembic) sees the whole schema."""

from lending.accounts.models import User
from lending.audit.models import AuditEntry
from lending.centres.models import Centre
from lending.core.db import Base
from lending.documents.models import LabelCalibration
from lending.families.models import Family, ImdPostcode, Nomination, NominationEvent, PossibleDuplicate
from lending.inventory.models import Asset, AssetEvent, AssetTagSequence, Donation, Donor, WipeCertificate
from lending.loans.models import IdempotencyKey, Loan, LoanAcceptance, LoanAddendum, LoanExtension, LoanItem
from lending.messages.models import Message, ReminderRun
from lending.schools.models import School
from lending.stocktakes.models import Stocktake, StocktakeLine, StocktakeScan

__all__ = [
    "Asset",
    "AssetEvent",
    "AssetTagSequence",
    "AuditEntry",
    "Base",
    "Centre",
    "Donation",
    "Donor",
    "Family",
    "IdempotencyKey",
    "ImdPostcode",
    "LabelCalibration",
    "Loan",
    "LoanAcceptance",
    "LoanAddendum",
    "LoanExtension",
    "LoanItem",
    "Message",
    "Nomination",
    "NominationEvent",
    "PossibleDuplicate",
    "ReminderRun",
    "School",
    "Stocktake",
    "StocktakeLine",
    "StocktakeScan",
    "User",
    "WipeCertificate",
]
