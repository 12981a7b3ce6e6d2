"""Helpers shared by the tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

PASSWORD = "correct-horse-battery"


def days_ago(n: int) -> str:
    """A date `n` days before today, as the API takes it: tests date things from the clock, never from a calendar."""
    return (date.today() - timedelta(days=n)).isoformat()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept to the first of the month so that no month is too short for it."""
    assert day.day == 1, day
    years, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + years, month=month + 1)


@dataclass
class Actor:
    id: int
    email: str
    role: str
    token: str
    school_id: int | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def count_rows(sessions: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessions() as session:
        return int((await session.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one())


def assert_problem(response, status: int, *fields: str) -> dict:
    """The response is RFC 9457 problem+json with `status`, naming each of `fields` in `errors`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    named = {e["field"] for e in body.get("errors", [])}
    for field in fields:
        assert field in named, f"{field} not in {named}"
    return body


# --- a real `lending serve` in its own process --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Return once `lending serve` at `base` answers /health; fail with its output if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            output = process.communicate()
            raise RuntimeError(f"lending serve exited with {process.returncode} before answering: {output}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"lending serve did not answer /health within {timeout:g} s")
        time.sleep(0.2)


def stop_serving(process: subprocess.Popen, how: signal.Signals = signal.SIGINT) -> str:
    """End the server as `how` does (SIGINT: a clean stop) and return what it printed, if it was captured."""
    process.send_signal(how)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""
