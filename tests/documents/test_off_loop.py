"""Agreements are typeset off the event loop: the desks' other requests are answered meanwhile, and a signing
that is cancelled half-way leaves nothing locked or written."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from PIL import Image
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lending.app import create_app
from tests.core.availability_support import concurrent_client
from tests.support import count_rows


def _sqlite_writer_busy(path: str) -> bool:
    # SQLite's own library, as the app's driver uses: an immediate transaction is refused while a writer holds on.
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


async def until_writing(database_url: str, signing: asyncio.Task) -> None:
    """Wait until the signing's transaction has written the acceptance and not yet ended."""
    url = make_url(database_url)
    engine = None if url.get_backend_name() == "sqlite" else create_async_engine(url, poolclass=NullPool)
    try:
        for _ in range(2000):
            assert not signing.done(), "the signing ended before its transaction was seen writing"
            if engine is None:
                busy = await asyncio.to_thread(_sqlite_writer_busy, url.database or "")
            else:
                async with engine.connect() as conn:
                    busy = bool(
                        await conn.scalar(
                            text(
                                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                "WHERE c.relname = 'loan_acceptance' AND l.mode = 'RowExclusiveLock' "
                                "AND l.pid <> pg_backend_pid()"
                            )
                        )
                    )
            if busy:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the signing's transaction was never seen writing")
    finally:
        if engine is not None:
            await engine.dispose()


def heavy_logo(tmp_path: Path, side: int = 800) -> Path:
    """A logo of noise, which compresses badly: it takes reportlab a second or more to embed."""
    path = tmp_path / "logo.png"
    Image.effect_noise((side, side), 80).convert("RGB").save(path)
    return path


async def test_other_requests_are_answered_while_an_agreement_renders(settings, stock, issue, volunteer, tmp_path):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    app = create_app(settings.model_copy(update={"org_logo": heavy_logo(tmp_path, 1200)}))
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    async with concurrent_client(app) as client:
        agreement = asyncio.create_task(
            client.get(f"/api/v1/loans/{loan['id']}/agreement.pdf", headers=volunteer.headers)
        )
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


async def test_a_signing_cancelled_while_its_agreement_renders_leaves_nothing_locked(
    settings, stock, issue, volunteer, staff, tmp_path, sessions
):
    (tag,) = await stock("laptop")
    loan = (await issue(tag)).json()
    app = create_app(
        settings.model_copy(update={"org_logo": heavy_logo(tmp_path, 1600), "db_statement_timeout_seconds": 5})
    )
    async with concurrent_client(app) as client:
        signing = asyncio.create_task(
            client.post(
                f"/api/v1/loans/{loan['id']}/acceptance",
                json={"signer_name": "Amina Khan", "relationship": "parent"},
                headers=volunteer.headers,
            )
        )
        # Cancel while the PDF is typeset: once the acceptance is written and not yet committed (seen from outside,
        # not guessed from a pause, which a quick machine outruns), and the INSERT itself long done. The typesetting
        # of the noisy logo takes a second or more; the INSERT, milliseconds.
        await until_writing(settings.database_url, signing)
        await asyncio.sleep(0.2)
        assert not signing.done(), "the agreement was typeset before the signing could be cancelled"
        signing.cancel()  # the client went away
        with contextlib.suppress(asyncio.CancelledError):
            await signing
        # Another desk writes at once: the cancelled request's transaction (and SQLite's writer turn) is gone.
        donor = await client.post(
            "/api/v1/donors", json={"name": "Next donor", "kind": "business"}, headers=staff.headers
        )
        assert donor.status_code == 201, donor.text
    assert await count_rows(sessions, "loan_acceptance") == 0
