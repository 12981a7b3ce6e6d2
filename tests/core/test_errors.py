from __future__ import annotations

import logging

from litestar import get
from litestar.testing import AsyncTestClient

from lending.app import create_app
from tests.support import assert_problem


async def test_every_response_carries_a_request_id(client, staff):
    ok = await client.get("/api/v1/me", headers=staff.headers)
    missing = await client.get("/api/v1/nowhere", headers=staff.headers)
    unauthorised = await client.get("/api/v1/me")
    ids = {r.headers["x-request-id"] for r in (ok, missing, unauthorised)}
    assert len(ids) == 3
    echoed = await client.get("/health", headers={"X-Request-ID": "desk-7-abc"})
    assert echoed.headers["x-request-id"] == "desk-7-abc"
    junk = await client.get("/health", headers={"X-Request-ID": "<script>"})
    assert junk.headers["x-request-id"] != "<script>"


async def test_unknown_route_and_wrong_method_are_problem_json(client, staff):
    assert_problem(await client.get("/api/v1/nowhere", headers=staff.headers), 404)
    assert_problem(await client.delete("/api/v1/me", headers=staff.headers), 405)


async def test_malformed_json_is_400_naming_the_body(client, staff):
    response = await client.post(
        "/api/v1/centres", content=b"{not json", headers={**staff.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "body")


async def test_nested_validation_errors_name_the_dotted_path(client, admin):
    response = await client.post(
        "/api/v1/users", json={"email": 5, "name": ["x"], "role": "staff"}, headers=admin.headers
    )
    body = assert_problem(response, 422, "email", "name")
    assert "email" in body["detail"]


async def test_query_parameter_errors_name_the_parameter(client, admin):
    assert_problem(await client.get("/api/v1/audit?user_id=abc", headers=admin.headers), 422, "user_id")
    assert_problem(await client.get("/api/v1/audit?since=yesterday", headers=admin.headers), 422, "since")


async def test_a_crash_is_a_logged_500_without_a_stack_trace(settings, engine, caplog):
    @get("/boom", exclude_from_auth=True)
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app = create_app(settings)
    app.register(boom)
    caplog.set_level(logging.ERROR, logger="lending.errors")
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert any(body["request_id"] in record.getMessage() for record in caplog.records)
