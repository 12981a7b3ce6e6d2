from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess

import anyio
import pytest
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from lending.app import create_app
from lending.documents.layouts import load_layouts
from tests.documents.conftest import decode, pdf_text, rasterise
from tests.support import assert_problem, days_ago

SHIPPED = sorted(load_layouts()[0])
MM = 72 / 25.4


async def test_the_shipped_layouts_are_listed_with_their_dimensions(client, volunteer):
    response = await client.get("/api/v1/labels/layouts", headers=volunteer.headers)
    assert response.status_code == 200
    layouts = {l["id"]: l for l in response.json()}
    assert set(layouts) >= {
        "avery-l7651",
        "avery-l7160",
        "avery-l7163",
        "avery-l7162",
        "avery-5160",
        "brother-dk-11209",
        "dymo-99012",
    }
    l7651 = layouts["avery-l7651"]
    assert (l7651["per_page"], l7651["label_width_mm"], l7651["label_height_mm"]) == (65, 38.1, 21.2)
    assert (l7651["page_width_mm"], l7651["page_height_mm"]) == (210.0, 297.0)
    assert layouts["avery-l7160"]["per_page"] == 21 and layouts["avery-l7163"]["per_page"] == 14
    assert layouts["avery-l7162"]["per_page"] == 16 and layouts["avery-5160"]["per_page"] == 30
    assert layouts["avery-5160"]["page_width_mm"] == 215.9
    assert (layouts["brother-dk-11209"]["page_width_mm"], layouts["brother-dk-11209"]["page_height_mm"]) == (62, 29)
    assert layouts["dymo-99012"]["per_page"] == 1


@pytest.mark.parametrize("layout_id", SHIPPED)
async def test_every_tag_on_a_full_sheet_scans_back_exactly(layout_id, label_pdf, stock, tmp_path, client, volunteer):
    layouts = {l["id"]: l for l in (await client.get("/api/v1/labels/layouts", headers=volunteer.headers)).json()}
    per_page = layouts[layout_id]["per_page"]
    count = per_page if per_page > 1 else 3
    tags = await stock(*(["laptop", "sim"] * count)[:count])
    pdf = await label_pdf(tags=tags, layout=layout_id)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == (1 if per_page > 1 else count)
    for page in reader.pages:
        assert "/XObject" not in page["/Resources"], "labels must be vectors, not images"
    assert sorted(decode(rasterise(pdf, tmp_path))) == sorted(tags)


async def test_label_text_names_the_asset_the_organisation_and_who_to_call(label_pdf, stock, tmp_path, settings):
    laptop, sim = await stock("laptop", "sim")
    text = pdf_text(await label_pdf(tags=[laptop, sim], layout="avery-l7160"), tmp_path)
    assert laptop in text and sim in text
    assert "Laptop Dell Latitude 5490" in text
    iccid_tail = re.search(r"SIM EE …(\d{4})", text)
    assert iccid_tail is not None
    assert settings.org_name in text
    assert f"If found, please call {settings.org_phone}" in text


async def test_long_text_shrinks_and_nothing_leaves_the_label(client, staff, label_pdf, tmp_path, centre):
    donor = (await client.post("/api/v1/donors", json={"name": "D", "kind": "other"}, headers=staff.headers)).json()
    long_model = "ThinkPad X1 Carbon Gen 11 Intel Evo vPro Platform Special Edition with Extra Long Name"
    donation = (
        await client.post(
            "/api/v1/donations",
            json={
                "donor_id": donor["id"],
                "centre_id": centre["id"],
                "received_on": days_ago(2),
                "items": [{"kind": "laptop", "make": "Lenovo", "model": long_model}],
            },
            headers=staff.headers,
        )
    ).json()
    tag = donation["assets"][0]["tag"]
    pdf = await label_pdf(tags=[tag], layout="avery-l7651")
    boxes = pdf_text(pdf, tmp_path, "-bbox")
    left, top = 4.7 * MM, 10.7 * MM  # the first label on the sheet
    right, bottom = left + 38.1 * MM, top + 21.2 * MM
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', boxes)
    assert words, boxes
    for x_min, y_min, x_max, y_max, word in words:
        assert left - 0.5 <= float(x_min) and float(x_max) <= right + 0.5, word
        assert top - 0.5 <= float(y_min) and float(y_max) <= bottom + 0.5, word
    assert "Lenovo" in boxes and tag in boxes
    assert decode(rasterise(pdf, tmp_path)) == [tag]


