"""A known world for the reminder runs, made through the API (then due dates and a SIM's end moved in the database, as
the loans' own tests do: no API sets a due date in the past). Every date is counted from the day the run acts as of.

At Sparkbrook Hub, as of `day`:
- Amina (email and mobile, English): a laptop and a SIM due back in 7 days on one loan, the SIM's plan ending in 14
  days, and a tablet 14 days overdue on another loan: ONE email and ONE text, each naming all four lines.
- Bilal (email, no phone, Polish): a laptop due back today: one email.
- Chen (email and mobile, opted out of texts): a laptop 28 days overdue: one email, no text.
- Dina (mobile only, English): a laptop due back tomorrow: one text.
- Ewa (email and mobile): a laptop due in 3 days, not a step of the ladder: nothing.
- Femi (email and mobile): a laptop due in 7 days, but brought back: nothing.
Staff digest to coordinator@example.org.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending.inventory.models import Asset
from lending.loans.models import Loan
from tests.families.conftest import family_data
from tests.support import Actor
from tests.web.issue_data import centre, stock

DIGEST_TO = "coordinator@example.org"
MAIL_FROM = "Test Lending Network <loans@example.org>"

PEOPLE = {
    # first name: (phone, email, language, extra fields)
    "Amina": ("07911 200001", "amina@example.org", "en", {}),
    "Bilal": (None, "bilal@example.org", "pl", {}),
    "Chen": ("07911 200003", "chen@example.org", "en", {"sms_opt_out": True}),
    "Dina": ("07911 200004", None, "en", {}),
    "Ewa": ("07911 200005", "ewa@example.org", "en", {}),
    "Femi": ("07911 200006", "femi@example.org", "en", {}),
}


@dataclass
class World:
    day: date
    centre: dict[str, Any]
    families: dict[str, dict[str, Any]] = field(default_factory=dict)  # first name → family
    loans: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Amina", "Amina-late", … → loan
    tags: dict[str, list[str]] = field(default_factory=dict)  # loan name → its tags

    def email(self, name: str) -> str:
        return str(PEOPLE[name][1])

    def phone(self, name: str) -> str:
        """As the family's record holds it: E.164."""
        return "+44" + str(PEOPLE[name][0]).replace(" ", "")[1:]


async def _ok(answer: Any, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


async def make_world(
    api: Any, staff: Actor, volunteer: Actor, sessions: async_sessionmaker[AsyncSession], day: date | None = None
) -> World:
    day = day or date.today()
    hub = await centre(api, staff, "Sparkbrook Hub")
    world = World(day, hub)
    tags = await stock(api, staff, "Sparkbrook Hub", *["laptop"] * 7, "sim", "tablet")
    laptops, sim, tablet = tags[:7], tags[7], tags[8]
    lent = {
        "Amina": [laptops[0], sim],
        "Amina-late": [tablet],
        "Bilal": [laptops[1]],
        "Chen": [laptops[2]],
        "Dina": [laptops[3]],
        "Ewa": [laptops[4]],
        "Femi": [laptops[5]],
    }
    for n, (name, (phone, email, language, extra)) in enumerate(PEOPLE.items()):
        data = family_data(f"{name} Test", phone, postcode=f"B12 {n}QT", email=email, preferred_language=language)
        data.update(extra)
        world.families[name] = await _ok(await api.post("/api/v1/families", json=data, headers=staff.headers))
    for loan_name, items in lent.items():
        family = world.families[loan_name.split("-")[0]]
        body = {"family_id": family["id"], "centre_id": hub["id"], "items": items}
        world.loans[loan_name] = await _ok(await api.post("/api/v1/loans", json=body, headers=volunteer.headers))
        world.tags[loan_name] = items
    returned = {"items": [{"tag": lent["Femi"][0], "condition": "good", "charger_returned": True}]}
    await _ok(
        await api.post(f"/api/v1/loans/{world.loans['Femi']['id']}/returns", json=returned, headers=volunteer.headers),
        200,
    )
    due = {"Amina": 7, "Amina-late": -14, "Bilal": 0, "Chen": -28, "Dina": 1, "Ewa": 3, "Femi": 7}
    async with sessions() as session, session.begin():
        for loan_name, days in due.items():
            await session.execute(
                update(Loan).where(Loan.id == world.loans[loan_name]["id"]).values(due_on=day + timedelta(days=days))
            )
        await session.execute(update(Asset).where(Asset.tag == sim).values(expires_on=day + timedelta(days=14)))
    return world


def channel_settings(mail_server: Any, fake_notify: Any) -> dict[str, Any]:
    """The Settings fields that send through the test's SMTP server and fake Notify, with no quiet hours."""
    return {
        "smtp_url": mail_server.url(),
        "mail_from": MAIL_FROM,
        "sms_provider": "notify",
        **fake_notify.settings(),
        "digest_to": [DIGEST_TO],
        "quiet_hours_start": "00:00",
        "quiet_hours_end": "00:00",
    }
