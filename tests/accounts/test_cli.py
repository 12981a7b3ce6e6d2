from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from lending.accounts.models import User
from tests.clock import child_environment


def run_cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {"LENDING_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **child_environment()}
    return subprocess.run(
        [sys.executable, "-m", "lending", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


async def test_users_create_reads_the_password_from_stdin(database_url, engine, sessions, client):
    result = run_cli(
        database_url,
        "users",
        "create",
        "--email",
        "Desk@Example.org",
        "--name",
        "Desk",
        "--role",
        "volunteer",
        "--password-stdin",
        stdin="a-long-desk-password\n",
    )
    assert result.returncode == 0, result.stderr
    assert "volunteer desk@example.org" in result.stdout
    login = await client.post(
        "/api/v1/auth/token", json={"email": "desk@example.org", "password": "a-long-desk-password"}
    )
    assert login.status_code == 200
    async with sessions() as session:
        user = (await session.scalars(select(User).where(User.email == "desk@example.org"))).one()
        assert user.role == "volunteer"


async def test_users_create_generates_a_password_and_refuses_duplicates(database_url, engine, client):
    result = run_cli(database_url, "users", "create", "--email", "gen@example.org", "--name", "Gen", "--role", "staff")
    assert result.returncode == 0, result.stderr
    password = result.stdout.split("Password (shown once): ")[1].strip()
    assert (
        await client.post("/api/v1/auth/token", json={"email": "gen@example.org", "password": password})
    ).status_code == 200
    again = run_cli(database_url, "users", "create", "--email", "GEN@example.org", "--name", "Gen", "--role", "staff")
    assert again.returncode != 0 and "already exists" in again.stderr
    bad = run_cli(database_url, "users", "create", "--email", "nope", "--name", "X", "--role", "staff")
    assert bad.returncode == 2 and "--email" in bad.stderr


def test_db_current_names_the_head_revision(database_url):
    result = run_cli(database_url, "db", "current")
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout


async def test_users_create_applies_the_password_policy(database_url, engine, sessions):
    for weak in ("short", "desk@example.org-1"):
        result = run_cli(
            database_url,
            "users",
            "create",
            "--email",
            "desk@example.org",
            "--name",
            "Desk",
            "--role",
            "volunteer",
            "--password-stdin",
            stdin=f"{weak}\n",
        )
        assert result.returncode == 2 and "stdin" in result.stderr, result.stderr
    async with sessions() as session:
        assert (await session.scalars(select(User))).all() == []
