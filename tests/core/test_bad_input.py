"""Bad input is a 4xx naming what is wrong, never a 5xx or a misleading 409.

The class tests walk the OpenAPI document (every route, every parameter) or every request schema, so a route or
field added later is held to the same rules.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import quote

import pytest
from litestar import get, post
from litestar.testing import AsyncTestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

import lending.app
from lending.accounts.models import User
from lending.app import create_app
from lending.audit.recorder import set_actor
from lending.core.schemas import MAX_ID, Schema
from lending.schools.models import School
from tests.loans.conftest import centre, family, issue, stock  # noqa: F401  (shared fixtures)
from tests.support import assert_problem, count_rows

BIG = [2**63, 10**30]
NUL = "a\x00b"
METHODS = {"get", "post", "patch", "put", "delete"}


async def openapi(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def has_type(schema: dict, kind: str) -> bool:
    return schema.get("type") == kind or any(s.get("type") == kind for s in schema.get("oneOf", []))


def has_format(schema: dict, fmt: str) -> bool:
    return schema.get("format") == fmt or any(s.get("format") == fmt for s in schema.get("oneOf", []))


def url_for(path: str, operation: dict, **values: str) -> str:
    """`path` with every path parameter filled: `values` where given, else a harmless id or tag."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            # An id no row has: a request must not act on a real record (a password reset would sign admin out).
            default = "424242" if has_type(parameter["schema"], "integer") else "LAP-000001-8"
            path = path.replace("{" + name + "}", values.get(name, default))
    return path


def resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_bodies(document: dict):
    for path, method, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            yield path, method, operation, resolve(document, content["application/json"]["schema"])


# --- integers beyond the database's BIGINT -----------------------------------------------------------------------


async def test_every_integer_path_and_query_parameter_refuses_numbers_beyond_bigint(client, admin):
    document = await openapi(client)
    checked = 0
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] not in ("path", "query") or not has_type(parameter["schema"], "integer"):
                continue
            name = parameter["name"]
            for big in BIG:
                if parameter["in"] == "path":
                    url = url_for(path, operation, **{name: str(big)})
                else:
                    url = f"{url_for(path, operation)}?{name}={big}"
                response = await client.request(
                    method.upper(), url, headers=admin.headers, **({"json": {}} if method in ("post", "patch") else {})
                )
                assert response.status_code == 422, f"{method.upper()} {url}: {response.text}"
                assert_problem(response, 422, name)
                checked += 1
    assert checked >= 2 * 40  # every id, limit and offset of the API


async def test_offset_beyond_any_list_is_422_naming_offset(client, admin):
    for url in ("/api/v1/loans", "/api/v1/assets", "/api/v1/audit", "/api/v1/families"):
        assert_problem(await client.get(f"{url}?offset={10**30}", headers=admin.headers), 422, "offset")
    ok = await client.get("/api/v1/loans?offset=1000000", headers=admin.headers)
    assert ok.status_code == 200 and ok.json()["items"] == []


def test_every_integer_field_of_every_request_schema_has_an_upper_bound_within_bigint():
    # Read from pydantic's own schema: Litestar's OpenAPI rendering drops the bounds of optional fields.
    unbounded: list[str] = []

    def walk(schema: dict, definitions: dict, where: str) -> None:
        if "$ref" in schema:
            return  # a nested schema is checked as a model of its own
        if schema.get("type") == "integer" and not schema.get("maximum", MAX_ID + 1) <= MAX_ID:
            unbounded.append(where)
        for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
            walk(sub, definitions, where)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], definitions, f"{where}[]")

    schemas = _input_schemas()
    for model in schemas:
        document = model.model_json_schema()
        for name, prop in document.get("properties", {}).items():
            walk(prop, document.get("$defs", {}), f"{model.__name__}.{name}")
    assert len(schemas) > 25
    assert unbounded == []