async def test_start_position_skips_used_labels_and_copies_repeat(label_pdf, stock, tmp_path):
    tags = await stock("laptop", "laptop")
    pdf = await label_pdf(tags=tags, layout="avery-l7651", start_position=64, copies=2)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2  # slots 64 and 65, then two on a new sheet
    pages = rasterise(pdf, tmp_path)
    # zbar reports one symbol once per image, so the copies are counted in the text.
    assert decode(pages[:1]) == [tags[0]] and decode(pages[1:]) == [tags[1]]
    text = pdf_text(pdf, tmp_path)
    assert text.count(tags[0]) == 2 and text.count(tags[1]) == 2
    boxes = pdf_text(pdf, tmp_path, "-bbox", "-f", "1", "-l", "1")
    first = re.search(rf'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>{tags[0]}<', boxes)
    assert first is not None
    # Slot 64 is the fourth label of the last row.
    assert 4.7 * MM + 3 * 40.6 * MM < float(first.group(1)) < 4.7 * MM + 4 * 40.6 * MM
    assert float(first.group(2)) > (10.7 + 12 * 21.2) * MM


async def test_label_sheets_are_streamed(app, client, volunteer, stock):
    """Watched at the ASGI boundary, where the server hands bytes to the connection: the PDF leaves page by page,
    its first bytes before any page exists and the page tree and cross-reference table only at the end."""
    tags = await stock("laptop", "laptop", "laptop")
    copies = 20
    body = json.dumps({"tags": tags, "layout": "dymo-99012", "copies": copies}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/labels",
        "raw_path": b"/api/v1/labels",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in volunteer.headers.items()),
        ],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }

    async def exchange() -> list[dict]:
        requested, finished, sent = False, asyncio.Event(), []

        async def receive() -> dict:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished.set()

        await app(scope, receive, send)
        return sent

    # On the event loop the client started the app on, where its database connections live.
    sent = await anyio.to_thread.run_sync(client.blocking_portal.call, exchange)

    start, *chunks = sent
    assert start["type"] == "http.response.start" and start["status"] == 200
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    assert "content-length" not in headers and headers["x-label-pages"] == str(len(tags) * copies)
    bodies = [m["body"] for m in chunks if m["type"] == "http.response.body" and m.get("body")]
    page = b"/Type /Page /"
    # Sent before the first page was drawn: the header and the fonts, no page, no end.
    assert bodies[0].startswith(b"%PDF-") and page not in bodies[0] and b"%%EOF" not in bodies[0]
    assert all(m.get("more_body") for m in chunks[:-1]) and not chunks[-1].get("more_body", False)
    # Pages follow in several pieces, each before the document's end was written.
    carrying = [i for i, chunk in enumerate(bodies) if page in chunk]
    assert len(carrying) >= 2 and b"%%EOF" not in b"".join(bodies[: carrying[-1] + 1])
    assert sum(chunk.count(page) for chunk in bodies) == len(tags) * copies
    assert bodies[-1].rstrip().endswith(b"%%EOF") and b"/Type /Pages" in bodies[-1]
    assert len(PdfReader(io.BytesIO(b"".join(bodies))).pages) == len(tags) * copies
    # Through the HTTP client too: no length known up front.
    response = await client.post(
        "/api/v1/labels", json={"tags": tags[:2], "layout": "dymo-99012"}, headers=volunteer.headers
    )
    assert "content-length" not in response.headers
    assert response.headers["x-label-pages"] == "2"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2


async def test_labels_for_a_filter(label_pdf, stock, tmp_path):
    _laptop, sim_one, sim_two = await stock("laptop", "sim", "sim")
    pdf = await label_pdf(filter={"kind": ["sim"]}, layout="avery-l7160")
    assert sorted(decode(rasterise(pdf, tmp_path))) == sorted([sim_one, sim_two])


async def test_bad_label_requests_name_the_problem(client, volunteer, stock):
    (tag,) = await stock("laptop")
    post = lambda body: client.post("/api/v1/labels", json=body, headers=volunteer.headers)  # noqa: E731
    body = assert_problem(await post({"tags": [tag], "layout": "avery-l9999"}), 422, "layout")
    assert "avery-l9999" in body["detail"]
    body = assert_problem(
        await post({"tags": [tag, "LAP-999999-X", "junk"], "layout": "avery-l7651"}), 422, "tags[1]", "tags[2]"
    )
    assert "LAP-999999-X" in body["detail"]
    assert_problem(await post({"tags": [tag], "layout": "avery-l7651", "start_position": 66}), 422, "start_position")
    assert_problem(await post({"layout": "avery-l7651"}), 422)
    assert_problem(await post({"tags": [tag], "layout": "avery-l7651", "copies": 0}), 422, "copies")


