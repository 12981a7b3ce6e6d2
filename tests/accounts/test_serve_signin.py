"""Sign-in behind `lending serve`: which proxy headers are believed, several workers, the first admin's password.

These start the real server (uvicorn) on the test database, because uvicorn is what reads X-Forwarded-For.
Connections come from 127.0.0.1 or 127.0.0.2 (both loopback on Linux), standing for a client and a proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.support import free_port, stop_serving, wait_until_serving

ADMIN = {"email": "admin@example.org", "password": "first-admin-long-secret"}


@contextmanager
def serving(database_url: str, *args: str, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    environment.update(
        {
            "LENDING_DATABASE_URL": database_url,
            "LENDING_REMINDERS_IN_PROCESS": "false",  # no background reminder run: this server is not about it
            "LENDING_ADMIN_PASSWORD": ADMIN["password"],
            "LENDING_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "lending", "serve", "--port", str(port), *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base, process
    finally:
        stop_serving(process)


def post(
    base: str,
    path: str,
    body: dict,
    *,
    source: str = "127.0.0.1",
    forwarded_for: str | None = None,
    token: str | None = None,
) -> httpx.Response:
    """One request on a connection of its own (so that, with several workers, any of them may answer)."""
    headers = {
        **({"X-Forwarded-For": forwarded_for} if forwarded_for else {}),
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30) as client:
        return client.post(f"{base}{path}", json=body, headers=headers)


def guess(base: str, **how: str) -> int:
    return post(base, "/api/v1/auth/token", {"email": ADMIN["email"], "password": "wrong-guess-123"}, **how).status_code


def test_rotating_x_forwarded_for_does_not_reset_the_limit(database_url, engine):
    # uvicorn on its own believes X-Forwarded-For from 127.0.0.1; with no trusted proxies configured, nobody is.
    with serving(database_url, LENDING_LOGIN_MAX_ATTEMPTS="3", LENDING_LOGIN_ACCOUNT_FREE_FAILURES="100") as (base, _):
        assert [guess(base, forwarded_for=f"203.0.113.{n}") for n in range(1, 4)] == [401, 401, 401]
        assert guess(base, forwarded_for="203.0.113.99") == 429


def test_a_trusted_proxy_names_the_client_and_workers_share_the_limit_and_tokens(database_url, engine):
    with serving(
        database_url,
        "--workers",
        "2",
        LENDING_TRUSTED_PROXIES="127.0.0.2",
        LENDING_LOGIN_MAX_ATTEMPTS="3",
        LENDING_LOGIN_ACCOUNT_FREE_FAILURES="100",
    ) as (base, process):
        workers = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        spawned = [pid for pid in workers if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(spawned) == 2, workers

        # Through the proxy, the client it names is the one counted: each request on a new connection, so both
        # workers take part, and the count is still theirs together.
        via_proxy = {"source": "127.0.0.2", "forwarded_for": "203.0.113.7"}
        assert [guess(base, **via_proxy) for _ in range(3)] == [401, 401, 401]
        assert guess(base, **via_proxy) == 429
        # Another client behind the same proxy is not held up by the first one's attempts...
        assert guess(base, source="127.0.0.2", forwarded_for="203.0.113.8") == 401
        # ...and the header from anyone but the proxy is not believed: 127.0.0.1 is counted as itself.
        assert guess(base, source="127.0.0.1", forwarded_for="203.0.113.7") == 401

        # A token from one worker opens the API at every worker: they sign with one key.
        signed_in = post(base, "/api/v1/auth/token", ADMIN, source="127.0.0.2", forwarded_for="198.51.100.1")
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["access_token"]
        for _ in range(8):
            with httpx.Client(timeout=30) as client:
                me = client.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["email"] == ADMIN["email"]


def test_a_weak_admin_password_stops_serve_with_one_clear_line(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    result = subprocess.run(
        [sys.executable, "-m", "lending", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env={**environment, "LENDING_ADMIN_PASSWORD": "admin@example.org", "LENDING_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [
        "Error: LENDING_ADMIN_PASSWORD: must not be built on the email address"
    ], result.stderr


async def test_the_first_admin_password_meets_the_policy(engine, settings, sessions):
    from lending.accounts.bootstrap import ensure_admin
    from lending.core.errors import Invalid
    from tests.support import count_rows

    for weak in ("short", "qwertyuiop", "Admin@Example.org"):
        configured = settings.model_copy(update={"admin_password": SecretStr(weak)})
        with pytest.raises(Invalid) as refused:
            await ensure_admin(engine, configured)
        assert refused.value.errors[0].field == "LENDING_ADMIN_PASSWORD"
    assert await count_rows(sessions, "user_account") == 0
    strong = settings.model_copy(update={"admin_password": SecretStr(ADMIN["password"])})
    assert await ensure_admin(engine, strong) == ("admin@example.org", None)
