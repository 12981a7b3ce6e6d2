"""Screenshots of every page, per role, at tablet and phone sizes: `python -m tests.web.screenshots --out DIR`.

Starts the app on a temporary SQLite database (migrated from scratch), makes a user per role and a little data
through the API (a centre, a donation, stock ready to lend, a school, an approved nomination and, where the API
allows it, loans: one overdue, one due back soon, one with a SIM whose plan ends this month, to families in a few
postcode districts for the dashboard's charts), signs in through the sign-in page in Debian's Chromium and saves a PNG
of each role's home, of every page under /desk, /staff and /school, and of the filtered lists the dashboard links to.
The pages are found in the app's own routes, so pages added later appear without a change here; a page that answers
404 (not built yet, or nothing to show) is skipped with a line saying so, and so is a page whose address needs an id
this script has no record of.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute
from playwright.async_api import Browser, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

import lending.models  # noqa: F401  (every table's model, for the session)
from lending.access import actions_of, may
from lending.accounts.models import Role
from lending.accounts.service import AccountService, NewUser
from lending.app import create_app
from lending.audit.recorder import set_actor
from lending.config import Settings
from lending.core import migrations
from lending.inventory.models import Asset
from lending.loans.models import Loan
from tests.families.conftest import family_data
from tests.support import PASSWORD, days_ago
from tests.web.conftest import CHROMIUM, INSTALL, PHONE, TABLET, LiveServer

SIZES = {"tablet": TABLET, "phone": PHONE}
AREAS = ("/desk", "/staff", "/school")
HOMES = {Role.volunteer: "/desk", Role.school: "/school", Role.staff: "/staff", Role.admin: "/staff"}
# Who is shown a page when several roles may use it: the person whose job it is, admin only for admin's pages.
PREFERENCE = (Role.volunteer, Role.school, Role.staff, Role.admin)
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# Families lent to for the dashboard's charts (name, postcode): more than 5 in B12, so its figures are not "<5".
LENT = [(f"Family {n}", "B12 9QT") for n in range(1, 7)] + [("Family 7", "B11 4RA"), ("Family 8", "B10 0AB")]
# Pages shown with a query as well as bare: the lists the dashboard links to (address, role, file name).
FILTERED = [
    ("/staff/loans?overdue=true", Role.staff, "staff-loans-overdue"),
    ("/staff/loans?due_within_days=14", Role.staff, "staff-loans-due-soon"),
    ("/staff/loans?sim_expiring_within_days=30", Role.staff, "staff-loans-sim-expiry"),
]


@dataclass
class Seeded:
    users: dict[Role, tuple[str, str]] = field(default_factory=dict)  # role → (email, bearer token)
    ids: dict[str, str] = field(default_factory=dict)  # a path parameter's name → a value that names something


def say(line: str) -> None:
    print(line, flush=True)


async def make_users(settings: Settings, app: Litestar, school_id: int | None, seeded: Seeded, *roles: Role) -> None:
    engine = create_async_engine(settings.database_url, poolclass=NullPool)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            set_actor(session, user_id=None, label="screenshots")
            for role in roles:
                user, _ = await AccountService(session).create(
                    NewUser(
                        email=f"{role.value}@example.org",
                        name=f"Sam {role.value.title()}",
                        role=role,
                        password=PASSWORD,
                        **({"school_id": school_id} if role is Role.school else {}),
                    )
                )
                token = app.state.jwt_auth.create_token(identifier=str(user.id), token_expiration=timedelta(hours=2))
                seeded.users[role] = (user.email, token)
    finally:
        await engine.dispose()


async def call(api: httpx.AsyncClient, method: str, path: str, token: str, what: str, **kwargs: Any) -> Any:
    """One API call; a refusal is reported and answered with None, so the rest of the data is still made."""
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    answer = await api.request(method, path, headers=headers, **kwargs)
    if answer.status_code >= 300:
        say(f"  could not make {what}: {answer.status_code} {answer.text[:300]}")
        return None
    return answer.json()


async def seed(server: LiveServer, settings: Settings, app: Litestar) -> Seeded:
    seeded = Seeded()
    await make_users(settings, app, None, seeded, Role.admin, Role.staff, Role.volunteer)
    staff = seeded.users[Role.staff][1]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as api:
        centre = await call(
            api, "POST", "/api/v1/centres", staff, "a centre", json={"name": "Sparkbrook Hub", "postcode": "B11 1AA"}
        )
        school = await call(
            api,
            "POST",
            "/api/v1/schools",
            staff,
            "a school",
            json={"name": "Anderton Park Primary", "urn": "103245", "postcode": "B12 8LR"},
        )
        if school is None:
            raise SystemExit("no school could be made: the data for the school pages is missing")
        seeded.ids["school_id"] = str(school["id"])
        await make_users(settings, app, school["id"], seeded, Role.school)
        teacher = seeded.users[Role.school][1]
        if centre is not None:
            seeded.ids["centre_id"] = str(centre["id"])
            donor = await call(
                api, "POST", "/api/v1/donors", staff, "a donor", json={"name": "Acme Ltd", "kind": "business"}
            )
            if donor is not None:
                seeded.ids["donor_id"] = str(donor["id"])
                donation = await call(
                    api,
                    "POST",
                    "/api/v1/donations",
                    staff,
                    "a donation",
                    json={
                        "donor_id": donor["id"],
                        "centre_id": centre["id"],
                        "received_on": days_ago(2),
                        "items": [
                            {"kind": "laptop", "make": "Dell", "model": "Latitude 5490", "serial_number": f"DN-{n}"}
                            for n in range(1, 4)
                        ],
                    },
                )
                if donation is not None:
                    seeded.ids["donation_id"] = str(donation["id"])
            # Stock ready to lend, as the CSV import takes it (with its wipe).
            lines = [
                "kind,status,centre,make,model,serial_number,wipe_method,wipe_performed_on,wipe_performed_by,"
                "wipe_certificate_reference"
            ] + [
                f"laptop,ready,Sparkbrook Hub,Lenovo,ThinkPad T480,RD-{n},nwipe,{days_ago(3)},Workshop,NW-{n}"
                for n in range(1, 4 + len(LENT))
            ]
            stock = await call(
                api,
                "POST",
                "/api/v1/assets/import",
                staff,
                "stock ready to lend",
                content="\n".join(lines).encode(),
                headers={"Content-Type": "text/csv"},
            )
            tags = (stock or {}).get("tags") or []
            if tags:
                seeded.ids["tag"] = tags[0]
        nominated = await call(
            api,
            "POST",
            "/api/v1/nominations",
            teacher,
            "a nomination",
            json={
                "family": family_data(),
                "laptops": 1,
                "reason": "Homework is set online; the family shares one phone.",
            },
        )
        if nominated is not None:
            seeded.ids["nomination_id"] = str(nominated["id"])
            seeded.ids["family_id"] = str(nominated["family_id"])
            await call(
                api,
                "POST",
                f"/api/v1/nominations/{nominated['id']}/decision",
                staff,
                "the nomination's approval",
                json={"decision": "approve"},
            )
            # A second, still waiting, so the waiting list and the school's list have more than one row.
            await call(
                api,
                "POST",
                "/api/v1/nominations",
                teacher,
                "a second nomination",
                json={"family": family_data("Bogdan Nowak", "07912 345678"), "tablets": 1, "urgency": "urgent"},
            )
        if centre is not None and nominated is not None and len(tags) > 1:
            loan = await call(
                api,
                "POST",
                "/api/v1/loans",
                seeded.users[Role.volunteer][1],
                "a loan",
                json={
                    "family_id": nominated["family_id"],
                    "nomination_id": nominated["id"],
                    "centre_id": centre["id"],
                    "items": [tags[1]],
                },
            )
            if loan is not None:
                seeded.ids["loan_id"] = str(loan["id"])
        if centre is not None and len(tags) > 2:
            await lend_around(api, settings, seeded, centre["id"], tags[2:])
    return seeded


async def lend_around(
    api: httpx.AsyncClient, settings: Settings, seeded: Seeded, centre_id: int, tags: list[str]
) -> None:
    """Loans to families in a few postcode districts, so the dashboard's charts and lists have something to show:
    one overdue, one due back soon, and one whose SIM's plan ends within the month (dates moved in the database,
    as no API sets a due date in the past)."""
    staff, volunteer = seeded.users[Role.staff][1], seeded.users[Role.volunteer][1]
    sims = await call(
        api,
        "POST",
        "/api/v1/assets/import",
        staff,
        "a SIM",
        content=(
            "kind,status,centre,iccid,network,plan_months,activated_on\n"
            f"sim,ready,Sparkbrook Hub,8944100000000000018,EE,12,{days_ago(21)}"
        ).encode(),
        headers={"Content-Type": "text/csv"},
    )
    sim_tags = (sims or {}).get("tags") or []
    loans = []
    for n, ((name, postcode), tag) in enumerate(zip(LENT, tags, strict=False)):
        family = await call(
            api,
            "POST",
            "/api/v1/families",
            staff,
            f"the family of {name}",
            json=family_data(name, f"07911 2000{n:02d}", postcode=postcode, email=None),
        )
        if family is None:
            continue
        items = [tag] + (sim_tags if n == 0 else [])
        loan = await call(
            api,
            "POST",
            "/api/v1/loans",
            volunteer,
            f"a loan to {name}",
            json={"family_id": family["id"], "centre_id": centre_id, "items": items},
        )
        if loan is not None:
            loans.append(loan)
    if len(loans) < 3:
        return
    today = date.today()
    engine = create_async_engine(settings.database_url, poolclass=NullPool)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            set_actor(session, user_id=None, label="screenshots")
            moves = {loans[1]["id"]: today - timedelta(days=4), loans[2]["id"]: today + timedelta(days=6)}
            for loan_id, due_on in moves.items():
                await session.execute(update(Loan).where(Loan.id == loan_id).values(due_on=due_on))
            if sim_tags:
                await session.execute(
                    update(Asset).where(Asset.tag == sim_tags[0]).values(expires_on=today + timedelta(days=12))
                )
    finally:
        await engine.dispose()


def page_routes(app: Litestar) -> list[tuple[str, Role]]:
    """Every GET page under the areas, with the role that is shown it."""
    found: list[tuple[str, Role]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(AREAS):
            continue
        if route.path_format.endswith((".pdf", ".csv")):
            continue  # files the pages link to (agreements, labels, exports), not pages
        handler = route.route_handler_map.get("GET", (None, None))[0]
        if handler is None:
            continue
        actions = actions_of(handler)
        role = next((r for r in PREFERENCE if all(may(r, a) for a in actions)), None)
        if role is not None:
            found.append((route.path_format, role))
    return sorted(set(found))


def file_name(*parts: str) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p) + ".png"


async def shoot(browser: Browser, server: LiveServer, seeded: Seeded, app: Litestar, out: Path) -> tuple[int, int]:
    saved = problems = 0
    routes = page_routes(app)
    for size, viewport in SIZES.items():
        for role in PREFERENCE:
            context = await browser.new_context(viewport=viewport, base_url=server.url, locale="en-GB")
            try:
                page = await context.new_page()
                page.set_default_timeout(20_000)
                await page.goto("/login")
                await page.get_by_label("Email").fill(seeded.users[role][0])
                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_load_state()
                wanted = [(HOMES[role], f"home-{role.value}")] + [
                    (p, "") for p, r in routes if r is role and p != HOMES[role]
                ]
                wanted += [(p, stem) for p, r, stem in FILTERED if r is role]
                for path_format, label in wanted:
                    missing = [name for name in PARAM.findall(path_format) if name not in seeded.ids]
                    if missing:
                        say(f"skipped {path_format} ({size}): no {', '.join(missing)} to show")
                        continue
                    path = PARAM.sub(lambda m: seeded.ids[m.group(1)], path_format)
                    try:
                        answer = await page.goto(path)
                    except Exception as exc:  # a page that hangs or crashes is reported; the others still come
                        say(f"FAILED {path} as {role.value} ({size}): {exc}")
                        problems += 1
                        continue
                    status = answer.status if answer is not None else 0
                    if status == 404:
                        say(f"skipped {path} ({size}): 404, no such page yet")
                        continue
                    if status >= 400:
                        say(f"FAILED {path} as {role.value} ({size}): {status}")
                        problems += 1
                        continue
                    # A page that keeps polling is shown as it is after five seconds.
                    with contextlib.suppress(PlaywrightTimeout):
                        await page.wait_for_load_state("networkidle", timeout=5_000)
                    name = (
                        file_name(label, size)
                        if label
                        else file_name(PARAM.sub(lambda m: m.group(1).removesuffix("_id"), path_format), size)
                    )
                    await page.screenshot(path=out / name, full_page=True)
                    saved += 1
                    say(f"saved {name} ({path} as {role.value})")
            finally:
                await context.close()
    return saved, problems


async def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        say(f"Debian's Chromium is not installed at {CHROMIUM}: {INSTALL}")
        return 2
    with tempfile.TemporaryDirectory(prefix="lending-screens-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'screens.db'}"
        await asyncio.to_thread(migrations.upgrade, url)
        settings = Settings(
            database_url=url,
            secret_key="screenshots-secret-key-long-enough-for-hs256",
            org_name="Sparkbrook Device Lending",
            org_phone="0121 000 0000",
            password_hash_profile="fast",
            login_max_attempts=100,
            login_window_seconds=60,
        )
        app = create_app(settings)
        server = LiveServer(app)
        server.start()
        try:
            say(f"serving on {server.url}; making the data")
            seeded = await seed(server, settings, app)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM)
                try:
                    saved, problems = await shoot(browser, server, seeded, app, out)
                finally:
                    await browser.close()
        finally:
            server.stop()
    say(f"{saved} screenshots in {out}" + (f"; {problems} pages failed" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="where the PNGs go")
    sys.exit(asyncio.run(main(parser.parse_args().out)))
