"""Pages under test: over HTTP with a signed-in cookie (AsyncTestClient), and in Debian's Chromium (Playwright).

Browser tests are plain (sync) test functions: Playwright's sync API drives Chromium while the app is served by a
real uvicorn server on a free port in a thread of this process, on this worker's test database. Their data is set
up through the API (sync httpx with bearer tokens) or the async fixtures of tests/conftest.py, which pytest-asyncio
runs before the test body.
"""

from __future__ import annotations

import contextvars
import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from lending.app import create_app
from lending.config import Settings
from tests.support import PASSWORD, Actor

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium chromium-driver"
# Sizes the pages are checked at (and the README's screenshots are taken at).
TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Extra Chromium switches a test needs (the camera test's fake video file), set before `browser` starts.
BROWSER_ARGS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("browser_args", default=())

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"|"x-csrftoken": "([^"]+)"')


def csrf_of(html: str) -> str:
    """The token a page gives its forms (a hidden field) and htmx (the body's hx-headers)."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
async def pages(client: AsyncTestClient) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client: HTTPS (the session cookie is Secure), cookies kept between requests, redirects not
    followed (where a sign-in lands is under test).

    It sends through the `client` fixture's transport, so the app runs once, on one event loop, however a test mixes
    API calls (`client`) and page calls (`pages`): a second test client would start the app again on a loop of its
    own, and asyncpg refuses a pooled connection from another loop."""
    # Not entered as a context manager: the transport is the test client's, which that client opens and closes.
    yield httpx.AsyncClient(transport=client._transport, base_url="https://testserver.local", follow_redirects=False)


async def sign_in(client: AsyncTestClient, who: Actor | str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the sign-in form, as a person would; the answer is the redirect to their home."""
    client.cookies.clear()
    form = await client.get("/login")
    email = who if isinstance(who, str) else who.email
    return await client.post("/login", data={"email": email, "password": password, "_csrf_token": csrf_of(form.text)})


async def csrf(client: AsyncTestClient, path: str | None = None) -> str:
    """The CSRF token a page of `path` carries for its forms; by default the page `/` leads to (the sign-in page,
    or the signed-in user's home)."""
    if path is None:
        path = (await client.get("/")).headers["location"]
    return csrf_of((await client.get(path)).text)


# --- a real server and a real browser -------------------------------------------------------------------------


class LiveServer:
    def __init__(self, app: Litestar) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[LiveServer]:
    """One server per worker for the whole run; each test's `engine` fixture wipes the database under it."""
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        org_name="Test Lending Network",
        org_phone="0121 000 0000",
        login_max_attempts=50,
        login_window_seconds=60,
        password_hash_profile="fast",
    )
    server = LiveServer(create_app(settings))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def browser(live_server: LiveServer) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, started for each test (about a second): Playwright's async API runs on the
    test's own event loop, which its sync API would take over for the whole run."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's Chromium is not installed at {CHROMIUM}: {INSTALL}")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", *BROWSER_ARGS.get()],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class Desk:
    """A signed-in browser page on the live server, and the API as that user (for setting up and checking)."""

    page: Page
    server: LiveServer
    user: Actor | None

    async def go(self, path: str) -> None:
        await self.page.goto(self.server.url + path)

    def api(self) -> httpx.AsyncClient:
        headers = self.user.headers if self.user is not None else {}
        return httpx.AsyncClient(base_url=self.server.url, headers=headers, timeout=30)


@pytest.fixture
async def open_page(browser: Browser, live_server: LiveServer, engine) -> AsyncIterator[Callable[..., Any]]:
    """Open a browser page signed in as `user` (through the sign-in form, as a person would), at a viewport size."""
    contexts: list[BrowserContext] = []

    async def open_as(user: Actor | None, viewport: dict[str, int] = DESKTOP, **options: Any) -> Desk:
        context = await browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        if user is not None:
            await page.goto("/login")
            await page.get_by_label("Email").fill(user.email)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_load_state()
        return Desk(page=page, server=live_server, user=user)

    yield open_as
    for context in contexts:
        await context.close()


async def assert_accessible(page: Page, context: str = "") -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = await Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert bad == [], f"{context or page.url}: {bad}"


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
async def people(make_user) -> dict[str, Actor]:
    """One user per role (and a second school's user), made before a browser test's body runs."""
    from lending.accounts.models import Role

    return {
        "admin": await make_user(Role.admin),
        "staff": await make_user(Role.staff),
        "volunteer": await make_user(Role.volunteer),
        "school": await make_user(Role.school),
        "other_school": await make_user(Role.school),
    }


@pytest.fixture
async def world(client, staff, volunteer, sessions, make_user) -> tuple[Any, Actor]:
    """The dashboard's known world (tests/web/dashboard_data.py) and its school's user."""
    from lending.accounts.models import Role
    from tests.web.dashboard_data import make_world

    async def teacher(school_id: int) -> Actor:
        return await make_user(Role.school, school_id=school_id)

    return await make_world(client, staff, volunteer, sessions, teacher)


async def draw_signature(page: Any) -> None:
    """A stroke drawn with the mouse across the signature pad, as a family's finger would."""
    box = await page.get_by_role("img", name="Signature").bounding_box()
    assert box is not None and box["width"] > 200
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    await page.mouse.move(x + w * 0.1, y + h * 0.6)
    await page.mouse.down()
    for i in range(1, 21):
        await page.mouse.move(x + w * (0.1 + 0.04 * i), y + h * (0.6 - 0.3 * ((i % 4) / 3)), steps=3)
    await page.mouse.up()
