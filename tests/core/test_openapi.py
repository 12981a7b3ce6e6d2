from __future__ import annotations


async def test_the_openapi_document_lists_every_route_with_tags_and_bearer_security(client, app):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    for route in app.routes:
        if not route.path.startswith(("/api/", "/health")):
            continue  # the documentation itself, and the pages (lending/web), which are not the API
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            path = route.path.replace(":int", "").replace(":str", "")
            assert (path, method) in documented, f"{method} {path} missing from OpenAPI"
    assert not [p for p in document["paths"] if not p.startswith(("/api/", "/health"))], "pages are not the API"
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"].lower() == "bearer"
    tags = {t["name"] for t in document["tags"]}
    assert {"accounts", "centres", "audit", "system"} <= tags
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("tags"), f"{method} {path} has no tag"
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert "TokenRequest" in str(token["requestBody"])


async def test_the_schema_page_renders(client):
    response = await client.get("/schema")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


# --- the written contract: problem answers, role-dependent shapes, closed models ------------------------------

from datetime import date  # noqa: E402

from jsonschema_rs import Draft202012Validator  # noqa: E402
from litestar import post  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from lending.access import allow  # noqa: E402
from lending.accounts.models import Role  # noqa: E402
from lending.app import create_app  # noqa: E402
from lending.core.schemas import Schema  # noqa: E402
from tests.support import assert_problem  # noqa: E402

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def expected_problems(method: str, path: str, operation: dict, guarded: bool) -> set[int]:
    """What each operation must document, worked out here from the operation itself, not from the app's table."""
    public = operation.get("security") == []
    expected = {422, 503}
    if not public:
        expected |= {401}
    if guarded:
        expected.add(403)
    if "{" in path:
        expected.add(404)
    if method in WRITES and not public:
        expected.add(409)
    if "requestBody" in operation:
        expected |= {400, 408, 413}
    return expected


def guarded_operations(app) -> set[tuple[str, str]]:
    out = set()
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if any(getattr(getattr(g, "func", g), "may_refuse", True) for g in handler.resolve_guards()):
                out.add((method, route.path_format))
    return out


