from __future__ import annotations


async def test_the_openapi_document_lists_every_route_with_tags_and_bearer_security(client, app):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item
                  if method in {"get", "post", "patch", "put", "delete"}}
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            path = route.path.replace(":int", "").replace(":str", "")
            assert (path, method) in documented, f"{method} {path} missing from OpenAPI"
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
