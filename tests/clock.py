"""Run the whole suite with the clock moved ahead, to prove no test depends on today's date.

    LENDING_TEST_CLOCK_SHIFT_DAYS=365 pytest      (or: pytest --clock-shift-days=365)

The test process travels with time-machine for the whole session (the clock keeps ticking), and so does every Python
process the tests start (`lending serve`, the CLI), through tests/clock_site/sitecustomize.py on PYTHONPATH. The
database's own clock is not moved; Lending takes every date and time from Python, so nothing reads it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import time_machine

# Read by tests/clock_site/sitecustomize.py in child processes. Not LENDING_-prefixed, because the tests strip those
# from the environment of the servers they start.
CHILD_SHIFT = "_LENDING_TEST_CLOCK_SHIFT_SECONDS"
SITE = Path(__file__).with_name("clock_site")
_SHIFT = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=None,
        help="run with the clock this many days ahead (default: $LENDING_TEST_CLOCK_SHIFT_DAYS, else 0)",
    )


def _shift_days(config: pytest.Config) -> int:
    given = config.getoption("--clock-shift-days")
    if given is None:
        given = int(os.environ.get("LENDING_TEST_CLOCK_SHIFT_DAYS") or 0)
    return int(given)


def pytest_configure(config: pytest.Config) -> None:
    days = _shift_days(config)
    if not days:
        return
    seconds = days * 86400
    config.stash[_SHIFT] = days
    if os.environ.get(CHILD_SHIFT) == str(seconds):
        return  # a worker process this session started: sitecustomize has already moved its clock
    traveller = time_machine.travel(time.time() + seconds, tick=True)
    traveller.start()
    # A ticking clock starts from its first reading: read it now, as the processes started later do, so that every
    # clock in the run agrees (a token issued here must not look issued in the future to `lending serve`).
    time.time()
    config.add_cleanup(traveller.stop)
    os.environ[CHILD_SHIFT] = str(seconds)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.stash.get(_SHIFT, 0)
    return f"clock shifted {days:+d} days: today is {time.strftime('%Y-%m-%d')}" if days else None


def child_environment() -> dict[str, str]:
    """For a test that builds a child process's environment from nothing: what keeps the child on the run's clock."""
    if CHILD_SHIFT not in os.environ:
        return {}
    return {CHILD_SHIFT: os.environ[CHILD_SHIFT], "PYTHONPATH": os.environ.get("PYTHONPATH", str(SITE))}
