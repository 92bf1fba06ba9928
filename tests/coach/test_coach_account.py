"""The founder's account: privacy, deleting everything, time zone, blocking, admin figures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import UserRef
from bot.storage import Database
from tests.coach.helpers import ADA, BOB, answer_onboarding, last_question, say, start, tap

ADMIN = UserRef(channel="telegram", external_id="1001", display_name="Ops")


def _count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_privacy_says_what_is_stored_and_repeats_the_question(coach: Coach) -> None:
    await answer_onboarding(coach, ADA, upto=2)
    replies = await say(coach, ADA, "/privacy")
    assert replies[0].text.startswith("What I keep, and how to delete it")
    assert "/delete_my_data" in replies[0].text
    assert last_question(replies).step == "pitch"


async def test_delete_my_data_asks_first_and_keep_changes_nothing(
    coach: Coach, db_path: Path
) -> None:
    await answer_onboarding(coach, ADA, upto=3)
    replies = await say(coach, ADA, "/delete_my_data")
    question = replies[-1]
    assert (question.step, [o.id for o in question.options]) == (
        "delete_my_data",
        ["confirm", "keep"],
    )
    replies = await say(coach, ADA, "2")
    assert replies[0].text == "Nothing was deleted."
    assert last_question(replies).step == "stage"
    assert _count(db_path, "answers") == 3


async def test_delete_my_data_erases_only_that_founder(coach: Coach, db_path: Path) -> None:
    """After confirming, no row of Ada remains; Bob's data is untouched."""
    await answer_onboarding(coach, ADA)
    await answer_onboarding(coach, BOB, upto=2)
    await say(coach, ADA, "/delete_my_data")
    replies = await tap(coach, ADA, None, "delete_my_data", "confirm")
    assert replies[0].text.startswith("Done: everything I had stored about you is deleted.")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT external_id FROM users").fetchall() == [("bob",)]
        for table in ("flow_runs", "answers", "facts", "transcript", "assessments"):
            owner = "run_id IN (SELECT id FROM flow_runs)" if table == "assessments" else "1"
            rows = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE NOT ({owner})").fetchone()[0]
            assert rows == 0, table
    assert _count(db_path, "answers") == 2
    replies = await say(coach, ADA, "/start")  # a stranger again: consent first
    assert replies[0].text.startswith("Hi! I am Founder Coach")
    assert replies[-1].step == "consent"


async def test_unclear_delete_answer_asks_again(coach: Coach) -> None:
    await start(coach, ADA)
    await say(coach, ADA, "/delete_my_data")
    replies = await say(coach, ADA, "maybe")
    assert replies[0].type == "error"
    assert replies[-1].step == "delete_my_data"


async def test_timezone_command_sets_the_zone(coach: Coach, db: Database) -> None:
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/timezone")
    assert replies[0].text.startswith("Your time zone is Europe/Berlin.")
    replies = await say(coach, ADA, "/timezone New York")
    assert replies[0].text == "Time zone set to America/New_York."
    replies = await say(coach, ADA, "/timezone Gotham")
    assert replies[0].type == "error"
    replies = await say(coach, ADA, "/timezone")
    assert replies[0].text.startswith("Your time zone is America/New_York.")


async def test_stats_only_for_admins(
    db: Database, onboarding_catalog: Catalog, clock: FrozenClock
) -> None:
    coach = Coach(db, onboarding_catalog, clock, admins=frozenset({"telegram:1001"}))
    await answer_onboarding(coach, ADA)
    await answer_onboarding(coach, BOB, upto=2)
    replies = await say(coach, ADMIN, "/stats")
    assert replies[0].text.splitlines() == [
        "Founder Coach figures",
        "• Founders: 3",
        "• Active in the last 7 days: 2",  # the admin's own /stats, before consent, is not kept
        "• Flows started: 2, completed: 1",
        "• Check-ins answered: none sent yet",
    ]
    replies = await say(coach, ADA, "/stats")
    assert replies[0].text.startswith("/stats is not a command I know.")


async def test_blocked_founder_is_inactive_until_they_write(coach: Coach) -> None:
    await start(coach, ADA)
    assert await coach.is_active(ADA)
    await coach.mark_blocked(ADA)
    assert not await coach.is_active(ADA)
    await say(coach, ADA, "Ada")
    assert await coach.is_active(ADA)
