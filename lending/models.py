"""Every table, imported in one place so the metadata (and so Alembic) sees the whole schema."""

from lending.accounts.models import User
from lending.audit.models import AuditEntry
from lending.centres.models import Centre
from lending.core.db import Base

__all__ = ["AuditEntry", "Base", "Centre", "User"]
