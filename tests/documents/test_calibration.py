"""Each centre's label offsets kept in the database: they move the printed labels, and a test sheet shows them."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError

from lending.audit.recorder import set_actor
from lending.documents.models import LabelCalibration
from tests.documents.conftest import decode, pdf_text, rasterise
from tests.support import assert_problem, count_rows

MM = 72 / 25.4


def word_boxes(pdf: bytes, tmp_path, word: str) -> list[tuple[float, float, float]]:
    """Where pdftotext finds `word` on the first page: (xMin, yMin, xMax) in points from the top left."""
    boxes = pdf_text(pdf, tmp_path, "-bbox", "-f", "1", "-l", "1")
    found = re.findall(rf'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>{re.escape(word)}<', boxes)
    return [(float(x), float(y), float(right)) for x, y, right in found]


@pytest.fixture
def calibrate(client, volunteer):
    async def calibrate(centre_id: int, layout: str, actor=None, **offsets):
        return await client.put(
            f"/api/v1/labels/calibrations/{centre_id}/{layout}", json=offsets, headers=(actor or volunteer).headers
        )

    return calibrate


async def test_a_desk_saves_offsets_per_centre_and_layout_and_each_change_is_audited(
    client, admin, volunteer, calibrate, centre
):
    saved = await calibrate(centre["id"], "avery-l7160", x_mm=1.5, y_mm=-0.75)
    assert saved.status_code == 200, saved.text
    assert {k: saved.json()[k] for k in ("centre_id", "layout", "x_mm", "y_mm")} == {
        "centre_id": centre["id"],
        "layout": "avery-l7160",
        "x_mm": 1.5,
        "y_mm": -0.75,
    }
    await calibrate(centre["id"], "avery-l7651", x_mm=0, y_mm=2)
    again = await calibrate(centre["id"], "avery-l7160", x_mm=-3, y_mm=0.25)
    assert (again.json()["x_mm"], again.json()["y_mm"]) == (-3, 0.25)

    listed = await client.get(
        "/api/v1/labels/calibrations", params={"centre_id": centre["id"]}, headers=volunteer.headers
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 2 and set(body) == {"items", "total", "limit", "offset"}
    assert {(c["layout"], c["x_mm"], c["y_mm"]) for c in body["items"]} == {
        ("avery-l7160", -3, 0.25),
        ("avery-l7651", 0, 2),
    }
    none_elsewhere = await client.get(
        "/api/v1/labels/calibrations", params={"centre_id": centre["id"] + 1}, headers=volunteer.headers
    )
    assert none_elsewhere.json()["total"] == 0

    trail = await client.get("/api/v1/audit", params={"entity": "label_calibration"}, headers=admin.headers)
    entries = trail.json()["items"]
    assert [e["action"] for e in entries] == ["create", "create", "update"]
    assert entries[2]["before"] == {"x_mm": 1.5, "y_mm": -0.75} and entries[2]["after"] == {"x_mm": -3, "y_mm": 0.25}
    assert all(e["actor_id"] == volunteer.id for e in entries)


async def test_a_centres_offsets_move_its_printed_labels(
    client, volunteer, calibrate, label_pdf, stock, centre, tmp_path
):
    (tag,) = await stock("laptop")
    plain = await label_pdf(tags=[tag], layout="avery-l7160")
    # A centre that saved nothing prints as the layout file says.
    assert word_boxes(await label_pdf(tags=[tag], layout="avery-l7160", centre_id=centre["id"]), tmp_path, tag) == (
        word_boxes(plain, tmp_path, tag)
    )
    await calibrate(centre["id"], "avery-l7160", x_mm=2.0, y_mm=1.5)
    tuned = await label_pdf(tags=[tag], layout="avery-l7160", centre_id=centre["id"])
    ((tx, ty, _),) = word_boxes(tuned, tmp_path, tag)
    ((px, py, _),) = word_boxes(plain, tmp_path, tag)
    assert abs((tx - px) - 2.0 * MM) < 0.2 and abs((ty - py) - 1.5 * MM) < 0.2
    assert decode(rasterise(tuned, tmp_path)) == [tag]
    # Only that layout: another is printed as its file says.
    other = await label_pdf(tags=[tag], layout="avery-l7651", centre_id=centre["id"])
    assert word_boxes(other, tmp_path, tag) == word_boxes(
        await label_pdf(tags=[tag], layout="avery-l7651"), tmp_path, tag
    )


async def test_the_calibration_sheet_has_outlines_crosshairs_and_numbered_rulers_moved_by_the_offsets(
    client, volunteer, calibrate, centre, tmp_path
):
    async def sheet(**params) -> bytes:
        response = await client.get(
            "/api/v1/labels/layouts/avery-l7160/calibration.pdf", params=params, headers=volunteer.headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert "content-length" not in response.headers  # streamed, drawn off the event loop like label sheets
        return response.content

    plain = await sheet()
    reader = PdfReader(io.BytesIO(plain))
    assert len(reader.pages) == 1
    assert [round(float(v) / MM) for v in reader.pages[0].mediabox[2:]] == [210, 297]
    words = pdf_text(plain, tmp_path).split()
    # The top ruler is numbered to 200 mm across A4, the left one down to 290 mm.
    for number in range(10, 300, 10):
        assert str(number) in words, number
    assert "Avery L7160" in pdf_text(plain, tmp_path)
    # 21 outlines, each with a crosshair: one closed path and two strokes per label in the drawing.
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert content.count(" h S") == 21

    await calibrate(centre["id"], "avery-l7160", x_mm=2.0, y_mm=1.5)
    tuned = await sheet(centre_id=centre["id"])
    assert "+2.0 mm" in pdf_text(tuned, tmp_path) and centre["name"] in pdf_text(tuned, tmp_path)
    for number, ruler in (("100", "top"), ("150", "top"), ("250", "left")):
        (px, py, _) = min(word_boxes(plain, tmp_path, number), key=lambda b: b[1] if ruler == "top" else b[0])
        (tx, ty, _) = min(word_boxes(tuned, tmp_path, number), key=lambda b: b[1] if ruler == "top" else b[0])
        assert abs((tx - px) - 2.0 * MM) < 0.2 and abs((ty - py) - 1.5 * MM) < 0.2, (number, ruler)
    # The top ruler's 100 sits 100 mm from the page's left edge, moved by the offset.
    left, _, right = min(word_boxes(tuned, tmp_path, "100"), key=lambda b: b[1])
    assert abs((left + right) / 2 - (100 + 2.0) * MM) < 0.5


async def test_bad_offsets_and_unknown_names_are_refused_by_name_and_nothing_is_written(
    client, volunteer, calibrate, centre, sessions
):
    assert_problem(await calibrate(centre["id"], "avery-l7160", x_mm=20.5, y_mm=0), 422, "x_mm")
    assert_problem(await calibrate(centre["id"], "avery-l7160", x_mm=0, y_mm=-21), 422, "y_mm")
    assert_problem(await calibrate(centre["id"], "avery-l7160", x_mm="1", y_mm=0), 422, "x_mm")
    assert_problem(await calibrate(centre["id"], "avery-l7160", x_mm=0), 422, "y_mm")
    body = assert_problem(await calibrate(centre["id"], "avery-l9999", x_mm=1, y_mm=1), 422, "layout")
    assert "avery-l9999" in body["detail"]
    assert_problem(await calibrate(10_000, "avery-l7160", x_mm=1, y_mm=1), 422, "centre_id")
    assert (await calibrate(centre["id"], "avery-l7160", x_mm=20, y_mm=-20)).status_code == 200  # the bounds hold
    assert await count_rows(sessions, "label_calibration") == 1

    get = lambda url, **params: client.get(url, params=params, headers=volunteer.headers)  # noqa: E731
    assert_problem(await get("/api/v1/labels/layouts/avery-l9999/calibration.pdf"), 422, "layout")
    assert_problem(await get("/api/v1/labels/layouts/avery-l7160/calibration.pdf", centre_id=10_000), 422, "centre_id")
    body = {"tags": ["LAP-000001-Q"], "layout": "avery-l7160", "centre_id": 10_000}
    printed = await client.post("/api/v1/labels", json=body, headers=volunteer.headers)
    assert_problem(printed, 422, "centre_id")


async def test_the_database_keeps_offsets_within_bounds(sessions, centre):
    async with sessions() as session:
        set_actor(session, user_id=None, label="test-setup")
        session.add(LabelCalibration(centre_id=centre["id"], layout_id="avery-l7160", x_mm=25.0, y_mm=0.0))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_schools_may_not_calibrate_or_read_calibrations(client, make_user, calibrate, centre):
    school = await make_user("school")
    assert_problem(await calibrate(centre["id"], "avery-l7160", actor=school, x_mm=1, y_mm=1), 403)
    assert_problem(await client.get("/api/v1/labels/calibrations", headers=school.headers), 403)
    assert_problem(await client.get("/api/v1/labels/layouts/avery-l7160/calibration.pdf", headers=school.headers), 403)
