"""Scan with camera: Chromium's fake camera films a printed label, and the desk shows that asset's card.

The label is the app's own (GET /api/v1/assets/{tag}/label.png, the Code128 barcode), put on a white frame and
written as a short YUV4MPEG2 video that Chromium plays as its camera
(`--use-fake-device-for-media-stream --use-file-for-fake-video-capture=label.y4m`). Debian's Chromium on Linux has
no BarcodeDetector, so this exercises the fallback: the vendored zxing-js decoding canvas frames, under the pages'
CSP (no eval), which the test also checks by collecting the console's CSP reports.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, async_playwright, expect

from tests.web.conftest import CHROMIUM, INSTALL, PHONE, TABLET, LiveServer, assert_accessible
from tests.web.desk_data import DeskData

FRAME = (640, 480)


def y4m(image: Image.Image, frames: int = 10) -> bytes:
    """A still image as YUV4MPEG2 4:2:0 (full-range YCbCr, chroma halved in both directions)."""
    width, height = image.size
    luma, blue, red = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    return f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames


def on_white(label_png: bytes) -> Image.Image:
    """The label as a camera held over it sees it: centred on a white page, filling most of the width."""
    label = Image.open(io.BytesIO(label_png)).convert("RGB")
    scale = min((FRAME[0] - 40) / label.width, (FRAME[1] - 40) / label.height)
    if scale < 1 or scale >= 2:
        label = label.resize((int(label.width * scale), int(label.height * scale)), Image.Resampling.NEAREST)
    frame = Image.new("RGB", FRAME, "white")
    frame.paste(label, ((FRAME[0] - label.width) // 2, (FRAME[1] - label.height) // 2))
    return frame


@pytest.fixture
async def label_tag(live_server: LiveServer, engine, people: dict[str, Any]) -> dict[str, Any]:
    """A ready laptop and a lent one, made through the API once this test's database is fresh."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        data = DeskData(api, people["staff"].headers)
        centre = await data.centre()
        family = await data.family("Amina Khan", "07911 123456")
        [lent] = await data.stock(1)
        loan = await data.lend(family, centre, [lent], people["volunteer"].headers)
        png = await api.get(f"/api/v1/assets/{lent}/label.png", headers=people["staff"].headers)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    return {"tag": lent, "loan": loan, "png": png.content}


@pytest.fixture
async def browser(label_tag: dict[str, Any], tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium whose fake camera plays the label video (this module's own: the switch is fixed at launch)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's Chromium is not installed at {CHROMIUM}: {INSTALL}")
    video = tmp_path / "label.y4m"
    video.write_bytes(y4m(on_white(label_tag["png"])))
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
async def test_camera_scan_shows_the_card(open_page, people, label_tag, viewport) -> None:
    desk = await open_page(people["volunteer"], viewport=viewport)
    refused: list[str] = []
    desk.page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    await desk.go("/desk")
    start = desk.page.get_by_role("button", name="Scan with camera")
    await expect(start).to_be_visible()
    await assert_accessible(desk.page, "the scan box with its camera button")
    await start.click()
    tag = label_tag["tag"]
    card = desk.page.locator(f'[data-asset-card="{tag}"]')
    await expect(card).to_be_visible(timeout=30_000)
    await expect(card).to_contain_text(f"Loan {label_tag['loan']['reference']}")
    await expect(desk.page.get_by_role("status").filter(has_text=f"Read {tag}.")).to_be_visible()
    await expect(desk.page.get_by_role("button", name="Stop camera")).to_be_hidden()
    decoder = await desk.page.evaluate("'BarcodeDetector' in window ? 'native' : typeof window.ZXing")
    assert decoder in {"native", "object"}, decoder
    assert refused == []
    await assert_accessible(desk.page, "a card read by the camera")


async def test_camera_scan_into_the_returns_basket(open_page, people, label_tag) -> None:
    """Any form marked up as a scan box gets the camera: here the returns basket."""
    desk = await open_page(people["volunteer"], viewport=TABLET)
    await desk.go("/desk/returns")
    await desk.page.get_by_role("button", name="Scan with camera").click()
    item = desk.page.locator(f'[data-basket-item="{label_tag["tag"]}"]')
    await expect(item).to_be_visible(timeout=30_000)
    await expect(item).to_contain_text("Amina Khan")
    await assert_accessible(desk.page, "a basket filled by the camera")