async def test_ids_beyond_bigint_in_bodies_are_422_naming_the_field(client, admin, staff, family, centre, sessions):
    cases = [
        ("/api/v1/loans", {"family_id": 2**63, "centre_id": centre["id"], "items": ["LAP-000001-8"]}, "family_id"),
        ("/api/v1/loans", {"family_id": family["id"], "centre_id": 10**30, "items": ["LAP-000001-8"]}, "centre_id"),
        (
            "/api/v1/loans",
            {"family_id": family["id"], "centre_id": centre["id"], "items": ["LAP-000001-8"], "nomination_id": 2**63},
            "nomination_id",
        ),
        (
            "/api/v1/donations",
            {
                "donor_id": 2**63,
                "centre_id": centre["id"],
                "received_on": date.today().isoformat(),
                "items": [{"kind": "laptop"}],
            },
            "donor_id",
        ),
        ("/api/v1/nominations", {"family_id": 2**63, "school_id": 1, "laptops": 1}, "family_id"),
        (
            "/api/v1/users",
            {"email": "x@example.org", "name": "X", "role": "volunteer", "home_centre_id": 2**63},
            "home_centre_id",
        ),
        ("/api/v1/labels", {"filter": {"centre_id": 2**63}, "layout": "avery-l7160"}, "filter.centre_id"),
        (
            "/api/v1/labels",
            {"tags": ["LAP-000001-8"], "layout": "avery-l7160", "start_position": 2**63},
            "start_position",
        ),
    ]
    for url, body, field in cases:
        assert_problem(await client.post(url, json=body, headers=admin.headers), 422, field)
    assert await count_rows(sessions, "loan") == 0


# --- NUL characters ------------------------------------------------------------------------------------------------


async def test_every_string_path_and_query_parameter_refuses_nul(client, admin):
    document = await openapi(client)
    checked = 0
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if parameter["in"] not in ("path", "query") or has_type(schema, "integer") or has_type(schema, "boolean"):
                continue
            name = parameter["name"]
            if parameter["in"] == "path":
                url = url_for(path, operation, **{name: quote(NUL)})
            else:
                url = f"{url_for(path, operation)}?{name}={quote(NUL)}"
            response = await client.request(
                method.upper(), url, headers=admin.headers, **({"json": {}} if method in ("post", "patch") else {})
            )
            assert response.status_code == 422, f"{method.upper()} {url}: {response.text}"
            assert_problem(response, 422, name)
            checked += 1
    assert checked >= 30


