"""After /delete_my_data the founder's words are gone from the files, not only the tables.

Audit finding 16: after a deletion the founder's text was still in ``coach.db-wal`` (607
times) and in old pages of the database file, until some later checkpoint. Now deleted
content is zeroed (``PRAGMA secure_delete``) and the deletion is checkpointed into the
database file at once, the WAL truncated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database
from tests.coach.helpers import ADA, BOB, last_question, say, start

MARKER = "Quokka-Marmalade-7731"


@pytest.fixture
async def coach(db_path: Path, real_catalog: Catalog, clock: FrozenClock) -> AsyncIterator[Coach]:
    db = await Database.open(db_path)
    try:
        yield Coach(db, real_catalog, clock)
    finally:
        await db.close()


def on_disk(db_path: Path, marker: str) -> dict[str, int]:
    """How often ``marker`` occurs in each of the database's files, as raw bytes."""
    found = {}
    for suffix in ("", "-wal", "-journal"):
        path = Path(str(db_path) + suffix)
        if path.exists():
            found[path.name] = path.read_bytes().count(marker.encode())
    return found


async def onboard_with(coach: Coach, who, words: str) -> None:  # type: ignore[no-untyped-def]
    replies = await start(coach, who)
    answers = {"name": "Ada", "startup": f"{words} AI", "pitch": f"We sell {words} to robots.",
               "stage": "2", "sector": "vertical_ai", "team_size": "4", "timezone": "Berlin",
               "language": "English"}  # fmt: skip
    for _ in range(12):
        question = last_question(replies)
        if question.type != "question":
            break
        replies = await say(coach, who, answers[question.step])
    await say(coach, who, "1")  # confirm the review
    await say(coach, who, f"I keep thinking about {words} every day")


async def test_a_deleted_founders_words_are_gone_from_the_database_and_wal_files(
    coach: Coach, db_path: Path
) -> None:
    await onboard_with(coach, ADA, MARKER)
    await onboard_with(coach, BOB, "Bobcat")  # someone else's data stays
    assert sum(on_disk(db_path, MARKER).values()) > 0  # it was written to the files
    replies = await say(coach, ADA, "/delete_my_data")
    assert last_question(replies).step == "delete_my_data"
    await say(coach, ADA, "1")
    assert on_disk(db_path, MARKER) == dict.fromkeys(on_disk(db_path, MARKER), 0)
    assert sum(on_disk(db_path, "Bobcat").values()) > 0
    async with coach.db.reading() as conn, conn.execute("SELECT COUNT(*) FROM users") as rows:
        assert (await rows.fetchone())[0] == 1


@pytest.mark.sqlite_only
async def test_secure_delete_is_on_whatever_sqlite_was_built_with(db: Database) -> None:
    async with db.reading() as conn, conn.execute("PRAGMA secure_delete") as rows:
        assert (await rows.fetchone())[0] == 1
