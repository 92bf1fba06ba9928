"""Schema migrations: from an empty file and from every earlier version, idempotent."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import (
    LATEST_VERSION,
    MIGRATIONS,
    Database,
    apply_migrations,
    schema_version,
    users,
)
from bot.storage.migrations import Migration

EXPECTED_TABLES = {
    "users",
    "flow_runs",
    "answers",
    "facts",
    "assessments",
    "advice",
    "commitments",
    "checkins",
    "transcript",
}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


async def test_empty_file_is_migrated_to_latest(db_path: Path) -> None:
    """Opening a new file creates every table and records the latest version."""
    db = await Database.open(db_path)
    await db.close()
    assert _tables(db_path) >= EXPECTED_TABLES
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


@pytest.mark.parametrize("start", range(len(MIGRATIONS)))
async def test_every_earlier_version_upgrades(db_path: Path, start: int) -> None:
    """A file left at any earlier version is brought to the latest one."""
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        applied = await apply_migrations(conn, target=start)
        assert applied == [m.version for m in MIGRATIONS if m.version <= start]
        assert await schema_version(conn) == start
    db = await Database.open(db_path)
    await db.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert _tables(db_path) >= EXPECTED_TABLES


async def test_migrating_twice_changes_nothing(db_path: Path) -> None:
    """A second apply finds nothing to do."""
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        first = await apply_migrations(conn)
        second = await apply_migrations(conn)
    assert first == [m.version for m in MIGRATIONS]
    assert second == []


async def test_failed_migration_leaves_previous_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole, version included."""
    broken = Migration(
        LATEST_VERSION + 1,
        "broken",
        ("CREATE TABLE half_done (id INTEGER)", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr("bot.storage.migrations.MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr("bot.storage.migrations.LATEST_VERSION", broken.version)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(conn)
        assert await schema_version(conn) == LATEST_VERSION
    assert "half_done" not in _tables(db_path)


async def test_newer_database_is_refused(db_path: Path) -> None:
    """A file from a newer coach is not touched by an older one."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    with pytest.raises(RuntimeError, match="newer"):
        await Database.open(db_path)


@pytest.mark.sqlite_only
async def test_pragmas_are_set(db: Database) -> None:
    """WAL, foreign keys and a busy timeout are on for the coach's connection."""
    async with db.reading() as conn:
        values = {}
        for pragma in ("journal_mode", "foreign_keys", "busy_timeout"):
            async with conn.execute(f"PRAGMA {pragma}") as cursor:
                row = await cursor.fetchone()
                values[pragma] = row[0]
    assert values == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000}


async def test_currency_migration_keeps_founders_and_adds_an_empty_currency(
    db_path: Path,
) -> None:
    """Migration 6: a founder stored before it keeps everything, with no currency yet;
    the column then takes the currency a founder types."""
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await apply_migrations(conn, target=5)
        await conn.execute(
            "INSERT INTO users (channel, external_id, timezone, created_at, updated_at)"
            " VALUES ('console', 'ada', 'Etc/GMT+3', '2026-03-02', '2026-03-02')"
        )
        assert await apply_migrations(conn, target=6) == [6]
        async with conn.execute("SELECT external_id, timezone, currency FROM users") as rows:
            assert await rows.fetchall() == [("ada", "Etc/GMT+3", None)]
    db = await Database.open(db_path)
    try:
        async with db.transaction() as conn:
            user = await users.find(conn, channel="console", external_id="ada")
            assert user is not None
            assert user.currency is None
            await users.update(conn, user.id, datetime(2026, 3, 3, tzinfo=UTC), currency="CAD")
        async with db.reading() as conn:
            user = await users.get(conn, user.id)
            assert user is not None
            assert user.currency == "CAD"
    finally:
        await db.close()


async def test_outbox_and_lease_migration_keeps_checkins_and_treats_old_claims_as_expired(
    db_path: Path,
) -> None:
    """Migration 7: a check-in left ``sending`` before leases existed can be claimed again
    (its sender is gone); the outbox goes with the founder it belongs to."""
    from bot.storage import checkins, outbox

    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        await apply_migrations(conn, target=6)
        await conn.execute(
            "INSERT INTO users (channel, external_id, created_at, updated_at)"
            " VALUES ('telegram', '1001', '2026-03-02', '2026-03-02')"
        )
        await conn.execute(
            "INSERT INTO checkins (user_id, kind, due_at, timezone, status, attempts, created_at)"
            " VALUES (1, 'commitment', '2026-03-02T09:00:00.000000+00:00', 'UTC', 'sending', 1,"
            " '2026-03-01')"
        )
        assert await apply_migrations(conn, target=7) == [7]
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    db = await Database.open(db_path)
    try:
        async with db.transaction() as conn:
            row = await checkins.get(conn, 1)
            assert row is not None
            assert (row.status, row.claimed_until) == ("sending", None)
            assert await checkins.claim(conn, 1, now, until=now, by="me")
            await outbox.add(
                conn, channel="telegram", external_id="1001", chat_id=1001,
                calls=[("message", "(2/8) Your startup?", None, None, None)], now=now, error="502",
            )  # fmt: skip
            assert await outbox.founders_due(conn, "telegram") == ["1001"]
            await users.delete(conn, 1)
            assert await outbox.founders_due(conn, "telegram") == []
    finally:
        await db.close()