def _input_schemas() -> list[type[Schema]]:
    found, todo = [], [Schema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def test_every_field_of_every_request_schema_refuses_nul():
    assert lending.app.ROUTE_HANDLERS  # every domain's schemas are imported
    schemas = _input_schemas()
    assert len(schemas) > 25
    for model in schemas:
        for name, field in model.model_fields.items():
            for value in (NUL, [NUL]):
                with pytest.raises(ValidationError) as caught:
                    model.model_validate({name: value})
                located = [e for e in caught.value.errors() if e["loc"][:1] == (field.alias or name,)]
                assert located and "NUL" in located[0]["msg"], (model.__name__, name, caught.value.errors())


async def test_every_json_request_body_is_a_schema_with_those_rules(app):
    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            assert isinstance(data.annotation, type) and issubclass(data.annotation, Schema), handler
            checked += 1
    assert checked > 20


async def test_nul_in_a_body_is_422_naming_the_field_and_nothing_is_written(
    client, admin, staff, family, centre, sessions, stock, issue
):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    before = {t: await count_rows(sessions, t) for t in ("centre", "donor", "family", "loan", "loan_acceptance")}
    cases = [
        ("post", "/api/v1/centres", {"name": NUL, "postcode": "B1 1AA"}, "name"),
        ("post", "/api/v1/donors", {"name": "Acme", "kind": "business", "notes": NUL}, "notes"),
        ("post", "/api/v1/families", {"lead_name": NUL}, "lead_name"),
        ("post", "/api/v1/nominations", {"family": {"lead_name": "A\x00"}, "school_id": 1}, "family.lead_name"),
        (
            "post",
            "/api/v1/loans",
            {"family_id": family["id"], "centre_id": centre["id"], "items": [tag + "\x00"]},
            "items",
        ),
        (
            "post",
            f"/api/v1/loans/{loan['id']}/acceptance",
            {"signer_name": NUL, "relationship": "parent"},
            "signer_name",
        ),
        ("patch", f"/api/v1/centres/{centre['id']}", {"opening_hours": NUL}, "opening_hours"),
        (
            "post",
            "/api/v1/users",
            {"email": "n@example.org", "name": "N", "role": "staff", "password": "a-long-password\x00"},
            "password",
        ),
    ]
    for method, url, body, field in cases:
        assert_problem(await client.request(method.upper(), url, json=body, headers=admin.headers), 422, field)
    assert_problem(await client.post("/api/v1/auth/token", json={"email": NUL, "password": "x"}), 422, "email")
    assert {t: await count_rows(sessions, t) for t in before} == before
    shown = (await client.get(f"/api/v1/centres/{centre['id']}", headers=admin.headers)).json()
    assert "\x00" not in shown["opening_hours"]


# --- JSON nested too deep, and missing bodies ----------------------------------------------------------------------


async def test_json_nested_50000_deep_is_400_naming_the_body(client, admin):
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    objects = ('{"a":' * 50_000 + "1" + "}" * 50_000).encode()
    for url, headers in (
        ("/api/v1/centres", admin.headers),
        ("/api/v1/loans", admin.headers),
        ("/api/v1/auth/token", {}),
    ):
        for body in (deep, objects):
            response = await client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
            assert_problem(response, 400, "body")


async def test_a_missing_body_is_400_naming_the_body_and_an_empty_one_names_each_missing_field(client, admin):
    document = await openapi(client)
    checked = 0
    for path, method, operation, schema in json_bodies(document):
        url = url_for(path, operation)
        missing = await client.request(method.upper(), url, headers=admin.headers)
        body = assert_problem(missing, 400, "body")
        assert "data" not in {e["field"] for e in body["errors"]}
        empty = await client.request(method.upper(), url, json={}, headers=admin.headers)
        assert empty.status_code < 500, f"{method.upper()} {url}: {empty.text}"
        named = {e["field"] for e in empty.json().get("errors", [])} if empty.status_code >= 400 else set()
        assert "data" not in named and "'data'" not in empty.text
        for required in schema.get("required", []):
            assert required in named, f"{method.upper()} {url} does not name {required}: {empty.text}"
        checked += 1
    assert checked > 20
    loans = assert_problem(
        await client.post("/api/v1/loans", json={}, headers=admin.headers), 422, "family_id", "centre_id", "items"
    )
    assert "data" not in loans["detail"]


# --- naive datetimes -----------------------------------------------------------------------------------------------


async def test_every_datetime_query_parameter_reads_a_naive_value_as_utc(client, admin, centre):
    document = await openapi(client)
    since = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
    checked = 0
    for path, _method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or not has_format(parameter["schema"], "date-time"):
                continue
            base = url_for(path, operation)
            naive = await client.get(f"{base}?{parameter['name']}={since.isoformat()}", headers=admin.headers)
            aware = await client.get(
                f"{base}?{parameter['name']}={quote(since.isoformat() + '+00:00')}", headers=admin.headers
            )
            assert naive.status_code == 200, naive.text
            assert naive.json() == aware.json()
            checked += 1
    assert checked >= 1
    entries = (await client.get(f"/api/v1/audit?since={since.isoformat()}", headers=admin.headers)).json()
    assert any(e["entity_type"] == "centre" for e in entries["items"])  # made within the hour: found
    later = (since + timedelta(hours=2)).isoformat()
    assert (await client.get(f"/api/v1/audit?since={later}", headers=admin.headers)).json()["total"] == 0
    assert_problem(await client.get("/api/v1/audit?since=0001-01-01T00:00:00", headers=admin.headers), 422, "since")


def test_every_datetime_field_of_every_request_schema_reads_a_naive_value_as_utc():
    checked = 0
    for model in _input_schemas():
        properties = model.model_json_schema()["properties"] if model.model_fields else {}
        for name, field in model.model_fields.items():
            schema = properties.get(field.alias or name, {})
            if not (
                schema.get("format") == "date-time"
                or any(s.get("format") == "date-time" for s in schema.get("anyOf", []))
            ):
                continue
            adapter = TypeAdapter(
                Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            )
            value = adapter.validate_python("2026-01-02T03:04:05")
            assert value == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), (model.__name__, name)
            checked += 1
    assert checked >= 1  # AcceptanceIn.signed_at at least


def test_naive_datetimes_in_bodies_become_utc_and_far_ones_are_refused():
    from lending.loans.schemas import AcceptanceIn

    signed = AcceptanceIn.model_validate(
        {"signer_name": "A", "relationship": "parent", "signed_at": "2026-01-02T03:04:05"}
    ).signed_at
    assert signed == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) and signed.utcoffset() == timedelta(0)
    shifted = AcceptanceIn.model_validate(
        {"signer_name": "A", "relationship": "parent", "signed_at": "2026-01-02T03:04:05+01:00"}
    ).signed_at
    assert shifted == datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)
    for far in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:00"):
        with pytest.raises(ValidationError, match="signed_at"):
            AcceptanceIn.model_validate({"signer_name": "A", "relationship": "parent", "signed_at": far})


