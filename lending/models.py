"""Every table, imported in one place so the metadata (and so Alembic) sees the whole schema."""

from lending.accounts.models import User
from lending.audit.models import AuditEntry
from lending.centres.models import Centre
from lending.core.db import Base
from lending.schools.models import School
from lending.families.models import Family, ImdPostcode, Nomination, NominationEvent
from lending.inventory.models import Asset, AssetEvent, AssetTagSequence, Donation, Donor, WipeCertificate

__all__ = ["Asset", "AssetEvent", "AssetTagSequence", "AuditEntry", "Base", "Centre", "Donation", "Donor", "Family",
           "ImdPostcode", "Nomination", "NominationEvent", "School", "User", "WipeCertificate"]
