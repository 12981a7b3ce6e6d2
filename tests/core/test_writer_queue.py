"""SQLite: reads never queue; a transaction queues for the writer's turn only from its first write (or its first
`SELECT ... FOR UPDATE`), and gives the turn back however it ends.

Each test makes its own SQLite file, so they run (on SQLite) whichever database the rest of the suite uses.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import func, select, text

from lending.core.db import make_engine, session_maker
from lending.inventory.models import AssetTagSequence
from tests.core.availability_support import migrated_sqlite, settings_for


@pytest.fixture
async def sessions(tmp_path):
    url = await migrated_sqlite(tmp_path / "lending.db")
    engine = make_engine(settings_for(url, db_statement_timeout_seconds=5))
    yield session_maker(engine)
    await engine.dispose()


async def counter(session, prefix: str) -> AssetTagSequence | None:
    return await session.scalar(select(AssetTagSequence).where(AssetTagSequence.prefix == prefix))


async def test_a_reader_does_not_wait_for_an_open_write(sessions):
    async with sessions() as writer:
        writer.add(AssetTagSequence(prefix="LAP", last_value=1))
        await writer.flush()  # the writer's turn is taken and kept until it commits
        async with sessions() as reader:
            seen = await asyncio.wait_for(reader.scalar(select(func.count()).select_from(AssetTagSequence)), 5)
        assert seen == 0  # its own snapshot: the write is not committed yet
        await writer.commit()


async def test_a_transaction_that_read_can_still_write_after_another_writer_committed(sessions):
    async with sessions() as setup, setup.begin():
        setup.add(AssetTagSequence(prefix="LAP", last_value=1))

    async def other_writer() -> None:
        async with sessions() as other, other.begin():
            (await counter(other, "LAP")).last_value = 5

    async with sessions() as late:
        assert (await counter(late, "LAP")).last_value == 1  # a read: no turn taken
        await asyncio.wait_for(other_writer(), 5)  # so this writer is not held up
        # Upgrading the stale snapshot would fail with SQLITE_BUSY_SNAPSHOT; the write starts a fresh one instead.
        late.add(AssetTagSequence(prefix="TAB", last_value=1))
        await late.commit()
    async with sessions() as check:
        assert (await counter(check, "LAP")).last_value == 5
        assert (await counter(check, "TAB")).last_value == 1


async def test_select_for_update_takes_the_writers_turn_until_commit(sessions):
    async with sessions() as setup, setup.begin():
        setup.add(AssetTagSequence(prefix="LAP", last_value=1))
    order: list[str] = []

    async def second() -> None:
        # Check-then-change under a lock, as the services do: the read waits for the first writer and sees its
        # commit.
        async with sessions() as other, other.begin():
            row = await other.scalar(select(AssetTagSequence).where(AssetTagSequence.prefix == "LAP").with_for_update())
            row.last_value += 10
            await other.flush()
            order.append("second wrote")

    async with sessions() as first:
        row = await first.scalar(select(AssetTagSequence).where(AssetTagSequence.prefix == "LAP").with_for_update())
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        row.last_value += 1
        await first.commit()
        order.append("first committed")
    await asyncio.wait_for(waiting, 5)
    assert order == ["first committed", "second wrote"]
    async with sessions() as check:
        assert (await counter(check, "LAP")).last_value == 12  # neither increment was lost


async def test_a_cancelled_writer_gives_its_turn_back(sessions):
    holding = asyncio.Event()

    async def holder() -> None:
        async with sessions() as session:
            session.add(AssetTagSequence(prefix="LAP", last_value=1))
            await session.flush()
            holding.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(holder())
    await asyncio.wait_for(holding.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    async with sessions() as session:
        session.add(AssetTagSequence(prefix="TAB", last_value=1))
        await asyncio.wait_for(session.commit(), 4)  # within the 5 s the queue would wait for a leaked turn
    async with sessions() as check:
        assert await counter(check, "LAP") is None and await counter(check, "TAB") is not None


@pytest.mark.parametrize(("mebibytes", "expected"), [(None, 256 * 2**20), (8, 8 * 2**20), (0, 0)])
async def test_sqlite_reads_through_a_memory_map_of_the_configured_size(tmp_path, mebibytes, expected):
    """LENDING_SQLITE_MMAP_MB, 256 when not set; 0 turns the map off."""
    url = await migrated_sqlite(tmp_path / "lending.db")
    given = {} if mebibytes is None else {"sqlite_mmap_mb": mebibytes}
    engine = make_engine(settings_for(url, **given))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("PRAGMA mmap_size")) == expected
    finally:
        await engine.dispose()
