"""A large import is read, checked and written in chunks off the event loop: other requests are answered while
it runs, and it is still all or nothing."""

from __future__ import annotations

import asyncio

import pytest

from lending.app import create_app
from tests.core.availability_support import concurrent_client
from tests.support import count_rows


def stock_file(rows: int, centre: str = "Sparkbrook Hub", bad_row: int | None = None, notes: str = "") -> bytes:
    lines = ["kind,make,model,serial_number,centre,notes"]
    for n in range(rows):
        serial = "DUPLICATE" if bad_row is not None and n in (0, bad_row) else f"SER-{n:06d}"
        lines.append(f"laptop,Dell,Latitude 5490,{serial},{centre},{notes}")
    return ("\n".join(lines) + "\n").encode()


# Sizes that take a few seconds each here (checking a row costs much less than writing one); done on the event
# loop, checking 20,000 rows held it for over 3 s.
@pytest.mark.parametrize(("dry_run", "rows"), [(True, 20_000), (False, 3000)], ids=["dry run", "import"])
async def test_other_requests_are_answered_during_a_large_import(settings, staff, centre, dry_run, rows):
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    # An app of its own: the `client` fixture's app already runs on another event loop.
    async with concurrent_client(create_app(settings)) as client:
        importing = asyncio.create_task(
            client.post(
                f"/api/v1/assets/import?dry_run={str(dry_run).lower()}",
                # over 1 MB: the upload spills from memory to a file
                content=stock_file(rows, notes="Refurbished by volunteers. " * 14),
                headers={**staff.headers, "Content-Type": "text/csv"},
                timeout=600,
            )
        )
        while not importing.done():
            due = loop.time() + 0.2
            await asyncio.sleep(0.2)
            health = await client.get("/health")
            assert health.status_code == 200
            waits.append(loop.time() - due)  # how late the probe was sent and answered
        report = await importing
    assert report.status_code == 200, report.text
    assert report.json()["rows"] == rows and report.json()["valid"] is True
    assert report.json()["created"] == (0 if dry_run else rows)
    # Answered again and again while the import ran, each within a moment rather than after it.
    assert len(waits) >= 3, waits
    assert max(waits) < 2.5, waits


async def test_a_repeat_across_chunks_is_found_and_nothing_is_written(client, staff, centre, sessions):
    # Rows 2 and 1802 (spreadsheet numbering) share a serial, far apart in the file.
    body = stock_file(2000, bad_row=1800)
    dry = await client.post(
        "/api/v1/assets/import?dry_run=true",
        content=body,
        headers={**staff.headers, "Content-Type": "text/csv"},
        timeout=600,
    )
    assert dry.status_code == 200
    assert [(e["row"], e["field"], e["message"]) for e in dry.json()["errors"]] == [
        (1802, "serial_number", "repeats 2.serial_number")
    ]
    real = await client.post(
        "/api/v1/assets/import", content=body, headers={**staff.headers, "Content-Type": "text/csv"}, timeout=600
    )
    assert real.status_code == 422
    assert await count_rows(sessions, "asset") == 0


async def test_a_file_that_is_not_utf8_is_a_422_naming_the_body(client, staff, centre):
    body = stock_file(600)[:-40] + "café\n".encode("latin-1")
    response = await client.post(
        "/api/v1/assets/import?dry_run=true", content=body, headers={**staff.headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body"