# --- date bounds ---------------------------------------------------------------------------------------------------


def years_from_today(years: int) -> str:
    today = date.today()
    return today.replace(year=today.year + years, day=min(today.day, 28)).isoformat()


async def test_dates_outside_sane_bounds_are_422_naming_the_field(
    client, staff, family, centre, stock, issue, sessions
):
    (tag,) = await stock("laptop")
    assert_problem(await issue(tag, due_on=years_from_today(6)), 422, "due_on")
    assert_problem(await issue(tag, due_on="9999-12-31"), 422, "due_on")
    loan = (await issue(tag, due_on=years_from_today(4))).json()
    assert loan["due_on"] == years_from_today(4)
    assert_problem(
        await client.post(
            f"/api/v1/loans/{loan['id']}/extension",
            json={"due_on": years_from_today(6), "reason": "exams"},
            headers=staff.headers,
        ),
        422,
        "due_on",
    )
    from tests.families.conftest import family_data

    assert_problem(
        await client.post(
            "/api/v1/families",
            json=family_data(phone="07911 999999", consent_given_on="1999-12-31"),
            headers=staff.headers,
        ),
        422,
        "consent_given_on",
    )
    donor = (
        await client.post("/api/v1/donors", json={"name": "Acme", "kind": "business"}, headers=staff.headers)
    ).json()
    assert_problem(
        await client.post(
            "/api/v1/donations",
            json={
                "donor_id": donor["id"],
                "centre_id": centre["id"],
                "received_on": "1999-01-01",
                "items": [{"kind": "laptop", "charger_safety_test_on": "0001-01-01"}],
            },
            headers=staff.headers,
        ),
        422,
        "received_on",
        "items[0].charger_safety_test_on",
    )
    assert_problem(
        await client.post(
            "/api/v1/donations",
            json={
                "donor_id": donor["id"],
                "centre_id": centre["id"],
                "received_on": date.today().isoformat(),
                "items": [
                    {
                        "kind": "sim",
                        "iccid": "89441000000000000005",
                        "activated_on": "9999-12-01",
                        "plan_months": 120,
                        "expires_on": "9999-12-31",
                    }
                ],
            },
            headers=staff.headers,
        ),
        422,
        "items[0].activated_on",
        "items[0].expires_on",
    )
    assert_problem(
        await client.post(
            f"/api/v1/assets/{tag}/wipes",
            json={"method": "nwipe", "performed_on": "1990-05-01", "performed_by": "Workshop"},
            headers=staff.headers,
        ),
        422,
        "performed_on",
    )
    csv = "kind,iccid,network,plan_months,activated_on\nsim,89441000000000000005,EE,120,9999-12-01\n"
    body = assert_problem(
        await client.post(
            "/api/v1/assets/import", content=csv.encode(), headers={**staff.headers, "Content-Type": "text/csv"}
        ),
        422,
        "activated_on",
    )
    assert body["errors"][0]["row"] == 2
    assert_problem(
        await client.post(
            f"/api/v1/assets/import?donor_id={donor['id']}&centre_id={centre['id']}&received_on=1999-01-01",
            content=b"kind\nlaptop\n",
            headers={**staff.headers, "Content-Type": "text/csv"},
        ),
        422,
        "received_on",
    )
    assert await count_rows(sessions, "donation") == 0


# --- 409 only for a real clash with data already held ------------------------------------------------------------


async def test_only_a_unique_violation_is_409_and_other_constraint_failures_are_logged_500s(settings, engine, caplog):
    @post("/probe/duplicate-urn", exclude_from_auth=True, status_code=201)
    async def duplicate(db_session: AsyncSession) -> None:
        set_actor(db_session, user_id=None, label="test")
        db_session.add_all([School(name="A", urn="777777", address=""), School(name="B", urn="777777", address="")])
        await db_session.flush()

    @post("/probe/dangling-centre", exclude_from_auth=True, status_code=201)
    async def dangling(db_session: AsyncSession) -> None:
        set_actor(db_session, user_id=None, label="test")
        db_session.add(
            User(email="fk@example.org", name="FK", role="volunteer", password_hash="x", home_centre_id=987654)
        )
        await db_session.flush()

    @get("/probe/naive", exclude_from_auth=True)
    async def naive(db_session: AsyncSession) -> None:
        from advanced_alchemy.repository import SQLAlchemyAsyncRepository

        class Users(SQLAlchemyAsyncRepository[User]):
            model_type = User

        await Users(session=db_session).list(User.password_changed_at >= datetime(2026, 1, 1))

    app = create_app(settings)
    for handler in (duplicate, dangling, naive):
        app.register(handler)
    caplog.set_level(logging.ERROR, logger="lending.errors")
    async with AsyncTestClient(app=app) as client:
        clash = assert_problem(await client.post("/probe/duplicate-urn"), 409)
        assert clash["detail"] == "This conflicts with data already held."
        for url, method in (("/probe/dangling-centre", "POST"), ("/probe/naive", "GET")):
            response = await client.request(method, url)
            body = assert_problem(response, 500)
            assert "conflicts" not in body["detail"]
            assert any(body["request_id"] in r.getMessage() for r in caplog.records)


