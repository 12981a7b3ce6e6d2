"""The README's first command: `lending serve` from an empty directory gives a working API on SQLite."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from lending.accounts.bootstrap import ensure_admin
from tests.support import free_port, stop_serving, wait_until_serving

REPO = Path(__file__).resolve().parents[2]


def start(tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    """`lending serve` from `tmp_path` until it answers /health; its /health body and everything it printed."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        health = httpx.get(f"{base}/health", timeout=5)
        assert health.status_code == 200, health.text
        database = health.json()["database"]
    finally:
        output = stop_serving(process)
    return database, output


def test_serve_migrates_creates_the_first_admin_and_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    env["LENDING_REMINDERS_IN_PROCESS"] = "false"  # no background reminder run: this test is not about it
    database, output = start(tmp_path, env)
    assert database == "ok"
    assert (tmp_path / "lending.db").exists()
    assert "admin@example.org" in output
    password = output.split("Password:")[1].split()[0]
    assert len(password) >= 10
    # A second start finds the admin and prints no new password.
    database, again = start(tmp_path, env)
    assert database == "ok"
    assert "Password" not in again and password not in again and "First admin" not in again, again


async def test_first_start_admin_comes_from_settings_once(engine, settings, sessions):
    configured = settings.model_copy(update={"admin_email": "Chief@Example.org", "admin_password": None})
    created = await ensure_admin(engine, configured)
    assert created is not None
    email, generated = created
    assert email == "chief@example.org" and generated
    assert await ensure_admin(engine, configured) is None


def test_the_wheel_carries_migrations_and_labels(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("lending-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "lending/migrations/env.py" in names
    assert "lending/migrations/script.py.mako" in names
    assert any(n.startswith("lending/migrations/versions/0001") for n in names)
    assert "lending/labels/README.md" in names
    assert {
        f"lending/labels/{n}.toml"
        for n in (
            "avery-l7651",
            "avery-l7160",
            "avery-l7163",
            "avery-l7162",
            "avery-5160",
            "brother-dk-11209",
            "dymo-99012",
        )
    } <= set(names)
    assert "lending/documents/terms/terms.en.md" in names and "lending/documents/terms/privacy.en.md" in names
    assert "lending/cli.py" in names


async def test_the_served_app_freezes_its_startup_heap_so_full_collections_stay_short(monkeypatch, database_url):
    # What `lending serve` runs in each worker: the objects a started app holds for life are left out of every later
    # garbage collection. (Only the served app does it: a test process builds many apps and would keep them all.)
    from litestar.testing import AsyncTestClient

    from lending.app import create_app, create_served_app
    from lending.cli import serve
    from lending.config import get_settings

    monkeypatch.setenv("LENDING_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        gc.unfreeze()
        async with AsyncTestClient(create_app(get_settings())) as client:
            assert (await client.get("/health")).status_code == 200
            assert gc.get_freeze_count() == 0
        async with AsyncTestClient(create_served_app()) as client:
            assert (await client.get("/health")).status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        get_settings.cache_clear()
    assert "lending.app:create_served_app" in (serve.callback.__code__.co_consts or ())
