"""The one CSV writer behind every export, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and Google
Sheets as a formula, and a formula can run commands or send the sheet's data away (CSV injection). Following
OWASP's advice (https://owasp.org/www-community/attacks/CSV_Injection), such a text cell is written with a single
quote in front, which spreadsheets show as text; leading spaces do not hide a formula, so they are looked through.

Only text is neutralised. Numbers, dates and booleans are written by Lending itself, never typed by a user, and the
numbers in the exports are counts and sizes, never negative: neutralising them would only turn them into text.

`restore()` undoes `neutralise()` exactly, so an exported file imports back unchanged: a cell that was quoted is
recognised by its quote followed by what made it dangerous. A text that itself began with such a quote gets a
second one on export, so nothing typed is ever lost on the way round.
"""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from litestar import Response

# What makes a spreadsheet evaluate a cell (OWASP), looked for after any leading spaces.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _dangerous(text: str) -> bool:
    if text.startswith(QUOTE):
        # A typed leading quote before a formula would be taken for ours on import: quote it too.
        return _dangerous(text[1:])
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """`=HYPERLINK(…)` → `'=HYPERLINK(…)`; harmless text is returned as it is."""
    return QUOTE + text if _dangerous(text) else text


def restore(text: str) -> str:
    """The inverse of `neutralise`, for cells read back from an exported file."""
    if text.startswith(QUOTE) and _dangerous(text[1:]):
        return text[1:]
    return text


def cell(value: Any) -> str:
    """One value as the exports write it: blank for none, `true`/`false`, ISO dates, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # an enum member
        value = value.value
    return neutralise(str(value))


def csv_lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The header, then one line per row (missing columns blank), each ending in CRLF (RFC 4180)."""
    buffer = io.StringIO()
    # With CRLF as the terminator, the csv module quotes a cell holding a lone CR as well as one holding LF; with
    # LF alone it would write a CR bare, and readers would split the row there.
    writer = _csv.writer(buffer, lineterminator="\r\n")

    def line(values: Iterable[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(neutralise(c) for c in columns)
    for row in rows:
        yield line(cell(row.get(c)) for c in columns)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    return "".join(csv_lines(columns, rows))


# What a CSV export is documented as. The answer names only `text/csv`: Litestar adds the charset to a text/* type
# itself, and naming it here too sent it twice.
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def csv_response(text: str, filename: str) -> Response[str]:
    """A CSV export, downloaded as `filename`."""
    return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
