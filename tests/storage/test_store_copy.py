"""``founder-coach db copy``: a generated SQLite database moved into PostgreSQL, checked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.generate_db import generate
from bot.storage import Database, users
from bot.storage.copying import TABLES, row_counts

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _copy(source: Path, target: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", "copy", "--from", str(source), "--to", target],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small database of generated founders' journeys (the bench's generator)."""
    path = tmp_path_factory.mktemp("copy") / "coach.db"
    generate(path, founders=40, answers=1200, scheduled=30, templates=4, seed=11, now=NOW,
             uptime_days=1, quiet=True)  # fmt: skip
    return path


async def test_a_generated_database_is_copied_whole_and_checked(
    generated: Path, empty_postgres: str
) -> None:
    done = _copy(generated, empty_postgres)
    assert done.returncode == 0, done.stderr
    assert "checked: equal row counts in" in done.stdout
    assert "equal JSON exports for 20 founders" in done.stdout
    source = await Database.open(generated)
    target = await Database.open(empty_postgres)
    try:
        counts = await row_counts(source)
        assert counts == await row_counts(target)
        assert counts["users"] == 40
        assert counts["answers"] > 0
        assert counts["checkins"] > 0
        assert counts["transcript"] > 0
        async with target.transaction() as conn:  # the sequences were moved past the copy
            newcomer, created = await users.get_or_create(
                conn, channel="telegram", external_id="newcomer", now=NOW
            )
        assert created
        async with source.reading() as conn:
            largest = (await conn.execute("SELECT MAX(id) FROM users")).first[0]
        assert newcomer.id == largest + 1
    finally:
        await source.close()
        await target.close()


async def test_a_target_with_rows_is_refused(generated: Path, empty_postgres: str) -> None:
    target = await Database.open(empty_postgres)
    try:
        async with target.transaction() as conn:
            await users.get_or_create(conn, channel="console", external_id="ada", now=NOW)
    finally:
        await target.close()
    done = _copy(generated, empty_postgres)
    assert done.returncode == 1
    assert "not empty (users has rows)" in done.stderr
    target = await Database.open(empty_postgres)
    try:
        counts = await row_counts(target)
    finally:
        await target.close()
    assert counts == {table: 1 if table == "users" else 0 for table in TABLES}
