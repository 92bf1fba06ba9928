"""Transactions: one unit of work commits whole or not at all; rows stay per founder."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.clock import FrozenClock
from bot.engine import FlowState
from bot.errors import StorageError
from bot.storage import Database, facts, history, runs, users


async def _founder(db: Database, clock: FrozenClock, name: str) -> int:
    async with db.transaction() as conn:
        user, _ = await users.get_or_create(
            conn, channel="console", external_id=name, now=clock.now()
        )
    return user.id


async def test_error_rolls_back_the_whole_turn(db: Database, clock: FrozenClock) -> None:
    """An exception inside a transaction leaves no row of it behind."""
    user_id = await _founder(db, clock, "ada")

    async def crashing_turn() -> None:
        async with db.transaction() as conn:
            run_id = await runs.create(conn, user_id, FlowState(flow_id="x"), clock.now())
            await runs.add_answer(
                conn,
                run_id=run_id,
                user_id=user_id,
                flow_id="x",
                step_id="a",
                value=1,
                now=clock.now(),
            )
            raise RuntimeError("crash in the middle of a turn")

    with pytest.raises(RuntimeError):
        await crashing_turn()
    async with db.reading() as conn:
        assert await history.count_rows(conn, "flow_runs", user_id) == 0
        assert await history.count_rows(conn, "answers", user_id) == 0


async def test_answer_edits_are_kept_as_revisions(db: Database, clock: FrozenClock) -> None:
    """Answering a step again appends revision 2; revision 1 is still there."""
    user_id = await _founder(db, clock, "ada")
    async with db.transaction() as conn:
        run_id = await runs.create(conn, user_id, FlowState(flow_id="x"), clock.now())
        await runs.add_answer(
            conn,
            run_id=run_id,
            user_id=user_id,
            flow_id="x",
            step_id="a",
            value="old",
            now=clock.now(),
        )
        await runs.add_answer(
            conn,
            run_id=run_id,
            user_id=user_id,
            flow_id="x",
            step_id="a",
            value="new",
            now=clock.now(),
        )
    async with db.reading() as conn:
        stored = await runs.answers(conn, run_id)
    assert [(a["value"], a["revision"]) for a in stored] == [("old", 1), ("new", 2)]


async def test_one_active_run_per_flow(db: Database, clock: FrozenClock) -> None:
    """The schema refuses a second active run of the same flow for one founder."""
    user_id = await _founder(db, clock, "ada")
    async with db.transaction() as conn:
        await runs.create(conn, user_id, FlowState(flow_id="x"), clock.now())
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        async with db.transaction() as conn:
            await runs.create(conn, user_id, FlowState(flow_id="x"), clock.now())


async def test_runs_are_only_found_for_their_owner(db: Database, clock: FrozenClock) -> None:
    """A run id of another founder is not returned."""
    ada = await _founder(db, clock, "ada")
    bob = await _founder(db, clock, "bob")
    async with db.transaction() as conn:
        run_id = await runs.create(conn, ada, FlowState(flow_id="x"), clock.now())
    async with db.reading() as conn:
        assert await runs.get(conn, ada, run_id) is not None
        assert await runs.get(conn, bob, run_id) is None
        assert await runs.current(conn, bob) is None


async def test_deleting_a_founder_removes_all_their_rows(db: Database, clock: FrozenClock) -> None:
    """Foreign keys cascade: nothing of a deleted founder remains, others keep theirs."""
    ada = await _founder(db, clock, "ada")
    bob = await _founder(db, clock, "bob")
    for user_id in (ada, bob):
        async with db.transaction() as conn:
            run_id = await runs.create(conn, user_id, FlowState(flow_id="x"), clock.now())
            await runs.add_answer(
                conn,
                run_id=run_id,
                user_id=user_id,
                flow_id="x",
                step_id="a",
                value=1,
                now=clock.now(),
            )
            await facts.put(
                conn,
                user_id=user_id,
                flow_id="x",
                name="a",
                value=1,
                run_id=run_id,
                now=clock.now(),
            )
            await history.add_message(
                conn, user_id=user_id, direction="in", text="hi", now=clock.now()
            )
    async with db.transaction() as conn:
        await users.delete(conn, ada)
    async with db.reading() as conn:
        for table in ("flow_runs", "answers", "facts", "transcript"):
            assert await history.count_rows(conn, table, ada) == 0
            assert await history.count_rows(conn, table, bob) == 1


async def test_concurrent_units_of_work_each_commit_whole(
    db: Database, clock: FrozenClock
) -> None:
    """Two tasks writing at once each commit whole. SQLite runs one writer at a time (its
    ``BEGIN IMMEDIATE``), so their rows do not interleave; PostgreSQL runs them side by side
    (a founder's own turns are kept apart by the founder lock, not by the database)."""
    user_id = await _founder(db, clock, "ada")

    async def write(tag: str) -> None:
        async with db.transaction() as conn:
            for index in range(20):
                await history.add_message(
                    conn, user_id=user_id, direction="in", text=f"{tag}{index}", now=clock.now()
                )
                await asyncio.sleep(0)

    await asyncio.gather(write("a"), write("b"))
    async with db.reading() as conn:
        lines = [text for _, text in await history.transcript(conn, user_id)]
    assert sorted(lines) == sorted(f"{tag}{i}" for tag in "ab" for i in range(20))
    for tag in "ab":  # each unit's rows in its own order
        assert [line for line in lines if line[0] == tag] == [f"{tag}{i}" for i in range(20)]
    if db.backend == "sqlite":
        assert lines in (
            [f"a{i}" for i in range(20)] + [f"b{i}" for i in range(20)],
            [f"b{i}" for i in range(20)] + [f"a{i}" for i in range(20)],
        )


async def test_postgresql_commits_one_unit_of_work_while_another_is_open(
    db: Database, clock: FrozenClock
) -> None:
    """On PostgreSQL a write transaction held open (a slow turn) does not hold up another
    founder's: one writer at a time per process would queue every commit's fsync."""
    if db.backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time by design")
    ada = await _founder(db, clock, "ada")
    bob = await _founder(db, clock, "bob")
    opened, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as conn:
            await history.add_message(
                conn, user_id=ada, direction="in", text="slow", now=clock.now()
            )
            opened.set()
            await release.wait()

    held = asyncio.create_task(slow())
    await opened.wait()
    async with asyncio.timeout(30):  # with one writer at a time this waits for ever
        async with db.transaction() as conn:
            await history.add_message(
                conn, user_id=bob, direction="in", text="quick", now=clock.now()
            )
    async with db.reading() as conn:
        assert [text for _, text in await history.transcript(conn, bob)] == ["quick"]
        assert await history.transcript(conn, ada) == []  # not committed yet
    release.set()
    await held
    async with db.reading() as conn:
        assert [text for _, text in await history.transcript(conn, ada)] == ["slow"]


async def test_read_only_database_raises_storage_error(tmp_path: Path, clock: FrozenClock) -> None:
    """A database that cannot be written gives StorageError, not a half-written turn."""
    db = await Database.open(tmp_path / "ro.db")
    try:
        async with db.transaction() as conn:  # the writer's own connection, from now on
            await conn.execute("PRAGMA query_only = ON")
        with pytest.raises(StorageError):
            async with db.transaction() as conn:
                await users.get_or_create(
                    conn, channel="console", external_id="x", now=clock.now()
                )
    finally:
        await db.close()


async def test_a_snapshot_reads_beside_the_writer_and_sees_only_committed_rows(
    db: Database, clock: FrozenClock
) -> None:
    """A long read (an export) has a connection of its own: the writer never waits for it."""
    await _founder(db, clock, "ada")

    async def count(conn) -> int:  # type: ignore[no-untyped-def]
        async with conn.execute("SELECT COUNT(*) FROM users") as rows:
            return int((await rows.fetchone())[0])

    async with db.snapshot() as reader:
        assert await count(reader) == 1
        async with asyncio.timeout(5), db.transaction() as conn:  # not blocked by the reader
            await users.get_or_create(conn, channel="console", external_id="bob", now=clock.now())
        assert await count(reader) == 1  # its snapshot is the one it began with
        cannot_write = (sqlite3.OperationalError, asyncpg.ReadOnlySQLTransactionError)
        with pytest.raises(cannot_write, match=r"read-?only"):
            await reader.execute("DELETE FROM users")
    async with db.snapshot() as reader:
        assert await count(reader) == 2
