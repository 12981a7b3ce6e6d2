"""`lending demo`: a database filled with realistic synthetic data, for a first look and for the benchmarks.

N (`--scale`) is about the number of assets. Every asset lives a history over the two years before today: it comes
in with a donation, is wiped (devices that hold data) and made ready, is lent, comes back and goes round again,
until today finds it somewhere (received, in refurbishment, ready, on loan, returned, in repair, retired, lost,
stolen or gifted), each step recorded in its asset events. Loans run one device (or SIM) each, mostly against a
school's nomination; about one family in five is waiting (submitted, approved or waitlisted). At N = 100,000 that
is about 100,000 families, 200,000 loans and 20,000 open nominations.

Rows go in with Core executemany in batches, each batch audited as one entry (as bulk loads are), in one
transaction: a failure leaves nothing behind. It only fills an empty database: demo families mixed with real ones
would be counted in real reports and funders' PDFs, so a database holding any centre, school, donor, asset,
family, nomination or loan is refused, and there is no option to force it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from stdnum import luhn

from lending.audit.recorder import record, set_actor
from lending.centres.models import Centre
from lending.config import DEFAULT_TAG_PREFIXES
from lending.core.db import session_maker
from lending.families.models import Family, Nomination, NominationEvent, NominationStatus, Urgency
from lending.inventory.models import (
    HOLDS_DATA,
    NOT_DEVICES,
    Asset,
    AssetEvent,
    AssetEventKind,
    AssetKind,
    ConditionGrade,
    Donation,
    Donor,
    DonorKind,
    Network,
    OperatingSystem,
    RetirementReason,
    Status,
    StorageType,
    WipeCertificate,
    WipeMethod,
)
from lending.inventory.tags import Tag, reserve_tags
from lending.loans.models import ItemOutcome, Loan, LoanItem, LoanStatus, ReturnCondition
from lending.schools.models import School

DEFAULT_SCALE = 300
BATCH = 2000
LABEL = "cli:demo"
Progress = Callable[[str, int, int], None]

# The tables the demo fills; any row in one of them means the database is in use.
IN_USE = (Centre, School, Donor, Asset, Family, Nomination, Loan)

KINDS: list[tuple[AssetKind, int]] = [
    (AssetKind.laptop, 44),
    (AssetKind.chromebook, 15),
    (AssetKind.tablet, 14),
    (AssetKind.phone, 5),
    (AssetKind.desktop, 3),
    (AssetKind.hotspot, 3),
    (AssetKind.sim, 13),
    (AssetKind.accessory, 3),
]
MODELS: dict[AssetKind, list[tuple[str, str]]] = {
    AssetKind.laptop: [
        ("Dell", "Latitude 5490"),
        ("Lenovo", "ThinkPad T480"),
        ("HP", "EliteBook 840 G5"),
        ("Apple", "MacBook Air 2017"),
        ("Acer", "TravelMate P2"),
    ],
    AssetKind.chromebook: [("Lenovo", "100e Chromebook"), ("HP", "Chromebook 11 G8"), ("Acer", "Chromebook 311")],
    AssetKind.desktop: [("Dell", "OptiPlex 7060"), ("HP", "ProDesk 400 G4")],
    AssetKind.tablet: [("Apple", "iPad 9th gen"), ("Samsung", "Galaxy Tab A8"), ("Lenovo", "Tab M10")],
    AssetKind.phone: [("Samsung", "Galaxy A12"), ("Motorola", "moto g9"), ("Apple", "iPhone 8")],
    AssetKind.hotspot: [("Huawei", "E5576"), ("TP-Link", "M7200")],
    AssetKind.sim: [("", "")],
    AssetKind.accessory: [("Generic", "Laptop bag"), ("Generic", "USB-C charger")],
}
OS_OF = {
    AssetKind.laptop: [OperatingSystem.windows_11, OperatingSystem.windows_10, OperatingSystem.linux],
    AssetKind.chromebook: [OperatingSystem.chromeos],
    AssetKind.desktop: [OperatingSystem.windows_10, OperatingSystem.linux],
    AssetKind.tablet: [OperatingSystem.android, OperatingSystem.ios],
    AssetKind.phone: [OperatingSystem.android, OperatingSystem.ios],
}
# Birmingham's postcode districts (the demo's patch).
DISTRICTS = [f"B{n}" for n in (*range(1, 22), 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 42, 43, 44)]
PLACES = [
    "Sparkbrook",
    "Small Heath",
    "Aston",
    "Handsworth",
    "Lozells",
    "Balsall Heath",
    "Nechells",
    "Ladywood",
    "Bordesley Green",
    "Washwood Heath",
    "Kingstanding",
    "Erdington",
    "Stechford",
    "Acocks Green",
    "Sparkhill",
    "Digbeth",
    "Saltley",
    "Alum Rock",
    "Hodge Hill",
    "Druids Heath",
    "Castle Vale",
    "Shard End",
    "Tyseley",
]
SCHOOL_KINDS = ["Primary School", "Academy", "Community School", "Junior and Infant School", "Secondary School"]
FIRST = [
    "Amina",
    "Mohammed",
    "Olivia",
    "Zainab",
    "Jack",
    "Fatima",
    "Kacper",
    "Grace",
    "Yusuf",
    "Chloe",
    "Hassan",
    "Maryam",
    "Daniel",
    "Precious",
    "Aisha",
    "Leon",
    "Ruby",
    "Ibrahim",
    "Sofia",
    "Tariq",
    "Blessing",
    "Ewa",
]
LAST = [
    "Khan",
    "Ahmed",
    "Smith",
    "Hussain",
    "Begum",
    "Jones",
    "Ali",
    "Nowak",
    "Williams",
    "Okafor",
    "Patel",
    "Brown",
    "Mahmood",
    "Campbell",
    "Iqbal",
    "Taylor",
    "Mensah",
    "Rahman",
    "Kowalski",
    "Walker",
]
DONORS = [
    "Brindley Accountancy",
    "Midlands Water",
    "Canal Street Dental",
    "Jewellery Quarter Legal",
    "Moor Lane IT",
    "Selly Oak Housing",
    "Balsall Builders",
    "Colmore Insurance",
    "Edgbaston Surgery",
    "Digbeth Print Works",
]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# A nomination's timeline names its steps as the service does.
ACTIONS = {
    NominationStatus.approved: "approve",
    NominationStatus.waitlisted: "waitlist",
    NominationStatus.declined: "decline",
    NominationStatus.withdrawn: "withdrawn",
    NominationStatus.fulfilled: "fulfilled",
}


@dataclass
class Counts:
    """What `build` wrote, per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


