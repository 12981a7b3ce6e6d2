"""A small, fully known dataset for the reports: every figure the tests expect can be counted from this file.

Rows are written directly (the tests are about the figures, not about issuing loans over HTTP), dated from now so
that the suite means the same next year. Family names and full postcodes are marked so a test can show that no
report ever carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending.access import Actor
from lending.accounts.models import Role
from lending.audit.recorder import set_actor
from lending.centres.models import Centre
from lending.families.models import Family, Nomination, NominationStatus
from lending.inventory.models import (
    NOT_DEVICES,
    Asset,
    AssetEvent,
    AssetEventKind,
    AssetKind,
    Donation,
    Donor,
    DonorKind,
    Status,
)
from lending.inventory.tags import Tag
from lending.loans.models import ItemOutcome, Loan, LoanItem, LoanStatus
from lending.schools.models import School
from tests.support import Actor as TestActor

SECRET_NAME = "Secretsurname"
SECRET_POSTCODES = ("B12 9ZZ", "B11 4QQ")


def ago(days: int) -> datetime:
    """A moment `days` days before now; whole days apart, so that durations between them are exact."""
    return NOW - timedelta(days=days)


NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


@dataclass
class Known:
    """Ids of what the dataset made, by the names the tests use."""

    centres: dict[str, int] = field(default_factory=dict)
    schools: dict[str, int] = field(default_factory=dict)
    donors: dict[str, int] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)
    assets: dict[str, str] = field(default_factory=dict)  # name -> tag
    loans: dict[str, int] = field(default_factory=dict)
    # When each loan was issued, for the figures that depend on today's date (months, "this year").
    issued: dict[str, date] = field(default_factory=dict)


# name: (donor, centre, received days ago)
DONATIONS = {"D1a": ("D1", "North", 300), "D1b": ("D1", "North", 500), "D2": ("D2", "South", 10)}

# name: (kind, status, days since its status changed, centre, donation)
ASSETS = {
    "A1": (AssetKind.laptop, Status.on_loan, 30, "North", "D1a"),
    "A2": (AssetKind.laptop, Status.on_loan, 60, "North", "D1a"),
    "A3": (AssetKind.tablet, Status.returned, 20, "North", "D1a"),
    "A4": (AssetKind.laptop, Status.gifted, 100, "South", "D1a"),
    "A5": (AssetKind.accessory, Status.gifted, 100, "South", None),
    "A6": (AssetKind.chromebook, Status.on_loan, 10, "South", "D1a"),
    "A7": (AssetKind.laptop, Status.on_loan, 45, "North", "D2"),
    "A8": (AssetKind.phone, Status.ready, 390, "South", None),
    "A9": (AssetKind.laptop, Status.ready, 145, "North", "D1a"),
    "A10": (AssetKind.laptop, Status.ready, 40, "North", "D1a"),
    "A11": (AssetKind.laptop, Status.received, 50, "North", None),
    "A12": (AssetKind.tablet, Status.in_refurbishment, 10, "South", "D2"),
    "A13": (AssetKind.desktop, Status.retired, 60, "North", "D1a"),
    "A14": (AssetKind.sim, Status.ready, 21, "North", None),
    "A15": (AssetKind.laptop, Status.retired, 480, "North", "D1b"),
    "S1": (AssetKind.sim, Status.on_loan, 30, "North", None),
    "S2": (AssetKind.sim, Status.on_loan, 45, "North", None),
}
SIM_EXPIRES_IN = {"S1": 10, "S2": 200, "A14": 5}

# name: (district, postcode, children)
FAMILIES = {
    "F1": ("B12", "B12 9ZZ", 1),
    "F2": ("B12", "B12 9ZZ", 2),
    "F3": ("B12", "B12 9ZZ", 3),
    "F4": ("B12", "B12 9ZZ", 1),
    "F5": ("B12", "B12 9ZZ", 2),
    "F6": ("B11", "B11 4QQ", 2),
    "F7": ("B11", "B11 4QQ", 4),
    "F8": ("B12", "B12 9ZZ", 5),
    "F9": (None, None, 1),
}

# name: (family, school or None, days the nomination waited before the loan, centre, issued days ago, due in days,
#        items, status, closed days ago)
LOANS = {
    "L1": ("F1", "Oak", 10, "North", 30, 5, ["A1", "S1"], LoanStatus.active, None),
    "L2": ("F2", "Oak", 2, "North", 60, -3, ["A2"], LoanStatus.active, None),
    "L3": ("F3", "Oak", 30, "North", 90, -30, ["A3"], LoanStatus.returned, 20),
    "L4": ("F4", "Oak", 6, "South", 120, -30, ["A4", "A5"], LoanStatus.gifted, 100),
    "L5": ("F5", "Oak", 4, "South", 10, 30, ["A6"], LoanStatus.active, None),
    "L6": ("F6", "Elm", 8, "North", 45, 20, ["A7", "S2"], LoanStatus.active, None),
    "L7": ("F7", None, 0, "South", 500, -420, ["A8"], LoanStatus.returned, 400),
    "L8": ("F1", "Oak", 20, "North", 200, -50, ["A9"], LoanStatus.returned, 150),
}

# Nominations still waiting (or not), with no loan: (family, school, status, submitted days ago)
OPEN_NOMINATIONS = [
    ("F8", "Oak", NominationStatus.submitted, 40),
    ("F6", "Elm", NominationStatus.waitlisted, 20),
    ("F9", "Oak", NominationStatus.approved, 5),
    ("F8", "Elm", NominationStatus.declined, 50),
]

# Asset events giving received-to-ready durations: (asset, came in days ago, as, ready days ago)
REFURBISHED = [
    ("A10", 44, Status.received, 40),  # 4 days
    ("A9", 260, Status.received, 250),  # 10 days
    ("A9", 150, Status.returned, 145),  # 5 days
    ("A2", 100, Status.received, 80),  # 20 days
]


async def build(sessions: async_sessionmaker[AsyncSession]) -> Known:
    known = Known()
    async with sessions() as session, session.begin():
        set_actor(session, user_id=None, label="test-setup")
        centres = {name: Centre(name=f"{name} Hub", postcode="B1 1AA") for name in ("North", "South")}
        schools = {
            "Oak": School(name="Oak Primary", urn="900001"),
            "Elm": School(name="Elm Academy", urn="900002"),
        }
        donors = {
            "D1": Donor(name="Acme Ltd", kind=DonorKind.business),
            "D2": Donor(name="Jo Giver", kind=DonorKind.individual),
        }
        session.add_all([*centres.values(), *schools.values(), *donors.values()])
        await session.flush()
        donations = {
            "D1a": Donation(
                donor_id=donors["D1"].id, centre_id=centres["North"].id, received_on=TODAY - timedelta(300)
            ),
            "D1b": Donation(
                donor_id=donors["D1"].id, centre_id=centres["North"].id, received_on=TODAY - timedelta(500)
            ),
            "D2": Donation(donor_id=donors["D2"].id, centre_id=centres["South"].id, received_on=TODAY - timedelta(10)),
        }
        families = {
            name: Family(
                lead_name=f"{SECRET_NAME} {name}",
                phone=None,
                address="1 Hidden Street",
                postcode=postcode,
                postcode_district=district,
                children=children,
                school_age_children=children,
            )
            for name, (district, postcode, children) in FAMILIES.items()
        }
        session.add_all([*donations.values(), *families.values()])
        await session.flush()
        assets: dict[str, Asset] = {}
        for n, (name, (kind, status, days, centre, donation)) in enumerate(ASSETS.items(), start=1):
            expires = SIM_EXPIRES_IN.get(name)
            assets[name] = Asset(
                tag=str(Tag("RPT", n)),
                kind=kind,
                status=status,
                status_changed_at=ago(days),
                intake_at=ago(days),
                centre_id=centres[centre].id,
                donation_id=donations[donation].id if donation else None,
                expires_on=TODAY + timedelta(days=expires) if expires is not None else None,
            )
        session.add_all(assets.values())
        await session.flush()
        for name, came_in, status, ready in REFURBISHED:
            # As the asset service writes them: the move to ready keeps when the asset came in.
            for days, from_status, to_status, intake_at in (
                (came_in, None, status, None),
                (ready, Status.in_refurbishment, Status.ready, ago(came_in)),
            ):
                session.add(
                    AssetEvent(
                        asset_id=assets[name].id,
                        occurred_at=ago(days),
                        kind=AssetEventKind.transition,
                        actor_label="test-setup",
                        from_status=from_status,
                        to_status=to_status,
                        intake_at=intake_at,
                    )
                )
        # A14 came in already ready (imported with its wipe): it has no received-to-ready duration.
        session.add(
            AssetEvent(
                asset_id=assets["A14"].id,
                occurred_at=ago(21),
                kind=AssetEventKind.created,
                actor_label="test-setup",
                to_status=Status.ready,
            )
        )
        for family, school, status, days in OPEN_NOMINATIONS:
            session.add(
                Nomination(
                    family_id=families[family].id,
                    school_id=schools[school].id,
                    laptops=1,
                    status=status,
                    submitted_at=ago(days),
                )
            )
        for name, (family, school, waited, centre, issued, due, items, status, closed) in LOANS.items():
            nomination = None
            if school is not None:
                nomination = Nomination(
                    family_id=families[family].id,
                    school_id=schools[school].id,
                    laptops=1,
                    status=NominationStatus.fulfilled,
                    submitted_at=ago(issued + waited),
                )
                session.add(nomination)
                await session.flush()
            loan = Loan(
                family_id=families[family].id,
                nomination_id=nomination.id if nomination else None,
                school_id=nomination.school_id if nomination else None,
                nominated_at=nomination.submitted_at if nomination else None,
                postcode_district=families[family].postcode_district,
                centre_id=centres[centre].id,
                status=status,
                issued_at=ago(issued),
                due_on=TODAY + timedelta(days=due),
                closed_at=ago(closed) if closed is not None else None,
                # As LoanService.issue counts them.
                device_count=sum(assets[item].kind not in NOT_DEVICES for item in items),
                sim_count=sum(assets[item].kind == AssetKind.sim for item in items),
                children=families[family].children,
            )
            session.add(loan)
            await session.flush()
            outcome = {LoanStatus.returned: ItemOutcome.returned, LoanStatus.gifted: ItemOutcome.gifted}.get(status)
            for item in items:
                session.add(
                    LoanItem(
                        loan_id=loan.id,
                        asset_id=assets[item].id,
                        ended_at=ago(closed) if closed is not None else None,
                        outcome=outcome,
                    )
                )
            known.loans[name] = loan.id
            known.issued[name] = ago(issued).date()
        known.centres = {k: v.id for k, v in centres.items()}
        known.schools = {k: v.id for k, v in schools.items()}
        known.donors = {k: v.id for k, v in donors.items()}
        known.families = {k: v.id for k, v in families.items()}
        known.assets = {k: v.tag for k, v in assets.items()}
    return known


@pytest.fixture
def staff_actor(staff: TestActor) -> Actor:
    """The `staff` fixture's user as services take it, for the figures only services give (the PDFs' data)."""
    return Actor(id=staff.id, role=Role.staff, school_id=None, home_centre_id=None, label=staff.email)


@pytest.fixture
async def known(sessions: async_sessionmaker[AsyncSession]) -> Known:
    return await build(sessions)
