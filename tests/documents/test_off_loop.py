"""Agreements are typeset off the event loop: the desks' other requests are answered meanwhile, and a signing
that is cancelled half-way leaves nothing locked or written."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from PIL import Image

from lending.app import create_app
from tests.core.availability_support import concurrent_client
from tests.support import count_rows


def heavy_logo(tmp_path: Path, side: int = 800) -> Path:
    """A logo of noise, which compresses badly: it takes reportlab a second or more to embed."""
    path = tmp_path / "logo.png"
    Image.effect_noise((side, side), 80).convert("RGB").save(path)
    return path


async def test_other_requests_are_answered_while_an_agreement_renders(settings, stock, issue, volunteer,
                                                                     tmp_path):
    tag, = await stock("laptop")
    loan = (await issue(tag)).json()
    app = create_app(settings.model_copy(update={"org_logo": heavy_logo(tmp_path, 1200)}))
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    async with concurrent_client(app) as client:
        agreement = asyncio.create_task(client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf",
                                                   headers=volunteer.headers))
        while not agreement.done():
            due = loop.time() + 0.1
            await asyncio.sleep(0.1)
            lookup = await client.get(f"/api/v1/assets/{tag}", headers=volunteer.headers)
            assert lookup.status_code == 200
            waits.append(loop.time() - due)  # how late the desk's lookup was sent and answered
        pdf = await agreement
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Typeset on the event loop, the render held it for its whole length (seconds): no lookup until it was done.
    assert len(waits) >= 3, waits
    assert max(waits) < 1.5, waits


async def test_a_signing_cancelled_while_its_agreement_renders_leaves_nothing_locked(settings, stock, issue,
                                                                                     volunteer, staff, tmp_path,
                                                                                     sessions):
    tag, = await stock("laptop")
    loan = (await issue(tag)).json()
    app = create_app(settings.model_copy(update={"org_logo": heavy_logo(tmp_path),
                                                 "db_statement_timeout_seconds": 5}))
    async with concurrent_client(app) as client:
        signing = asyncio.create_task(client.post(
            f"/api/v1/loans/{loan['id']}/acceptance", json={"signer_name": "Amina Khan", "relationship": "parent"},
            headers=volunteer.headers))
        await asyncio.sleep(0.5)  # the acceptance is written (its transaction writing) and the PDF is being typeset
        signing.cancel()  # the client went away
        with contextlib.suppress(asyncio.CancelledError):
            await signing
        # Another desk writes at once: the cancelled request's transaction (and SQLite's writer turn) is gone.
        donor = await client.post("/api/v1/donors", json={"name": "Next donor", "kind": "business"},
                                  headers=staff.headers)
        assert donor.status_code == 201, donor.text
    assert await count_rows(sessions, "loan_acceptance") == 0
