"""Logs never carry a family's data: no SQL parameters in a logged error, no query strings in the access log."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import httpx
from sqlalchemy import text

from tests.families.conftest import family_data
from tests.support import free_port, stop_serving, wait_until_serving

SECRET_NAME = "Wilhelmina Threnody"
SECRET_PHONE = "+447912345678"


async def test_a_logged_database_error_does_not_show_the_sql_parameters(client, staff, engine, caplog):
    # The database itself refuses the row (a trigger of the test's making), so the failure is a real driver error
    # raised inside a request, with the family's values bound as parameters.
    if engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_family() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused by test trigger'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_family BEFORE INSERT ON family FOR EACH ROW EXECUTE FUNCTION refuse_family()",
        ]
        drop = ["DROP TRIGGER refuse_family ON family", "DROP FUNCTION refuse_family()"]
    else:
        create = [
            "CREATE TRIGGER refuse_family BEFORE INSERT ON family BEGIN "
            "SELECT RAISE(ABORT, 'refused by test trigger'); END"
        ]
        drop = ["DROP TRIGGER refuse_family"]
    async with engine.begin() as conn:
        for statement in create:
            await conn.execute(text(statement))
    try:
        with caplog.at_level(logging.DEBUG):
            response = await client.post(
                "/api/v1/families", json=family_data(SECRET_NAME, "07912 345678", "B13 8QZ"), headers=staff.headers
            )
    finally:
        async with engine.begin() as conn:
            for statement in drop:
                await conn.execute(text(statement))
    assert response.status_code >= 500, response.text
    logged = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "refused by test trigger" in logged  # the error, with its traceback, was logged
    assert "INSERT INTO family" in logged and "hide_parameters" in logged
    for value in (SECRET_NAME, SECRET_NAME.lower(), SECRET_PHONE, "B13 8QZ", "Ladypool", "Dad works nights"):
        assert value not in logged, value
        assert value not in response.text, value


def test_the_access_log_of_lending_serve_has_no_query_strings(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LENDING_")},
        "LENDING_LOG_LEVEL": "INFO",
        "LENDING_REMINDERS_IN_PROCESS": "false",  # no background reminder run: this server is not about it
        "LENDING_ADMIN_PASSWORD": "a-long-enough-admin-password",
    }
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
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"email": "admin@example.org", "password": "a-long-enough-admin-password"}
        ).json()["access_token"]
        searched = httpx.get(
            f"{base}/api/v1/families",
            params={"q": "Threnody", "postcode_district": "B13"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert searched.status_code == 200
        refused = httpx.get(f"{base}/api/v1/families?q=07912345678")
        assert refused.status_code == 401
        httpx.get(f"{base}/health?who=Wilhelmina")
    finally:
        output = stop_serving(process)
    assert '"GET /api/v1/families HTTP/1.1" 200' in output, output
    assert '"GET /api/v1/families HTTP/1.1" 401' in output
    assert '"GET /health HTTP/1.1" 200' in output
    for value in ("Threnody", "07912345678", "Wilhelmina", "q="):
        assert value not in output, value
    access = [line for line in output.splitlines() if '"GET ' in line]
    assert len(access) >= 4 and not [line for line in access if "?" in line]
