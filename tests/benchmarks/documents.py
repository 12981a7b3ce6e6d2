"""Documents: how fast labels and agreements render.

    python -m tests.benchmarks.documents [--repeat 5]

- 1,000 labels on Avery L7651 (16 sheets), median of the repeats;
- 10,000 labels on L7651, streamed chunk by chunk as the API sends them, with the peak memory Python allocated;
- 100 loan agreements, median time per agreement;
- for comparison, the floor: 1,000 Code128 labels drawn with reportlab's own canvas and barcode widget.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
import tracemalloc
from datetime import date

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lending.documents.agreement import AgreementData, AgreementItem, Organisation, agreement_texts, render_agreement
from lending.documents.labels import Branding, LabelContent, label_pdf
from lending.documents.layouts import load_layouts
from lending.inventory.tags import Tag


def labels(n: int) -> list[LabelContent]:
    return [LabelContent(str(Tag("LAP", i)), "Laptop Dell Latitude 5490") for i in range(1, n + 1)]


def time_labels(n: int, layout, brand) -> tuple[float, int]:
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in label_pdf(labels(n), layout, brand))
    return time.perf_counter() - started, size


def reportlab_floor(n: int) -> float:
    started = time.perf_counter()
    canvas = Canvas(io.BytesIO(), invariant=1)
    for i in range(n):
        if i and i % 65 == 0:
            canvas.showPage()
        col, row = (i % 65) % 5, (i % 65) // 5
        Code128(str(Tag("LAP", i + 1)), barHeight=8 * mm, barWidth=0.19 * mm).drawOn(
            canvas, (4.7 + col * 40.6) * mm, (297 - 10.7 - (row + 1) * 21.2) * mm + 8 * mm
        )
    canvas.save()
    return time.perf_counter() - started


def agreement_data(i: int) -> AgreementData:
    items = [
        AgreementItem(str(Tag("LAP", i)), "laptop", "Dell Latitude 5490", f"SN{i:08d}"),
        AgreementItem(str(Tag("SIM", i)), "sim", "", "", "Vodafone", "89441000000000000018", "20 GB a month"),
    ]
    return AgreementData(
        reference=f"LN-{i:06d}",
        issued_on=date(2026, 11, 22),
        due_on=date(2027, 11, 22),
        centre_name="Sparkbrook Hub",
        centre_address="1 Stratford Road, B11 1AA",
        family_name="Amina Khan",
        family_address="1 Ladypool Road, B12 9QT",
        family_phone="+447911123456",
        school_name="Anderton Park Primary",
        language="en",
        items=items,
        accessories=["USB-C charger 65W (ACC-000001-X)"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    layout = load_layouts()[0]["avery-l7651"]
    brand = Branding("Birmingham Device Bank", "0121 496 0000")
    time_labels(65, layout, brand)  # warm up imports and caches

    thousand = [time_labels(1000, layout, brand)[0] for _ in range(args.repeat)]
    floor = [reportlab_floor(1000) for _ in range(args.repeat)]

    def stream_10k() -> tuple[int, int]:
        chunks = size = 0
        for chunk in label_pdf(labels(10_000), layout, brand):
            chunks += 1
            size += len(chunk)
        return chunks, size

    started = time.perf_counter()
    chunks, size = stream_10k()
    ten_thousand = time.perf_counter() - started
    # Memory in a run of its own: tracing allocations slows the run several times over.
    tracemalloc.start()
    stream_10k()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    org = Organisation(
        "Birmingham Device Bank", "0121 496 0000", "hello@example.org", "1 High Street, B1 1AA", "1234567"
    )
    texts = agreement_texts("en")
    render_agreement(agreement_data(0), org, texts=texts)
    per_agreement = []
    for i in range(1, 101):
        started = time.perf_counter()
        render_agreement(agreement_data(i), org, texts=texts)
        per_agreement.append(time.perf_counter() - started)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| what | median | notes |")
    print("|---|---|---|")
    print(f"| 1,000 labels, Avery L7651 | {statistics.median(thousand):.3f} s | 16 pages, vector Code128 |")
    print(f"| floor: 1,000 Code128 with reportlab's canvas | {statistics.median(floor):.3f} s | barcodes only |")
    print(
        f"| 10,000 labels, L7651, streamed | {ten_thousand:.2f} s | {chunks} chunks, "
        f"{size / 1e6:.1f} MB, peak Python memory {peak / 1e6:.1f} MB |"
    )
    print(
        f"| one loan agreement (of 100) | {statistics.median(per_agreement) * 1000:.1f} ms | "
        f"p90 {sorted(per_agreement)[89] * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
