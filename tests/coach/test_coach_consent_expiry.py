"""Someone who never answers the consent question is forgotten after 30 days (finding 15).

Before, ``/start`` (or ``/privacy``) left a ``users`` row with the Telegram first name for
good. Now the name is kept only once they agree, and the hourly upkeep erases a row that
never agreed 30 days after it was made; /privacy says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import UserRef
from bot.storage import Database
from tests.coach.helpers import say

ADA = UserRef(channel="telegram", external_id="2002", display_name="Ada", language_code="en")
BOB = UserRef(channel="telegram", external_id="2003", display_name="Bob", language_code="en")
CAROL = UserRef(channel="telegram", external_id="2004", display_name="Carol")


@pytest.fixture
async def coach(
    db_path: Path, onboarding_catalog: Catalog, clock: FrozenClock
) -> AsyncIterator[Coach]:
    db = await Database.open(db_path)
    try:
        yield Coach(db, onboarding_catalog, clock)
    finally:
        await db.close()


def stored(db_path: Path) -> dict[str, tuple]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT external_id, display_name, consented_at FROM users")
        return {row[0]: row[1:] for row in rows}


async def test_an_unanswered_consent_question_is_forgotten_after_30_days(
    coach: Coach, clock: FrozenClock, db_path: Path
) -> None:
    await say(coach, ADA, "/start")  # asked, never answers
    await say(coach, BOB, "/start")
    await say(coach, BOB, "1")  # agrees
    clock.advance(timedelta(days=10))
    await say(coach, CAROL, "/privacy")  # only asked what is kept
    assert stored(db_path)["2002"] == (None, None)  # no name before consent
    assert stored(db_path)["2003"][0] == "Bob"
    clock.advance(timedelta(days=19, hours=23))
    assert await coach.forget_unconsented() == 0
    clock.advance(timedelta(hours=2))  # 30 days and an hour after Ada was asked
    assert await coach.forget_unconsented() == 1
    assert set(stored(db_path)) == {"2003", "2004"}
    clock.advance(timedelta(days=10))
    assert await coach.forget_unconsented() == 1
    assert set(stored(db_path)) == {"2003"}  # the founder who agreed stays


async def test_the_name_is_kept_once_they_agree(coach: Coach, db_path: Path) -> None:
    await say(coach, ADA, "/start")
    assert stored(db_path)["2002"][0] is None
    await say(coach, ADA, "1")
    assert stored(db_path)["2002"][0] == "Ada"


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "within 30 days, I erase that too"), ("zh", "30 天内你没有同意")]
)
async def test_privacy_says_when_an_unanswered_question_is_forgotten(
    coach: Coach, lang: str, words: str
) -> None:
    who = UserRef(channel="telegram", external_id="2005", language_code=lang)
    [reply] = await say(coach, who, "/privacy")
    assert words in reply.text