class DatabaseInUse(Exception):
    """The database already holds data: the demo only fills an empty one."""


def plan(scale: int) -> dict[str, int]:
    """How many of each thing a demo of `scale` assets has (the rest follows from each asset's history)."""
    return {
        "centres": min(8, 3 + scale // 25_000),
        "schools": max(8, scale // 250),
        "donors": max(10, scale // 100),
        "donations": max(10, scale // 20),
        "families": scale,
        "assets": scale,
    }


async def in_use(session: AsyncSession) -> list[str]:
    found = []
    for model in IN_USE:
        if await session.scalar(select(func.count()).select_from(select(model.id).limit(1).subquery())):
            found.append(model.__tablename__)
    return found


class _Builder:
    def __init__(self, session: AsyncSession, scale: int, seed: int, progress: Progress, now: datetime) -> None:
        self.session = session
        self.scale = scale
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = now
        self.start = now - timedelta(days=730)
        self.counts = Counts()
        self.next_id: dict[str, int] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}

    # --- writing ---------------------------------------------------------------------------------------------

    def id_for(self, table: str) -> int:
        self.next_id[table] = self.next_id.get(table, 0) + 1
        return self.next_id[table]

    def row(self, model: Any, values: dict[str, Any]) -> int:
        """Queue a row; ids are given here (the database was empty), so rows can point at each other."""
        table: str = model.__tablename__
        values.setdefault("id", self.id_for(table))
        values.setdefault("created_at", self.now)
        values.setdefault("updated_at", values["created_at"])
        self.pending.setdefault(table, []).append(values)
        return int(values["id"])

    async def flush(self) -> None:
        """Write what is queued, parents before children, one audit entry per table and batch."""
        from lending.core.db import Base

        for table in Base.metadata.sorted_tables:
            rows = self.pending.pop(table.name, [])
            for start in range(0, len(rows), BATCH):
                await self._insert(table, rows[start : start + BATCH])

    async def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(table.insert(), rows)
        # Bulk rows pass the ORM by, so the batch is audited explicitly (personal data never reaches the log).
        await record(
            self.session,
            action="demo",
            entity_type=table.name,
            entity_id="*",
            after={"rows": len(rows), "first_id": rows[0]["id"], "last_id": rows[-1]["id"]},
        )
        self.counts.add(table.name, len(rows))

    # --- helpers ---------------------------------------------------------------------------------------------

    def days(self, low: float, high: float) -> timedelta:
        return timedelta(days=self.rng.uniform(low, high))

    def when(self, day: date) -> datetime:
        """A time in opening hours on `day`."""
        return datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=self.rng.randrange(8 * 60))

    def postcode(self) -> tuple[str, str]:
        district = self.rng.choice(DISTRICTS)
        unit = "".join(self.rng.choice(UNIT_LETTERS) for _ in range(2))
        return f"{district} {self.rng.randrange(1, 10)}{unit}", district

    # --- the organisation --------------------------------------------------------------------------------------

    async def organisation(self) -> None:
        counts = plan(self.scale)
        self.progress("Centres, schools and donors", 0, 1)
        self.centres = [
            self.row(
                Centre,
                {
                    "name": f"{place} Community Hub",
                    "address": f"{self.rng.randrange(1, 200)} High Street, {place}, Birmingham",
                    "postcode": self.postcode()[0],
                    "phone": f"0121 496 {self.rng.randrange(10000):04d}",
                    "opening_hours": "Mon–Fri 10:00–16:00",
                    "is_active": True,
                },
            )
            for place in PLACES[: counts["centres"]]
        ]
        self.schools = []
        for n in range(counts["schools"]):
            place = PLACES[n % len(PLACES)]
            kind = SCHOOL_KINDS[(n // len(PLACES)) % len(SCHOOL_KINDS)]
            round_ = n // (len(PLACES) * len(SCHOOL_KINDS))
            self.schools.append(
                self.row(
                    School,
                    {
                        "name": f"{place} {kind}" + (f" {round_ + 1}" if round_ else ""),
                        "urn": f"{103000 + n:06d}",
                        "address": f"{place}, Birmingham",
                        "postcode": self.postcode()[0],
                        "phone": f"0121 496 {self.rng.randrange(10000):04d}",
                        "contact_name": None,
                        "contact_email": None,
                        "is_active": True,
                    },
                )
            )
        kinds = list(DonorKind)
        donors = [
            self.row(
                Donor,
                {
                    "name": DONORS[n] if n < len(DONORS) else f"{self.rng.choice(PLACES)} Donor {n + 1}",
                    "kind": DonorKind.business if n < len(DONORS) else self.rng.choice(kinds),
                    "contact_name": None,
                    "email": None,
                    "phone": None,
                    "notes": "",
                    "may_thank_publicly": self.rng.random() < 0.5,
                },
            )
            for n in range(counts["donors"])
        ]
        # A donation: (id, centre, day it came in); a few donors give most, as in life.
        self.donations: list[tuple[int, int, date]] = []
        for _ in range(counts["donations"]):
            centre = self.rng.choice(self.centres)
            day = (self.start + self.days(-30, 729)).date()
            donor = donors[min(int(self.rng.paretovariate(1.2)) - 1, len(donors) - 1)]
            self.donations.append(
                (
                    self.row(
                        Donation,
                        {
                            "donor_id": donor,
                            "centre_id": centre,
                            "received_on": day,
                            "notes": "",
                            "created_at": self.when(day),
                        },
                    ),
                    centre,
                    day,
                )
            )
        # Yesterday's donation, not unpacked yet: some assets are always just received.
        yesterday = (self.now - timedelta(days=1)).date()
        self.just_in = (
            self.row(
                Donation,
                {
                    "donor_id": donors[0],
                    "centre_id": self.centres[0],
                    "received_on": yesterday,
                    "notes": "",
                    "created_at": self.when(yesterday),
                },
            ),
            self.centres[0],
            yesterday,
        )
        await self.flush()
        self.progress("Centres, schools and donors", 1, 1)

    # --- families ----------------------------------------------------------------------------------------------

    async def families(self) -> None:
        total = plan(self.scale)["families"]
        # Each family belongs to one school; about 2 in 3 have borrowed, 1 in 5 is waiting.
        self.family_school: list[int] = []
        self.family_children: list[int] = []
        self.family_district: list[str | None] = []
        for n in range(total):
            postcode, district = self.postcode()
            children = self.rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
            school_age = self.rng.randint(1, children)
            created = self.start + self.days(-60, 700)
            self.family_school.append(self.rng.choice(self.schools))
            self.family_children.append(children)
            self.family_district.append(district)
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            self.row(
                Family,
                {
                    "lead_name": f"{first} {last}",
                    "name_key": f"{first} {last}".lower(),
                    "phone": f"+447700{n:06d}",
                    "email": None,
                    "address": f"{self.rng.randrange(1, 300)} {self.rng.choice(PLACES)} Road, Birmingham",
                    "postcode": postcode,
                    "postcode_district": district,
                    "preferred_language": self.rng.choice(["en", "en", "en", "ur", "pl", "ar", "so", "ro"]),
                    "children": children,
                    "school_age_children": school_age,
                    "devices_at_home": self.rng.choice([0, 0, 1, 1, 2]),
                    "has_broadband": self.rng.random() < 0.55,
                    "free_school_meals": self.rng.random() < 0.6,
                    "pupil_premium": self.rng.random() < 0.5,
                    "on_benefits": self.rng.random() < 0.5,
                    "imd_decile": min(10, int(self.rng.expovariate(0.45)) + 1),
                    "imd_from_lookup": False,
                    "notes": "",
                    "consent_given_on": created.date(),
                    "consent_recorded_by_id": None,
                    "consent_recorded_at": created,
                    "erased_at": None,
                    "merged_into_id": None,
                    "created_at": created,
                },
            )
            if len(self.pending["family"]) >= BATCH:
                await self.flush()
                self.progress("Families", n + 1, total)
        await self.flush()
        self.progress("Families", total, total)
        order = list(range(1, total + 1))
        self.rng.shuffle(order)
        cut = int(total * 0.65)
        self.served = order[:cut]
        self.unserved = order[cut:]

    # --- assets, their histories, and the loans and nominations they went out on -------------------------------

    def event(
        self,
        asset: int,
        at: datetime,
        kind: AssetEventKind,
        before: Status | None,
        after: Status | None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        intake: datetime | None = None,
    ) -> None:
        self.row(
            AssetEvent,
            {
                "asset_id": asset,
                "occurred_at": at,
                "kind": kind,
                "actor_id": None,
                "actor_label": "demo volunteer",
                "from_status": before,
                "to_status": after,
                "reason": reason,
                "details": details,
                "intake_at": intake,
                "created_at": at,
            },
        )

    def nomination(
        self,
        family: int,
        status: NominationStatus,
        submitted: datetime,
        decided: datetime | None,
        closed: datetime | None,
        sims: int = 0,
    ) -> int:
        nomination = self.row(
            Nomination,
            {
                "family_id": family,
                "school_id": self.family_school[family - 1],
                "laptops": 0 if sims else 1,
                "tablets": 0,
                "sims": sims,
                "reason": "",
                "urgency": Urgency.urgent if self.rng.random() < 0.1 else Urgency.normal,
                "status": status,
                "submitted_at": submitted,
                "decided_at": decided,
                "closed_at": closed,
                "submitted_by_id": None,
                "merged_from_family_id": None,
                "created_at": submitted,
            },
        )
        steps: list[tuple[str, NominationStatus | None, NominationStatus, datetime]] = [
            ("submitted", None, NominationStatus.submitted, submitted)
        ]
        if status is not NominationStatus.submitted:
            came_from = (
                NominationStatus.approved if status is NominationStatus.fulfilled else NominationStatus.submitted
            )
            steps.append((ACTIONS[status], came_from, status, closed or decided or submitted))
        for action, before, after, at in steps:
            self.row(
                NominationEvent,
                {
                    "nomination_id": nomination,
                    "occurred_at": at,
                    "actor_id": None,
                    "actor_label": "demo",
                    "action": action,
                    "from_status": before,
                    "to_status": after,
                    "note": "",
                    "created_at": at,
                },
            )
        return nomination

    def loan(
        self,
        asset: int,
        kind: AssetKind,
        centre: int,
        issued: datetime,
        due: date,
        ended: datetime | None,
        outcome: ItemOutcome | None,
    ) -> None:
        family = self.rng.choice(self.served)
        nomination = None
        if self.rng.random() < 0.9:  # a few loans are made at the desk without a school's nomination
            submitted = issued - self.days(3, 40)
            decided = submitted + (issued - submitted) * self.rng.uniform(0.1, 0.9)
            nomination = self.nomination(family, NominationStatus.fulfilled, submitted, decided, issued)
        status = LoanStatus.active
        if ended is not None and outcome is not None:
            status = LoanStatus(outcome.value)
        loan = self.row(
            Loan,
            {
                "family_id": family,
                "nomination_id": nomination,
                "school_id": self.family_school[family - 1] if nomination is not None else None,
                "nominated_at": submitted if nomination is not None else None,
                "postcode_district": self.family_district[family - 1],
                "centre_id": centre,
                "status": status,
                "issued_at": issued,
                "issued_by_id": None,
                "due_on": due,
                "device_count": int(kind not in NOT_DEVICES),
                "sim_count": int(kind is AssetKind.sim),
                "children": self.family_children[family - 1],
                "closed_at": ended,
                "notes": "",
                "gift_reason": "the family's need continues" if outcome is ItemOutcome.gifted else None,
                "created_at": issued,
            },
        )
        self.row(
            LoanItem,
            {
                "loan_id": loan,
                "asset_id": asset,
                "ended_at": ended,
                "outcome": outcome,
                "return_condition": (
                    self.rng.choice([ReturnCondition.good] * 8 + [ReturnCondition.damaged, ReturnCondition.faulty])
                    if outcome is ItemOutcome.returned
                    else None
                ),
                "charger_returned": (self.rng.random() < 0.9) if outcome is ItemOutcome.returned else None,
                "return_notes": None,
                "police_reference": f"CRI-{loan:07d}" if outcome is ItemOutcome.stolen else None,
                "sim_barring_required": False,
                "barred_on": None,
                "barring_reference": None,
                "barred_by_id": None,
                "received_by_id": None,
                "created_at": issued,
            },
        )

    def history(
        self, asset: int, kind: AssetKind, centre: int, intake: datetime, *, unpacked: bool = True
    ) -> dict[str, Any]:
        """Live the asset's life from `intake` to now; what it ends as (status, dates) goes on its row."""
        rng, now = self.rng, self.now
        self.event(asset, intake, AssetEventKind.created, None, Status.received, "donation received")
        status, changed, came_in = Status.received, intake, intake
        if not unpacked:
            return {"status": status, "status_changed_at": changed, "intake_at": came_in}
        sim: dict[str, Any] = {}
        t = intake
        while True:
            # Most go on the bench within days; now and then a backlog leaves some waiting for weeks.
            backlog = rng.uniform(10, 90) if rng.random() < 0.05 else 0
            refurb = t + timedelta(days=rng.expovariate(1 / 3) + backlog)
            if refurb > now:
                break
            self.event(asset, refurb, AssetEventKind.transition, status, Status.in_refurbishment)
            status, changed = Status.in_refurbishment, refurb
            ready = refurb + self.days(1, 21)
            if ready > now:
                break
            if rng.random() < 0.02:
                self.event(asset, ready, AssetEventKind.transition, status, Status.repair, "screen cracked")
                status, changed = Status.repair, ready
                break
            if kind in HOLDS_DATA:
                wiped = refurb + (ready - refurb) * rng.uniform(0.2, 0.9)
                method = rng.choice(list(WipeMethod)[:5])
                self.row(
                    WipeCertificate,
                    {
                        "asset_id": asset,
                        "method": method,
                        "performed_on": wiped.date(),
                        "performed_by": "demo volunteer",
                        "certificate_reference": f"DEMO-{asset:07d}-{wiped:%Y%m%d%H%M%S}",
                        "notes": "",
                        "recorded_at": wiped,
                        "recorded_by_id": None,
                        "created_at": wiped,
                    },
                )
                self.event(asset, wiped, AssetEventKind.wipe, None, None, None, {"method": method.value})
            self.event(asset, ready, AssetEventKind.transition, status, Status.ready, intake=came_in)
            status, changed = Status.ready, ready
            issued = ready + self.days(1, 50)
            if issued > now or kind is AssetKind.accessory:
                break
            if kind is AssetKind.sim:
                months = rng.choice([6, 12, 12, 24])
                length = timedelta(days=months * 30)
                sim = {"activated_on": issued.date(), "expires_on": _add_months(issued.date(), months)}
            else:
                length = timedelta(days=rng.choice([56, 90, 90, 120, 180, 180]))
            due = (issued + length).date()
            back = issued + length + self.days(-20, 25)
            self.event(asset, issued, AssetEventKind.transition, status, Status.on_loan)
            status, changed = Status.on_loan, issued
            if back > now:
                self.loan(asset, kind, centre, issued, due, None, None)
                break
            roll = rng.random()
            outcome = (
                ItemOutcome.lost
                if roll < 0.02
                else ItemOutcome.stolen
                if roll < 0.03
                else ItemOutcome.gifted
                if roll < 0.07 or kind is AssetKind.sim
                else ItemOutcome.returned
            )
            self.loan(asset, kind, centre, issued, due, back, outcome)
            after = Status(outcome.value)
            self.event(asset, back, AssetEventKind.transition, status, after)
            status, changed = after, back
            if outcome is not ItemOutcome.returned:
                break
            t = came_in = back
        if status in (Status.ready, Status.returned, Status.in_refurbishment) and rng.random() < 0.04:
            retired = changed + self.days(1, 60)
            if retired < now:
                self.event(asset, retired, AssetEventKind.transition, status, Status.retired, "beyond economic repair")
                status, changed = Status.retired, retired
        return {"status": status, "status_changed_at": changed, "intake_at": came_in, **sim}

    async def assets(self) -> None:
        total = plan(self.scale)["assets"]
        kinds, weights = zip(*KINDS, strict=True)
        numbers = dict.fromkeys(DEFAULT_TAG_PREFIXES.values(), 0)
        networks = [n for n in Network if n is not Network.other]
        for n in range(total):
            asset = self.id_for("asset")
            kind = self.rng.choices(kinds, weights)[0]
            just_in = n % 60 == 59
            donation, centre, day = self.just_in if just_in else self.rng.choice(self.donations)
            intake = self.when(day)
            prefix = DEFAULT_TAG_PREFIXES[kind.value]
            numbers[prefix] += 1
            make, model = self.rng.choice(MODELS[kind])
            lived = self.history(asset, kind, centre, intake, unpacked=not just_in)
            device = kind not in (AssetKind.sim, AssetKind.accessory)
            row: dict[str, Any] = {
                "id": asset,
                "tag": str(Tag(prefix, numbers[prefix])),
                "kind": kind,
                "centre_id": centre,
                "donation_id": donation,
                "make": make or None,
                "model": model or None,
                "serial_number": f"DM{asset:09d}" if device else None,
                "cpu": self.rng.choice(["Intel Core i5-8250U", "Intel Core i3-7100U", "Intel Celeron N4020"])
                if kind in (AssetKind.laptop, AssetKind.desktop)
                else None,
                "ram_gb": self.rng.choice([4, 8, 8, 16]) if device and kind is not AssetKind.hotspot else None,
                "storage_gb": self.rng.choice([32, 64, 128, 256, 512]) if kind in HOLDS_DATA else None,
                "storage_type": (
                    StorageType.emmc
                    if kind in (AssetKind.tablet, AssetKind.phone, AssetKind.chromebook)
                    else StorageType.ssd
                )
                if kind in HOLDS_DATA
                else None,
                "os": self.rng.choice(OS_OF[kind]) if kind in OS_OF else None,
                "battery_health_pct": self.rng.randint(55, 100)
                if kind not in (AssetKind.sim, AssetKind.desktop, AssetKind.accessory)
                else None,
                "condition_grade": self.rng.choice(
                    [ConditionGrade.a, ConditionGrade.b, ConditionGrade.b, ConditionGrade.c]
                )
                if device
                else None,
                "charger_included": kind in (AssetKind.laptop, AssetKind.chromebook, AssetKind.tablet),
                "charger_safety_test_on": lived["status_changed_at"].date() if kind is AssetKind.laptop else None,
                "imei": _luhn(f"35{asset:012d}") if kind in (AssetKind.phone, AssetKind.hotspot) else None,
                "notes": "",
                "iccid": _luhn(f"894411{asset:012d}") if kind is AssetKind.sim else None,
                "network": self.rng.choice(networks) if kind is AssetKind.sim else None,
                "msisdn": f"+447800{asset:06d}"[:13] if kind is AssetKind.sim else None,
                "data_allowance_gb": self.rng.choice([20, 30, 50]) if kind is AssetKind.sim else None,
                "plan_months": 12 if kind is AssetKind.sim else None,
                "activated_on": lived.get("activated_on"),
                "expires_on": lived.get("expires_on"),
                "voucher_code": f"V{asset:010d}" if kind is AssetKind.sim else None,
                "retired_reason": self.rng.choice(list(RetirementReason))
                if lived["status"] is Status.retired
                else None,
                "weee_reference": None,
                "status": lived["status"],
                "status_changed_at": lived["status_changed_at"],
                "intake_at": lived["intake_at"],
                "created_at": intake,
            }
            self.row(Asset, row)
            if len(self.pending["asset"]) >= BATCH:
                await self.flush()
                self.progress("Assets, loans and their histories", n + 1, total)
        await self.flush()
        self.progress("Assets, loans and their histories", total, total)
        # Tags made here came from the tag scheme: later intakes carry on after the highest per prefix.
        await reserve_tags(self.session, [Tag(prefix, number) for prefix, number in numbers.items() if number])

    # --- the waiting list and the closed nominations -----------------------------------------------------------

    async def waiting(self) -> None:
        total = len(self.unserved)
        waiting = int(self.scale * 0.2)
        for n, family in enumerate(self.unserved):
            submitted = self.now - timedelta(days=self.rng.expovariate(1 / 45)) - timedelta(minutes=n % 600)
            submitted = max(submitted, self.start)
            decided = submitted + (self.now - submitted) * self.rng.uniform(0.05, 0.5)
            if n < waiting:
                status = self.rng.choices(
                    [NominationStatus.submitted, NominationStatus.approved, NominationStatus.waitlisted], [3, 2, 5]
                )[0]
                self.nomination(
                    family,
                    status,
                    submitted,
                    None if status is NominationStatus.submitted else decided,
                    None,
                    sims=1 if self.rng.random() < 0.15 else 0,
                )
            else:
                status = NominationStatus.declined if self.rng.random() < 0.65 else NominationStatus.withdrawn
                self.nomination(family, status, submitted, decided, decided)
            if len(self.pending["nomination"]) >= BATCH:
                await self.flush()
                self.progress("The waiting list", n + 1, total)
        await self.flush()
        self.progress("The waiting list", total, total)

    async def sequences(self) -> None:
        """PostgreSQL hands out ids from identity sequences that explicit ids passed by: move them on."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for table in self.counts.rows:
            if table == "audit_entry":
                continue
            await self.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
            )


def _luhn(digits: str) -> str:
    return digits + luhn.calc_check_digit(digits)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _quiet(_step: str, _done: int, _total: int) -> None:
    pass


async def build(
    engine: AsyncEngine, scale: int = DEFAULT_SCALE, *, seed: int = 12, progress: Progress = _quiet
) -> Counts:
    """Fill an empty, migrated database with a demo of about `scale` assets; one transaction."""
    async with session_maker(engine)() as session, session.begin():
        set_actor(session, user_id=None, label=LABEL)
        used = await in_use(session)
        if used:
            raise DatabaseInUse(f"the database already holds data ({', '.join(used)})")
        builder = _Builder(session, scale, seed, progress, datetime.now(UTC))
        await builder.organisation()
        await builder.families()
        await builder.assets()
        await builder.waiting()
        await builder.sequences()
        return builder.counts
