"""A small known world for the dashboard and the school's figures, made through the API (then a few dates moved
in the database, as the loans' own tests do, since no API sets a due date in the past).

Six families have loans: five in B12 (three children each, lent without a nomination) and one in B11 nominated by
Anderton Park Primary. At Sparkbrook Hub: a laptop and a SIM whose plan ends in 10 days (Amina), an overdue laptop
(Joe, due 3 days ago), a laptop due back in 5 days (Chloe), a laptop lent and returned (Erin), and the school's
family's laptop; at Aston Hub one laptop (Dev). Two laptops are still received at Sparkbrook Hub, and the school
has a second nomination waiting for a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending.inventory.models import Asset
from lending.loans.models import Loan
from tests.families.conftest import family_data
from tests.support import Actor
from tests.web.issue_data import centre, school, stock

B12 = [("Amina Khan", "07911 100001"), ("Joe Bloggs", "07911 100002"), ("Chloe Ward", "07911 100003")]
B12 += [("Dev Patel", "07911 100004"), ("Erin Walsh", "07911 100005")]


@dataclass
class World:
    sparkbrook: dict[str, Any]
    aston: dict[str, Any]
    school: dict[str, Any]
    loans: dict[str, dict[str, Any]] = field(default_factory=dict)  # first name → loan
    waiting: dict[str, Any] = field(default_factory=dict)


async def _ok(answer: Any, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


async def make_world(
    api: Any, staff: Actor, volunteer: Actor, sessions: async_sessionmaker[AsyncSession], make_teacher: Any
) -> tuple[World, Actor]:
    """The world above, and the school's user (made by `make_teacher(school_id)`)."""
    sparkbrook = await centre(api, staff, "Sparkbrook Hub")
    aston = await centre(api, staff, "Aston Hub", "B6 4AA")
    anderton = await school(api, staff)
    teacher = await make_teacher(anderton["id"])
    world = World(sparkbrook, aston, anderton)
    laptops = await stock(api, staff, "Sparkbrook Hub", "laptop", "laptop", "laptop", "laptop", "laptop", "sim")
    await stock(api, staff, "Sparkbrook Hub", "laptop", "laptop", status="received")
    (aston_laptop,) = await stock(api, staff, "Aston Hub", "laptop")
    sim = laptops.pop()
    lent = {"Amina": [laptops[0], sim], "Joe": [laptops[1]], "Chloe": [laptops[2]], "Erin": [laptops[3]]}
    for name, phone in B12:
        family = await _ok(
            await api.post(
                "/api/v1/families",
                json=family_data(name, phone, postcode="B12 9QT", email=None),
                headers=staff.headers,
            )
        )
        first = name.split()[0]
        where, tags = (aston, [aston_laptop]) if first == "Dev" else (sparkbrook, lent[first])
        body = {"family_id": family["id"], "centre_id": where["id"], "items": tags}
        world.loans[first] = await _ok(await api.post("/api/v1/loans", json=body, headers=volunteer.headers))
    # The school's family, nominated and approved, lent against its nomination.
    nominated = await _ok(
        await api.post(
            "/api/v1/nominations",
            json={"family": family_data("Farah Ali", "07911 100006", postcode="B11 4RA"), "laptops": 1},
            headers=teacher.headers,
        )
    )
    await _ok(
        await api.post(
            f"/api/v1/nominations/{nominated['id']}/decision", json={"decision": "approve"}, headers=staff.headers
        ),
        200,
    )
    body = {
        "family_id": nominated["family_id"],
        "nomination_id": nominated["id"],
        "centre_id": sparkbrook["id"],
        "items": [laptops[4]],
    }
    world.loans["Farah"] = await _ok(await api.post("/api/v1/loans", json=body, headers=volunteer.headers))
    world.waiting = await _ok(
        await api.post(
            "/api/v1/nominations",
            json={"family": family_data("Gita Rao", "07911 100007", postcode="B11 2AA"), "tablets": 1},
            headers=teacher.headers,
        )
    )
    returned = {"items": [{"tag": lent["Erin"][0], "condition": "good", "charger_returned": True}]}
    await _ok(
        await api.post(f"/api/v1/loans/{world.loans['Erin']['id']}/returns", json=returned, headers=volunteer.headers),
        200,
    )
    today = date.today()
    async with sessions() as session, session.begin():
        await session.execute(
            update(Loan).where(Loan.id == world.loans["Joe"]["id"]).values(due_on=today - timedelta(days=3))
        )
        await session.execute(
            update(Loan).where(Loan.id == world.loans["Chloe"]["id"]).values(due_on=today + timedelta(days=5))
        )
        await session.execute(update(Asset).where(Asset.tag == sim).values(expires_on=today + timedelta(days=10)))
    return world, teacher


def figure(html: str, key: str) -> str:
    """One of the dashboard's summary figures, by its key (`active`, `overdue`, ...)."""
    match = re.search(rf'id="figure-{key}">(?:<a [^>]+>)?<span class="value">([^<]+)<', html)
    assert match, f"no figure {key}"
    return match.group(1)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table inside the element with `table_id`, each as its cells' text."""
    start = html.index(f'id="{table_id}"')
    body = html[start : html.index("</table>", start)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells)
    return rows


def references(html: str) -> list[str]:
    """The references of the loans a page links to, in the order shown."""
    return re.findall(r'<a href="/desk/loans/\d+">([^<]+)</a>', html)
