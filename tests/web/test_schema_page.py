"""The API documentation page works with no request leaving the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.web.conftest import assert_accessible


async def test_schema_page_loads_everything_from_the_server(open_page) -> None:
    desk = await open_page(None)
    requested: list[str] = []
    desk.page.on("request", lambda request: requested.append(request.url))
    await desk.go("/schema")
    await desk.page.get_by_text("Lending API").first.wait_for()
    await desk.page.locator(".opblock-tag").first.wait_for()
    ours = urlsplit(desk.server.url).netloc
    assert any(u.endswith("/schema/openapi.json") for u in requested)
    elsewhere = [u for u in requested if urlsplit(u).scheme in {"http", "https"} and urlsplit(u).netloc != ours]
    assert elsewhere == []
    assert await desk.page.locator(".opblock-tag").count() >= 5


async def test_pages_load_only_our_own_files(open_page, people) -> None:
    desk = await open_page(people["volunteer"])
    requested: list[str] = []
    desk.page.on("request", lambda request: requested.append(request.url))
    await desk.go("/desk")
    await desk.page.wait_for_load_state("networkidle")
    ours = urlsplit(desk.server.url).netloc
    assert {urlsplit(u).netloc for u in requested} == {ours}
    assert any("/static/vendor/htmx/htmx.min.js" in u for u in requested)
    await assert_accessible(desk.page)