async def test_single_asset_svg_png_and_roll_pdf(client, volunteer, stock, tmp_path):
    (tag,) = await stock("laptop")
    svg = await client.get(f"/api/v1/assets/{tag.lower()}/label.svg", headers=volunteer.headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<rect") > 20 and tag in svg.text
    png = await client.get(f"/api/v1/assets/{tag}/label.png", headers=volunteer.headers)
    assert png.headers["content-type"] == "image/png"
    (tmp_path / "one.png").write_bytes(png.content)
    assert decode([tmp_path / "one.png"]) == [tag]
    pdf = await client.get(f"/api/v1/assets/{tag}/label.pdf", headers=volunteer.headers)
    assert pdf.headers["content-type"] == "application/pdf"
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert [round(float(v) / MM) for v in page.mediabox[2:]] == [62, 29]
    assert decode(rasterise(pdf.content, tmp_path)) == [tag]
    assert_problem(await client.get("/api/v1/assets/LAP-000001-Q/label.svg", headers=volunteer.headers), 404)


async def test_a_qr_code_points_to_the_public_url_when_set(settings, engine, make_user, stock, tmp_path, client):
    (tag,) = await stock("laptop")
    app = create_app(settings.model_copy(update={"public_url": "https://lend.example.org"}))
    user = await make_user("volunteer")
    token = app.state.jwt_auth.create_token(identifier=str(user.id))
    async with AsyncTestClient(app=app) as with_url:
        response = await with_url.post(
            "/api/v1/labels",
            json={"tags": [tag], "layout": "avery-l7163"},
            headers={"Authorization": f"Bearer {token}"},
        )
    found = decode(rasterise(response.content, tmp_path))
    assert sorted(found) == sorted([tag, f"https://lend.example.org/a/{tag}"])


def write_layout(folder, name: str, text: str) -> None:
    (folder / f"{name}.toml").write_text(text)


GOOD = """name = "Tuned L7651"
page = "A4"
label_width_mm = 38.1
label_height_mm = 21.2
columns = 5
rows = 13
left_margin_mm = 4.7
top_margin_mm = 10.7
horizontal_pitch_mm = 40.6
vertical_pitch_mm = 21.2
[calibration]
x_mm = 2.0
y_mm = 1.5
"""


async def test_a_centre_adds_a_layout_and_a_bad_file_is_reported_not_fatal(
    settings, engine, make_user, stock, tmp_path, caplog, client
):
    folder = tmp_path / "layouts"
    folder.mkdir()
    write_layout(folder, "tuned-l7651", GOOD)
    write_layout(folder, "broken", GOOD.replace("columns = 5", "columns = 0"))
    write_layout(folder, "overflows", GOOD.replace("columns = 5", "columns = 6"))
    write_layout(folder, "not-toml", "name = ")
    (tag,) = await stock("laptop")
    caplog.set_level("ERROR", logger="lending.labels")
    app = create_app(settings.model_copy(update={"labels_dir": folder}))
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "broken.toml: columns" in messages
    assert "overflows.toml" in messages and "do not fit" in messages
    assert "not-toml.toml" in messages
    user = await make_user("volunteer")
    headers = {"Authorization": f"Bearer {app.state.jwt_auth.create_token(identifier=str(user.id))}"}
    async with AsyncTestClient(app=app) as custom:
        ids = {l["id"] for l in (await custom.get("/api/v1/labels/layouts", headers=headers)).json()}
        assert "tuned-l7651" in ids and "avery-l7651" in ids and "broken" not in ids
        tuned = await custom.post("/api/v1/labels", json={"tags": [tag], "layout": "tuned-l7651"}, headers=headers)
        plain = await custom.post("/api/v1/labels", json={"tags": [tag], "layout": "avery-l7651"}, headers=headers)
    positions = []
    for pdf in (tuned.content, plain.content):
        boxes = pdf_text(pdf, tmp_path, "-bbox")
        match = re.search(rf'xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>{tag}<', boxes)
        positions.append((float(match.group(1)), float(match.group(2))))
    (tx, ty), (px, py) = positions
    assert abs((tx - px) - 2.0 * MM) < 0.2 and abs((ty - py) - 1.5 * MM) < 0.2
    assert decode(rasterise(tuned.content, tmp_path)) == [tag]


def test_zbar_and_poppler_are_installed():
    for tool in ("zbarimg", "pdftoppm", "pdftotext"):
        assert subprocess.run(["which", tool], capture_output=True).returncode == 0, tool
