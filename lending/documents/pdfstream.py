"""A minimal PDF writer that emits one page at a time, so a 10,000-label job never sits in memory whole.

Pages are drawn with PDF operators (rectangles and the standard Helvetica fonts, which need no embedding), so the
output is small, vector-only and deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

MM = 72 / 25.4
FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold"}


def pdf_text(value: str) -> str:
    """A PDF string literal in WinAnsi encoding; characters it lacks become '?'."""
    raw = value.encode("cp1252", errors="replace").decode("latin-1")
    return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


class PdfStream:
    def __init__(self, producer: str = "Lending") -> None:
        self._offset = 0
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 3 + len(FONTS)  # 1 catalog, 2 page tree, then the fonts
        self._producer = producer

    def _obj(self, number: int, body: bytes) -> bytes:
        self._offsets[number] = self._offset
        chunk = b"%d 0 obj\n" % number + body + b"\nendobj\n"
        self._offset += len(chunk)
        return chunk

    def start(self) -> bytes:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        self._offset = len(head)
        out = [head, self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")]
        for index, font in enumerate(FONTS.values()):
            out.append(
                self._obj(
                    3 + index,
                    f"<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>".encode(),
                )
            )
        return b"".join(out)

    def page(self, width_pt: float, height_pt: float, content: str) -> bytes:
        data = zlib.compress(content.encode("latin-1"), 6)
        stream_no, page_no = self._next, self._next + 1
        self._next += 2
        fonts = " ".join(f"/{key} {3 + i} 0 R" for i, key in enumerate(FONTS))
        out = self._obj(
            stream_no, b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        )
        out += self._obj(
            page_no,
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.3f} {height_pt:.3f}] "
                f"/Resources << /Font << {fonts} >> >> /Contents {stream_no} 0 R >>"
            ).encode(),
        )
        self._pages.append(page_no)
        return out

    def finish(self) -> bytes:
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        out = self._obj(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode())
        info_no = self._next
        out += self._obj(info_no, f"<< /Producer {pdf_text(self._producer)} >>".encode())
        xref_at = self._offset
        lines = [b"xref\n0 %d\n" % (info_no + 1), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self._offsets[n] for n in range(1, info_no + 1)]
        trailer = f"trailer\n<< /Size {info_no + 1} /Root 1 0 R /Info {info_no} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        return out + b"".join(lines) + trailer.encode()


def stream_pages(pages: Iterator[tuple[float, float, str]], producer: str = "Lending") -> Iterator[bytes]:
    """PDF bytes, chunk by chunk, for (width pt, height pt, content) pages."""
    writer = PdfStream(producer)
    yield writer.start()
    for width, height, content in pages:
        yield writer.page(width, height, content)
    yield writer.finish()
