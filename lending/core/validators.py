"""Field formats shared across domains, each defined once."""

from __future__ import annotations

import io
import re
import struct

# The UK postcode shape (outward code, space, inward code), including GIR 0AA.
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    """`b1 1aa` -> `B1 1AA`; raises ValueError for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.match(compact):
        raise ValueError("not a valid UK postcode (e.g. B1 1AA)")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str) -> str:
    """The outward code, e.g. `B12` of `B12 9QT`: coarse enough for reports after erasure."""
    return normalise_postcode(postcode).split(" ")[0]


def uk_phone(value: str, *, mobile: bool = False) -> str:
    """A UK phone number in E.164 (`07911 123456` -> `+447911123456`); `mobile` refuses landlines."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number) or number.country_code != 44:
        raise ValueError("not a valid UK phone number")
    if mobile and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("not a UK mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def iccid(value: str) -> str:
    """A SIM's ICCID: 18–22 digits whose last is a Luhn check digit."""
    from stdnum import luhn

    digits = re.sub(r"[\s-]", "", value or "")
    if not digits.isdigit() or not 18 <= len(digits) <= 22:
        raise ValueError("an ICCID has 18 to 22 digits")
    if not luhn.is_valid(digits):
        raise ValueError("the Luhn check digit is wrong: the ICCID is mistyped")
    return digits


def imei(value: str) -> str:
    """A device's IMEI: 15 digits, the last a Luhn check digit."""
    from stdnum import luhn

    digits = re.sub(r"[\s/-]", "", value or "")
    if not digits.isdigit() or len(digits) != 15:
        raise ValueError("an IMEI has 15 digits")
    if not luhn.is_valid(digits):
        raise ValueError("the Luhn check digit is wrong: the IMEI is mistyped")
    return digits


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16–24), read without decoding anything."""
    if not data.startswith(PNG_MAGIC) or len(data) < 33 or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise ValueError("not a PNG image (no pixels)")
    return width, height


def png_image(data: bytes, *, max_side: int, max_pixels: int) -> tuple[int, int]:
    """Check that `data` is a whole PNG of at most `max_side` pixels a side and `max_pixels` in all, that the
    agreement renderer can embed; raise ValueError saying why not.

    The size comes from the header first, so a small file that claims a huge picture (12,000 × 12,000 pixels in
    31 KB) is refused before a byte is decompressed. Only then is it decoded and drawn, the way the agreement
    draws it, so a broken image is refused here rather than failing the signed agreement later. CPU-bound: run it
    in a worker thread.
    """
    width, height = png_size(data)
    if width > max_side or height > max_side or width * height > max_pixels:
        raise ValueError(
            f"{width} × {height} pixels is too large (at most {max_side} a side and {max_pixels:,} pixels in all)"
        )
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.verify()  # chunk structure and checksums
        canvas = Canvas(io.BytesIO())
        canvas.drawImage(ImageReader(io.BytesIO(data)), 0, 0, width=10, height=10, mask="auto")
        canvas.save()
    except Exception:
        raise ValueError("not a valid PNG image (it could not be decoded)") from None
    return width, height
