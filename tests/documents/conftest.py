from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.loans.conftest import centre, family, issue, stock  # noqa: F401  (shared fixtures)

TOOLS = {
    "zbarimg": "zbar-tools",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdffonts": "poppler-utils",
}
# The agreements' fonts, one per script (see lending/documents/fonts.py).
FONT_FILES = {
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf": "fonts-noto-core",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf": "fonts-noto-core",
    "/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf": "fonts-noto-core",
    "/usr/share/fonts/truetype/noto/NotoSansGurmukhi-Regular.ttf": "fonts-noto-core",
}


# The one command that installs all of them (.ci/run runs it; the tests never install anything themselves).
INSTALL = "apt-get install zbar-tools poppler-utils fonts-noto-core"


@pytest.fixture(scope="session", autouse=True)
def barcode_and_pdf_tools() -> None:
    """zbar decodes the barcodes, poppler reads the PDFs back, and Noto fonts set the agreements in every script. They
    are system packages, not Python ones: when one is missing every documents test fails, saying what to run."""
    missing = sorted(
        {f"{tool} ({package})" for tool, package in TOOLS.items() if shutil.which(tool) is None}
        | {f"{path} ({package})" for path, package in FONT_FILES.items() if not os.path.exists(path)}
    )
    if missing:
        pytest.fail(f"the documents tests need {', '.join(missing)}: run `{INSTALL}`", pytrace=False)


def rasterise(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[Path]:
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True, timeout=120)
    return sorted(tmp_path.glob("page*.png"))


def decode(images: list[Path]) -> list[str]:
    """Every barcode zbar finds on the images, as text (CODE-128 and QR)."""
    found: list[str] = []
    for image in images:
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", "-Sqrcode.enable", str(image)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        found += [line for line in result.stdout.splitlines() if line]
    return found


def pdf_text(pdf: bytes, tmp_path: Path, *args: str) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *args, str(source), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.fixture
def label_pdf(client, volunteer):
    async def label_pdf(**body) -> bytes:
        response = await client.post("/api/v1/labels", json=body, headers=volunteer.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        return response.content

    return label_pdf


BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def readable(text: str) -> str:
    """Text as a reader compares it: Arabic letters folded back from the joined forms a PDF holds (NFKC), the
    direction marks pdftotext adds around right-to-left runs dropped, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS).split())
