"""The README's pictures: page 1 of a loan agreement in each script the shipped languages use.

    python -m tests.documents.pictures [--out docs/agreements] [--dpi 100]

Polish (Latin with its diacritics), Urdu (Arabic script, right to left, a draft translation printed with the
English), Bengali and Punjabi (Gurmukhi), each from the same loan, with the terms we ship (all drafts for now, so
each page is followed by the English, which governs).
Needs poppler-utils (pdftoppm) and fonts-noto-core.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lending.documents.agreement import (
    AgreementData,
    AgreementItem,
    Organisation,
    Signature,
    agreement_texts,
    render_agreement,
)

PICTURES = {"pl": "latin-polish", "ur": "arabic-urdu", "bn": "bengali", "pa": "gurmukhi-punjabi"}
NAMES = {"pl": "Zofia Wąsik", "ur": "امینہ خان (Amina Khan)", "bn": "রহিমা বেগম (Rahima Begum)", "pa": "ਹਰਪ੍ਰੀਤ ਕੌਰ"}


def agreement(language: str, terms_dir: Path | None = None) -> bytes:
    today = date.today()
    data = AgreementData(
        reference=f"LN-{today.year}-000123",
        issued_on=today,
        due_on=today + timedelta(weeks=12),
        centre_name="Sparkbrook Hub",
        centre_address="12 Ladypool Road, B12 8JX",
        family_name=NAMES.get(language, "Amina Khan"),
        family_address="1 Ladypool Road, B12 9QT",
        family_phone="+447911123456",
        school_name="Anderton Park Primary",
        language=language,
        items=[
            AgreementItem("LAP-000101-K", "laptop", "Dell Latitude 5490", "5CG8123XYZ"),
            AgreementItem(
                "SIM-000102-M",
                "sim",
                "",
                "",
                "EE",
                "8944100000000001021",
                "unlimited data",
                "+447912345678",
                today + timedelta(days=365),
            ),
        ],
        accessories=["USB-C charger 65W (ACC-000103-P)"],
    )
    org = Organisation(
        "Birmingham Device Bank", "0121 496 0000", "hello@example.org", "1 High Street, B1 1AA", "1234567"
    )
    signature = Signature(NAMES.get(language, "Amina Khan"), "parent", datetime.now(UTC), "Sam Volunteer", None)
    return render_agreement(data, org, texts=agreement_texts(language, terms_dir), signature=signature)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/agreements"))
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for language, name in PICTURES.items():
            pdf = Path(scratch) / f"{name}.pdf"
            pdf.write_bytes(agreement(language))
            png = args.out / name
            command = [
                "pdftoppm",
                "-r",
                str(args.dpi),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-gray",
                "-png",
                str(pdf),
                str(png),
            ]
            subprocess.run(command, check=True, timeout=120)
            print(f"{png}.png")


if __name__ == "__main__":
    main()