def test_unique_violation_reads_the_driver_error():
    from sqlalchemy.exc import IntegrityError

    from lending.core.errors import unique_violation

    class Pg(Exception):
        sqlstate = "23503"

    assert not unique_violation(IntegrityError("INSERT", {}, Pg()))
    Pg.sqlstate = "23505"
    assert unique_violation(IntegrityError("INSERT", {}, Pg()))
    assert unique_violation(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: school.urn")))
    assert not unique_violation(IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed")))
    assert not unique_violation(RuntimeError("boom"))


# --- CSV import ----------------------------------------------------------------------------------------------------


async def test_a_csv_cell_over_128_kb_is_422_naming_row_and_field(client, staff, centre, sessions):
    huge = "x" * (140 * 1024)
    csv = f"kind,centre,make,model,notes\nlaptop,{centre['name']},Dell,E7,ok\nlaptop,{centre['name']},Dell,E7,{huge}\n"
    response = await client.post(
        "/api/v1/assets/import", content=csv.encode(), headers={**staff.headers, "Content-Type": "text/csv"}
    )
    body = assert_problem(response, 422, "notes")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "notes")]
    assert len(response.content) < 10_000  # the cell is named, not echoed
    quoted = f'kind,centre,weee_reference\nlaptop,{centre["name"]},"{huge}"\n'
    body = assert_problem(
        await client.post(
            "/api/v1/assets/import", content=quoted.encode(), headers={**staff.headers, "Content-Type": "text/csv"}
        ),
        422,
        "weee_reference",
    )
    assert body["errors"][0]["row"] == 2
    assert await count_rows(sessions, "asset") == 0


async def test_nul_in_a_csv_cell_is_422_naming_row_and_column(client, staff, centre, sessions):
    for column in ("make", "weee_reference", "centre", "tag", "notes"):
        values = {"kind": "laptop", "centre": centre["name"], column: "A\x00B"}
        csv = ",".join(values) + "\n" + ",".join(values.values()) + "\n"
        body = assert_problem(
            await client.post(
                "/api/v1/assets/import", content=csv.encode(), headers={**staff.headers, "Content-Type": "text/csv"}
            ),
            422,
            column,
        )
        assert body["errors"][0]["row"] == 2
    assert await count_rows(sessions, "asset") == 0


async def test_the_cli_import_names_row_and_field_of_a_huge_cell_or_a_nul_and_refuses_non_utf8(
    database_url, engine, tmp_path, sessions
):
    from tests.accounts.test_cli import run_cli

    path = tmp_path / "assets.csv"
    path.write_text("kind,make,model,notes\nlaptop,De\x00ll,E7,ok\nlaptop,Dell,E7," + "y" * (200 * 1024) + "\n")
    result = run_cli(database_url, "import", "assets", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"2\s+│\s+make\s+│\s+must not contain NUL", result.stderr), result.stderr
    assert re.search(r"3\s+│\s+notes\s+│\s+longer than 2000", result.stderr), result.stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("kind,make\nlaptop,Señor\n".encode("latin-1"))
    result = run_cli(database_url, "import", "assets", str(latin1))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "UTF-8" in result.stderr
    assert await count_rows(sessions, "asset") == 0
    imd = tmp_path / "imd.csv"
    imd.write_text("postcode,imd_decile,lsoa\nB1 1AA,3,E0100\x00\nB2 4QA,2,E01,extra\n")
    result = run_cli(database_url, "import", "imd", str(imd))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "1 bad row(s), nothing loaded: rows 2" in result.stderr
