"""The shapes of every report: what the API answers, the CSV columns, and what the pages and PDFs draw.

People are counted, never shown: places are postcode districts only, and a count of families (or of their
children) under SMALL_GROUP is replaced by "<5" so that nobody can be singled out (`suppress`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from lending.core.schemas import OutSchema
from lending.inventory.models import AssetKind, DonorKind, Status

SMALL_GROUP = 5
SUPPRESSED: Literal["<5"] = "<5"
# A count of people: exact from SMALL_GROUP families up, "<5" below (zero stays 0: an empty group singles nobody out).
PeopleCount = int | Literal["<5"]


def suppress(families: int, value: int | None = None) -> PeopleCount:
    """`value` (or the families count itself) as shown for a group of `families` families."""
    shown = families if value is None else value
    return SUPPRESSED if 0 < families < SMALL_GROUP else shown


class GroupBy(enum.StrEnum):
    month = "month"
    school = "school"
    centre = "centre"
    postcode_district = "postcode_district"
    kind = "kind"


class Period(OutSchema):
    """The days a report covers, both inclusive. `Period(from_=..., to=...)` or `{"from": ..., "to": ...}`; it
    answers as `from` (a Python keyword, hence the field's name)."""

    model_config = ConfigDict(
        from_attributes=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    from_: date = Field(alias="from", serialization_alias="from")
    to: date

    @model_serializer(mode="wrap")
    def _by_alias(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Litestar dumps answers with by_alias=False, which would override the config: `from` is said here.
        dumped: dict[str, Any] = handler(self)
        if "from_" in dumped:
            dumped["from"] = dumped.pop("from_")
        return {"from": dumped.pop("from"), **dumped}


# --- summary ---------------------------------------------------------------------------------------------


class AssetCount(OutSchema):
    kind: AssetKind
    status: Status
    count: int


class LoanFigures(OutSchema):
    active: int
    overdue: int
    due_in_14_days: int


class NominationFigures(OutSchema):
    waiting: int = Field(description="Nominations submitted, approved or waitlisted: not yet lent against.")
    oldest_wait_days: int | None = Field(description="Days since the oldest waiting nomination was submitted.")


class Reach(OutSchema):
    families: PeopleCount = Field(description="Families with a loan issued; '<5' under 5.")
    children: PeopleCount = Field(description="Their children; '<5' when the families are under 5.")
    devices_lent: int = Field(description="Devices (not SIMs or accessories) lent.")
    sims_lent: int
    devices_gifted: int = Field(description="Devices (not SIMs or accessories) given to families for good.")


class Summary(OutSchema):
    as_of: date
    centre_id: int | None
    assets: list[AssetCount] = Field(description="Assets by kind and status; combinations with none are left out.")
    loans: LoanFigures
    nominations: NominationFigures = Field(description="Nominations belong to no centre: network-wide always.")
    sims_expiring_in_30_days: int = Field(description="SIMs on loan whose plan ends within 30 days (or has ended).")
    since_start: Reach
    this_year: Reach = Field(description="Since 1 January of the current year.")


# --- loans -----------------------------------------------------------------------------------------------


class LoanGroup(OutSchema):
    group: str = Field(description="2026-03, a school or centre name, a postcode district (B12) or a kind.")
    group_id: int | None = Field(description="The school's or centre's id when grouped by those.")
    loans_issued: int
    loans_returned: int
    families: PeopleCount
    children: PeopleCount


class LoansReport(OutSchema):
    period: Period
    group_by: GroupBy
    centre_id: int | None
    school_id: int | None = Field(description="Set for a school's user: the report covers its own school only.")
    groups: list[LoanGroup]
    total: LoanGroup


# --- pipeline --------------------------------------------------------------------------------------------


class Durations(OutSchema):
    count: int
    median_days: float | None
    p90_days: float | None


class StuckAsset(OutSchema):
    tag: str
    kind: AssetKind
    status: Status
    centre_id: int
    since: datetime
    days: int


class Pipeline(OutSchema):
    period: Period
    centre_id: int | None
    stuck_days: int
    received_to_ready: Durations
    nomination_to_loan: Durations
    loan_length: Durations
    stuck: list[StuckAsset]
    stuck_total: int


# --- donations and donors --------------------------------------------------------------------------------


class DonorFigures(OutSchema):
    donor_id: int
    name: str
    kind: DonorKind
    donations: int
    assets_donated: int
    lent: int = Field(description="Assets lent at least once.")
    gifted: int
    retired: int


class DonationsReport(OutSchema):
    period: Period
    donors: list[DonorFigures]
    total: DonorFigures


class Bar(OutSchema):
    """One bar of a chart or one row of its text table."""

    label: str
    value: PeopleCount


class DonorImpact(OutSchema):
    donor_id: int
    donor_name: str
    period: Period | None
    given: list[Bar] = Field(description="Assets given, by kind.")
    devices_reached_families: int
    families: PeopleCount
    children: PeopleCount
    districts: list[Bar] = Field(description="Families reached per postcode district.")
    schools: list[Bar] = Field(description="Families reached per nominating school.")
    loans_by_month: list[Bar]


class FunderReport(OutSchema):
    period: Period
    reach: Reach
    loans: LoanFigures
    loans_by_month: list[LoanGroup]
    pipeline: list[Bar] = Field(description="Assets by status, now.")
    districts: list[LoanGroup]
