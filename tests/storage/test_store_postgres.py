"""PostgreSQL's own machinery: migrations once under the advisory lock, from any earlier
version, the ``db migrate`` command, and the connections a founder lock needs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest

from bot.errors import StorageError
from bot.storage import LATEST_VERSION, MIGRATIONS, Database, users
from bot.storage.migrations import Migration
from bot.storage.postgres import PostgresDatabase

ALL = [m.version for m in MIGRATIONS]


async def _recorded(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [
            row[0] for row in await conn.fetch("SELECT version FROM schema_version ORDER BY 1")
        ]
    finally:
        await conn.close()


async def test_an_empty_database_is_migrated_once_and_then_left_alone(
    empty_postgres: str,
) -> None:
    db = await Database.open(empty_postgres, migrate=False)
    try:
        assert db.backend == "postgresql"
        assert await db.schema_version() == 0
        assert await db.migrate() == ALL
        assert await db.migrate() == []
        assert await db.schema_version() == LATEST_VERSION
    finally:
        await db.close()
    assert await _recorded(empty_postgres) == ALL


async def test_two_connections_migrating_at_once_apply_each_step_once(
    empty_postgres: str,
) -> None:
    """Two workers opening a new database at the same moment: one applies, one waits."""
    first, second = await asyncio.gather(
        Database.open(empty_postgres, migrate=False), Database.open(empty_postgres, migrate=False)
    )
    try:
        applied = await asyncio.gather(first.migrate(), second.migrate())
    finally:
        await first.close()
        await second.close()
    assert sorted(applied) == [[], ALL]
    assert await _recorded(empty_postgres) == ALL


def test_two_processes_migrating_at_once_apply_each_step_once(empty_postgres: str) -> None:
    """``founder-coach db migrate`` started twice at once: the steps are applied once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    env["FOUNDER_COACH_DATABASE_URL"] = empty_postgres
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert "nothing to apply" in said[0], said
    assert f"applied migrations {', '.join(map(str, ALL))}" in said[1], said
    asyncio.run(_check_recorded(empty_postgres))


async def _check_recorded(url: str) -> None:
    assert await _recorded(url) == ALL


@pytest.mark.parametrize("start", range(len(MIGRATIONS)))
async def test_every_earlier_version_upgrades(empty_postgres: str, start: int) -> None:
    db = await Database.open(empty_postgres, migrate=False)
    try:
        assert isinstance(db, PostgresDatabase)
        assert await db.migrate(target=start) == ALL[:start]
        assert await db.schema_version() == start
    finally:
        await db.close()
    db = await Database.open(empty_postgres)
    try:
        assert await db.schema_version() == LATEST_VERSION
    finally:
        await db.close()


async def test_a_failed_migration_leaves_the_previous_version(
    empty_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Migration(
        LATEST_VERSION + 1, "broken", ("CREATE TABLE half_done (id INTEGER)", "THIS IS NOT SQL")
    )
    monkeypatch.setattr("bot.storage.migrations.MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(asyncpg.PostgresSyntaxError):
        await Database.open(empty_postgres)
    assert await _recorded(empty_postgres) == ALL
    conn = await asyncpg.connect(empty_postgres)
    try:
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await conn.close()


async def test_a_newer_database_is_refused(empty_postgres: str) -> None:
    db = await Database.open(empty_postgres)
    await db.close()
    conn = await asyncpg.connect(empty_postgres)
    try:
        await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", LATEST_VERSION + 5)
    finally:
        await conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        await Database.open(empty_postgres)


async def test_ids_beyond_32_bits_are_kept(db: Database, backend: str) -> None:
    """Ids are 64-bit on both backends (asyncpg refuses 2**62 in a 32-bit column)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (id, channel, external_id, created_at, updated_at) "
            "VALUES (?, 'console', 'big', '2026-03-02', '2026-03-02')",
            (2**40,),
        )
        user = await users.find(conn, channel="console", external_id="big")
    assert user is not None
    assert user.id == 2**40


async def test_a_session_holds_an_advisory_lock_that_a_transaction_can_try(
    empty_postgres: str,
) -> None:
    """What a per-founder lock needs: a dedicated connection holding a session lock, and
    ``pg_try_advisory_xact_lock`` inside a transaction, which fails while it is held."""
    async with await Database.open(empty_postgres) as db:
        assert isinstance(db, PostgresDatabase)
        await _try_locks(db)


async def _try_locks(db: PostgresDatabase) -> None:
    async with db.session() as holder:
        rows = await holder.execute("SELECT pg_try_advisory_lock(?)", (42,))
        assert rows.first[0] is True
        async with db.transaction() as conn:
            rows = await conn.execute("SELECT pg_try_advisory_xact_lock(?)", (42,))
            assert rows.first[0] is False
            rows = await conn.execute("SELECT pg_try_advisory_xact_lock(?)", (43,))
            assert rows.first[0] is True
    async with db.transaction() as conn:  # the session ended: its lock went with it
        rows = await conn.execute("SELECT pg_try_advisory_xact_lock(?)", (42,))
        assert rows.first[0] is True


async def test_a_missing_database_is_a_storage_error_without_the_password(
    empty_postgres: str,
) -> None:
    gone = empty_postgres.replace("postgres@", "postgres:hunter2@").replace(
        "/founder_coach_", "/no_such_database_"
    )
    with pytest.raises(StorageError, match="no_such_database") as raised:
        await Database.open(gone)
    assert "hunter2" not in str(raised.value)
    assert "postgres:***@" in str(raised.value)
