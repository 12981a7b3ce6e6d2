"""The signature image must be a real PNG of sane size, checked before the signed agreement is rendered."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from tests.loans.test_after_issue import png
from tests.support import assert_problem, count_rows


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb(side: int = 12_000) -> bytes:
    """A 1-bit greyscale PNG of `side` × `side` white pixels: a few tens of KB that inflate to side²/8 bytes."""
    row = b"\x00" + b"\xff" * (side // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def sign(client, actor, loan_id: int, **body):
    return await client.post(
        f"/api/v1/loans/{loan_id}/acceptance",
        json={"signer_name": "Amina Khan", "relationship": "parent", **body},
        headers=actor.headers,
    )


async def test_a_huge_signature_image_is_refused_by_its_pixel_size(client, volunteer, stock, issue, sessions):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    huge = bomb()
    assert len(huge) < 40 * 1024
    body = assert_problem(await sign(client, volunteer, loan["id"], signature_png=b64(huge)), 422, "signature_png")
    assert "12000 × 12000 pixels is too large" in body["detail"]
    wide = png(4001, 1)
    body = assert_problem(await sign(client, volunteer, loan["id"], signature_png=b64(wide)), 422, "signature_png")
    assert "4001 × 1" in body["detail"]
    assert await count_rows(sessions, "loan_acceptance") == 0


async def test_a_signature_that_only_starts_like_a_png_is_refused(client, volunteer, stock, issue, sessions):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    good = png(60, 20)
    ihdr_end = 8 + 25
    broken = {
        "magic only": b"\x89PNG\r\n\x1a\n" + b"not really an image" * 10,
        "no IHDR": b"\x89PNG\r\n\x1a\n" + chunk(b"IEND", b""),
        "zero pixels": b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 20, 8, 2, 0, 0, 0)),
        "bad checksum": good[: ihdr_end - 4] + b"\x00\x00\x00\x00" + good[ihdr_end:],
        "truncated pixels": good[:ihdr_end] + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""),
        "cut short": good[:-20],
        "a JPEG": b"\xff\xd8\xff\xe0" + b"\x00" * 100,
    }
    for name, data in broken.items():
        response = await sign(client, volunteer, loan["id"], signature_png=b64(data))
        assert response.status_code == 422, (name, response.text)
        assert_problem(response, 422, "signature_png")
    assert_problem(await sign(client, volunteer, loan["id"], signature_png="not base64!"), 422, "signature_png")
    assert await count_rows(sessions, "loan_acceptance") == 0
    accepted = await sign(client, volunteer, loan["id"], signature_png=b64(good))
    assert accepted.status_code == 201, accepted.text
    pdf = await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)
    assert pdf.status_code == 200
    assert any("/XObject" in page["/Resources"] for page in PdfReader(io.BytesIO(pdf.content)).pages)


async def test_every_png_a_signature_pad_may_send_is_accepted_and_embedded(client, volunteer, stock, issue):
    """Grey, palette, alpha and 16-bit PNGs all reach the agreement (as validated, so as rendered)."""
    from PIL import Image

    images = []
    for mode in ("L", "LA", "RGB", "RGBA", "P", "1", "I;16"):
        buffer = io.BytesIO()
        Image.new(mode, (300, 100)).save(buffer, format="PNG")
        images.append((mode, buffer.getvalue()))
    tags = await stock(*["laptop"] * len(images))
    for (mode, data), tag in zip(images, tags, strict=True):
        loan = (await issue(tag)).json()
        response = await sign(client, volunteer, loan["id"], signature_png=b64(data))
        assert response.status_code == 201, (mode, response.text)
        pdf = await client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)
        assert pdf.status_code == 200, mode


async def test_a_signing_time_without_a_zone_is_read_as_utc(client, volunteer, stock, issue):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    when = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)
    response = await sign(client, volunteer, loan["id"], signed_at=when.replace(tzinfo=None).isoformat())
    assert response.status_code == 201, response.text
    signed = datetime.fromisoformat(response.json()["acceptance"]["signed_at"].replace("Z", "+00:00"))
    assert signed == when