def validator(document: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema validator for one schema of the document, resolving its `#/components/...` references."""
    return Draft202012Validator({**schema, "components": document["components"]})


async def test_every_operation_documents_the_problem_answers_that_apply_to_it(client, app):
    document = (await client.get("/schema/openapi.json")).json()
    guarded = guarded_operations(app)
    problem = {"$ref": "#/components/schemas/Problem"}
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            documented = {int(s) for s in operation["responses"] if int(s) >= 400}
            expected = expected_problems(method, path, operation, (method, path) in guarded)
            assert expected <= documented, f"{method} {path} lacks {sorted(expected - documented)}"
            for status in documented:
                response = operation["responses"][str(status)]
                if (method, path, status) == ("GET", "/health", 503):
                    continue  # /health answers its own status document, not a problem
                assert response["content"] == {"application/problem+json": {"schema": problem}}, (method, path)
                assert response["description"]
            checked += 1
    assert checked >= 60
    # Sign-in is public, answers 401 for a wrong password and 429 with Retry-After when hammered.
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == [] and {"401", "429"} <= set(token["responses"])
    assert "Retry-After" in token["responses"]["429"]["headers"]
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "security" not in document["paths"]["/api/v1/me"]["get"]  # the document's bearer default applies
    # Litestar's own "400 ValidationException" as application/json is never documented: we do not send it.
    assert "400" not in document["paths"]["/api/v1/centres"]["get"]["responses"]


async def test_the_problem_schema_describes_real_problem_answers(client, app, staff, volunteer):
    document = (await client.get("/schema/openapi.json")).json()
    check = validator(document, {"$ref": "#/components/schemas/Problem"})
    answers = [
        (await client.get("/api/v1/me"), 401),
        (
            await client.post(
                "/api/v1/centres", json={"name": "Hub", "postcode": "B12 9QP"}, headers=volunteer.headers
            ),
            403,
        ),
        (await client.get("/api/v1/centres/999", headers=staff.headers), 404),
        (
            await client.post(
                "/api/v1/centres", content=b"{oops", headers={**staff.headers, "Content-Type": "application/json"}
            ),
            400,
        ),
        (await client.post("/api/v1/centres", json={"name": "", "postcode": "nope"}, headers=staff.headers), 422),
        (
            await client.post(
                "/api/v1/assets/import?dry_run=false",
                content=b"kind\nbanana\n",
                headers={**staff.headers, "Content-Type": "text/csv"},
            ),
            422,
        ),  # errors carry `row`
    ]
    for response, status in answers:
        body = assert_problem(response, status)
        errors = [e.message for e in check.iter_errors(body)]
        assert not errors, f"{status}: {errors} in {body}"
    assert answers[-1][0].json()["errors"][0]["row"] == 2


class Note(Schema):
    text: str


async def test_a_route_added_later_is_documented_by_the_same_table(settings, engine):
    @post("/api/v1/extra/{thing_id:int}", guards=[allow("users.manage")], tags=["system"])
    async def extra(thing_id: int, data: Note) -> None:
        return None

    app = create_app(settings)
    app.register(extra)
    async with AsyncTestClient(app=app) as client:
        document = (await client.get("/schema/openapi.json")).json()
    responses = document["paths"]["/api/v1/extra/{thing_id}"]["post"]["responses"]
    assert {"400", "401", "403", "404", "408", "409", "413", "422", "503"} <= set(responses)


async def seed_nomination(client, staff, make_user) -> tuple[dict, object]:
    school = (
        await client.post(
            "/api/v1/schools", json={"name": "Anderton Park Primary", "urn": "103245"}, headers=staff.headers
        )
    ).json()
    teacher = await make_user(Role.school, school_id=school["id"])
    response = await client.post(
        "/api/v1/nominations",
        headers=teacher.headers,
        json={
            "laptops": 1,
            "reason": "shares one phone",
            "family": {
                "lead_name": "Amina Khan",
                "phone": "07911 123456",
                "postcode": "B12 9QT",
                "children": 2,
                "school_age_children": 2,
                "has_broadband": False,
                "free_school_meals": True,
                "consent_given_on": date.today().isoformat(),
            },
        },
    )
    assert response.status_code == 201, response.text
    return response.json(), teacher


def branches(document: dict, schema: dict) -> list[str]:
    return [ref["$ref"].rsplit("/", 1)[1] for ref in schema["oneOf"]]


def matching(document: dict, schema: dict, body: dict) -> list[str]:
    """The `oneOf` branches of `schema` that `body` matches (the document says it must be exactly one)."""
    return [
        name
        for name in branches(document, schema)
        if validator(document, {"$ref": f"#/components/schemas/{name}"}).is_valid(body)
    ]


def resolve(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def answer_schema(document: dict, method: str, path: str, status: str = "200") -> dict:
    return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


async def test_role_dependent_answers_document_every_shape_and_each_answer_matches_exactly_one(
    client, admin, staff, volunteer, make_user
):
    document = (await client.get("/schema/openapi.json")).json()
    nomination, teacher = await seed_nomination(client, staff, make_user)

    # A nomination: staff see the priority and its breakdown, the school that made it does not.
    schema = answer_schema(document, "get", "/api/v1/nominations/{nomination_id}")
    assert branches(document, schema) == ["NominationStaffDetail", "NominationDetail"]
    assert "priority" in document["components"]["schemas"]["NominationStaffDetail"]["required"]
    as_staff = (await client.get(f"/api/v1/nominations/{nomination['id']}", headers=staff.headers)).json()
    as_school = (await client.get(f"/api/v1/nominations/{nomination['id']}", headers=teacher.headers)).json()
    assert "priority" in as_staff and "priority" not in as_school
    assert matching(document, schema, as_staff) == ["NominationStaffDetail"]
    assert matching(document, schema, as_school) == ["NominationDetail"]
    listed = answer_schema(document, "get", "/api/v1/nominations")
    items = resolve(document, listed)["properties"]["items"]["items"]
    for actor, shape in ((staff, "NominationStaffOut"), (teacher, "NominationOut")):
        body = (await client.get("/api/v1/nominations", headers=actor.headers)).json()
        assert validator(document, listed).is_valid(body)
        assert matching(document, items, body["items"][0]) == [shape]

    # A family: a desk volunteer sees who to hand a device to, not the evidence.
    schema = answer_schema(document, "get", "/api/v1/families/{family_id}")
    assert branches(document, schema) == ["FamilyOut", "FamilyDeskOut"]
    family_id = nomination["family_id"]
    for actor, shape in ((staff, "FamilyOut"), (volunteer, "FamilyDeskOut"), (teacher, "FamilyOut")):
        body = (await client.get(f"/api/v1/families/{family_id}", headers=actor.headers)).json()
        assert matching(document, schema, body) == [shape], (actor.role, body)

    # An asset: a SIM's voucher code is for staff and admin only.
    centre = (
        await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "B12 9QP"}, headers=staff.headers)
    ).json()
    donor = (
        await client.post("/api/v1/donors", json={"name": "Acme", "kind": "business"}, headers=staff.headers)
    ).json()
    donation = await client.post(
        "/api/v1/donations",
        headers=staff.headers,
        json={
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": date.today().isoformat(),
            "items": [{"kind": "sim", "iccid": "8944110068012345679", "network": "EE", "voucher_code": "SECRET"}],
        },
    )
    assert donation.status_code == 201, donation.text
    tag = donation.json()["assets"][0]["tag"]
    schema = answer_schema(document, "get", "/api/v1/assets/{tag}")
    assert branches(document, schema) == ["AssetStaffDetail", "AssetDetail"]
    for actor, shape in ((admin, "AssetStaffDetail"), (volunteer, "AssetDetail")):
        body = (await client.get(f"/api/v1/assets/{tag}", headers=actor.headers)).json()
        assert matching(document, schema, body) == [shape], actor.role
    other = (
        await client.post("/api/v1/centres", json={"name": "Aston Hub", "postcode": "B6 4AA"}, headers=staff.headers)
    ).json()
    moved = answer_schema(document, "post", "/api/v1/assets/{tag}/move")
    response = await client.post(
        f"/api/v1/assets/{tag}/move", json={"centre_id": other["id"]}, headers=volunteer.headers
    )
    assert response.status_code == 200, response.text
    assert matching(document, moved, response.json()) == ["AssetOut"]


async def test_models_are_closed_so_unknown_keys_are_documented_as_refused(client, staff):
    document = (await client.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert schemas["CentreCreate"]["additionalProperties"] is False
    assert schemas["CentreOut"]["additionalProperties"] is False
    assert schemas["Problem"].get("additionalProperties", True) is not False  # problems may add keys
    response = await client.post(
        "/api/v1/centres", json={"name": "Hub", "postcode": "B12 9QP", "colour": "red"}, headers=staff.headers
    )
    assert_problem(response, 422, "colour")


async def test_a_json_body_has_the_json_types_the_document_promises(client, staff):
    for body, field in (
        ({"name": "Hub", "postcode": "B12 9QP", "is_active": 0}, "is_active"),
        ({"name": "Hub", "postcode": "B12 9QP", "is_active": "yes"}, "is_active"),
    ):
        assert_problem(await client.post("/api/v1/centres", json=body, headers=staff.headers), 422, field)
    school = {"name": "Anderton Park Primary", "urn": "103245"}
    assert (await client.post("/api/v1/schools", json=school, headers=staff.headers)).status_code == 201
    donor = (
        await client.post("/api/v1/donors", json={"name": "Acme", "kind": "business"}, headers=staff.headers)
    ).json()
    centre = (
        await client.post("/api/v1/centres", json={"name": "Hub", "postcode": "B12 9QP"}, headers=staff.headers)
    ).json()
    for bad, field in (
        ({"donor_id": str(donor["id"])}, "donor_id"),
        ({"received_on": 20261121}, "received_on"),
        ({"centre_id": True}, "centre_id"),
    ):
        body = {
            "donor_id": donor["id"],
            "centre_id": centre["id"],
            "received_on": date.today().isoformat(),
            "items": [{"kind": "laptop", "ram_gb": 8}],
            **bad,
        }
        assert_problem(await client.post("/api/v1/donations", json=body, headers=staff.headers), 422, field)
    nested = {
        "donor_id": donor["id"],
        "centre_id": centre["id"],
        "received_on": date.today().isoformat(),
        "items": [{"kind": "laptop", "ram_gb": "8", "charger_included": 1}],
    }
    assert_problem(
        await client.post("/api/v1/donations", json=nested, headers=staff.headers),
        422,
        "items[0].ram_gb",
        "items[0].charger_included",
    )
    # The same schema still reads a CSV row's text, as the import always did.
    response = await client.post(
        f"/api/v1/assets/import?dry_run=true&centre_id={centre['id']}",
        content=b"kind,make,model,ram_gb,charger_included\nlaptop,Dell,E7470,8,true\n",
        headers={**staff.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200 and response.json()["valid"] is True, response.text


async def test_a_query_parameter_the_route_does_not_take_is_refused_by_name(client, staff):
    body = assert_problem(await client.get("/api/v1/loans.csv?stauts=active", headers=staff.headers), 422, "stauts")
    assert "status" in body["errors"][0]["message"]  # it says what the route does take
    assert_problem(await client.get("/api/v1/me?debug=1", headers=staff.headers), 422, "debug")
    assert (await client.get("/api/v1/loans.csv?status=active&limit=5", headers=staff.headers)).status_code == 422
    assert (await client.get("/api/v1/loans?status=active&limit=5", headers=staff.headers)).status_code == 200


async def test_options_lists_every_method_of_the_path(client, staff):
    collection = await client.options("/api/v1/centres", headers=staff.headers)
    item = await client.options("/api/v1/centres/1", headers=staff.headers)
    assert set(collection.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    assert set(item.headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "OPTIONS"}


async def test_csv_answers_are_documented_as_csv(client, staff):
    document = (await client.get("/schema/openapi.json")).json()
    csv_paths = [p for p in document["paths"] if p.endswith(".csv")]
    assert {"/api/v1/assets.csv", "/api/v1/loans.csv", "/api/v1/sims/to-bar.csv"} <= set(csv_paths)
    for path in csv_paths:
        assert list(document["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/csv; charset=utf-8"]
        response = await client.get(path, headers=staff.headers)
        # Exactly as documented: the charset once (Litestar adds it to a text/* media type itself).
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
    body = document["paths"]["/api/v1/assets/import"]["post"]["requestBody"]
    assert list(body["content"]) == ["text/csv"]


async def test_a_parameter_a_route_can_do_without_is_not_documented_as_required(client, admin):
    """`Parameter(None, …)` reads None as the parameter's type, not its default: the route still runs without it,
    but the document called it required (Schemathesis then expects a 4xx when it is left out)."""
    document = (await client.get("/schema/openapi.json")).json()
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                checked += 1
                schema = parameter["schema"]
                optional = "default" in schema or {"type": "null"} in schema.get("oneOf", [])
                assert not (optional and parameter.get("required")), f"{method.upper()} {path}: {parameter['name']}"
    assert checked > 40
    # And a route called without its optional parameters answers.
    for url in ("/api/v1/families/possible-duplicates", "/api/v1/loans", "/api/v1/assets", "/api/v1/audit"):
        assert (await client.get(url, headers=admin.headers)).status_code == 200, url
