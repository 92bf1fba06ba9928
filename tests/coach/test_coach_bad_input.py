"""Bad input: a clear message and the same question; nothing stored changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.coach import Coach
from bot.storage import Database
from tests.coach.helpers import ADA, BOB, answer_onboarding, last_question, say, start, tap


def _snapshot(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return (
            conn.execute(
                "SELECT run_id, step_id, value_json, revision FROM answers ORDER BY id"
            ).fetchall()
            + conn.execute("SELECT id, step_id, state_json FROM flow_runs").fetchall()
        )


# (questions answered first, input, expected error code's text start)
BAD_INPUTS = [
    (0, "", "I did not get an answer"),
    (0, "   \t  ", "I did not get an answer"),
    (0, "\x00\x07\x1b", "I did not get an answer"),
    (0, "A" * 10_000, "That is 10000 characters; please keep it within 60."),
    (2, "too short", "That is a little short"),
    (3, "9", "There is no option with that number; pick one from 1 to 5."),
    (3, "unicorn", "That is not one of the options."),
    (3, "🚀", "That is not one of the options."),
    (5, "0", "That is below the lowest value I can take (1)."),
    (5, "100000", "That is above the highest value I can take (10,000)."),
    (5, "three", "I could not read that as a number."),
    (5, "2.5", "Please use a whole number."),
    (5, "5k", "Please type a plain number here"),
    (6, "Atlantis", "I do not know that place."),
    (6, "/foo", "/foo is not a command I know."),
    (7, "/nonsense with args", "/nonsense is not a command I know."),
    (1, "/skip", "This one cannot be skipped"),
]


@pytest.mark.parametrize(("answered", "text", "message"), BAD_INPUTS)
async def test_bad_input_repeats_the_question(
    coach: Coach, db_path: Path, answered: int, text: str, message: str
) -> None:
    """The reply is an error with a clear message, then the very same question."""
    replies = await answer_onboarding(coach, ADA, upto=answered)
    before_question = last_question(replies)
    before = _snapshot(db_path)
    replies = await say(coach, ADA, text)
    assert replies[0].type == "error"
    assert replies[0].text.startswith(message)
    again = last_question(replies)
    assert (again.step, again.progress, again.text) == (
        before_question.step,
        before_question.progress,
        before_question.text,
    )
    assert _snapshot(db_path) == before


@pytest.mark.parametrize(
    "text",
    ["🚀 Ada 🦄", "مرحبا بالعالم", "שלום", "Zoë‍👩‍💻", "李雷"],
)
async def test_unusual_but_valid_text_is_kept_exactly(
    coach: Coach, db_path: Path, text: str
) -> None:
    """Emoji, right-to-left scripts and joiners are stored as typed."""
    await start(coach, ADA)
    replies = await say(coach, ADA, text)
    assert last_question(replies).step == "startup"
    with sqlite3.connect(db_path) as conn:
        (value,) = conn.execute("SELECT value_json FROM answers").fetchone()
    assert value == f'"{text}"'


async def test_control_characters_are_removed_from_text(coach: Coach, db_path: Path) -> None:
    """Control characters inside an answer are dropped, the rest is kept."""
    await start(coach, ADA)
    await say(coach, ADA, "A\x00d\x07a\x1b")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT value_json FROM answers").fetchone() == ('"Ada"',)


async def test_back_at_the_first_question_says_so(coach: Coach) -> None:
    """/back on question 1 explains and asks question 1 again."""
    await start(coach, ADA)
    replies = await say(coach, ADA, "/back")
    assert replies[0].text == "This is the first question already."
    assert last_question(replies).step == "name"


async def test_forged_button_changes_nothing(coach: Coach, db_path: Path) -> None:
    """A tap naming another run, a past step or a made-up option is refused."""
    replies = await answer_onboarding(coach, ADA, upto=3)
    run_id = last_question(replies).run_id
    before = _snapshot(db_path)
    for forged in (
        (run_id + 100, "stage", ("idea",)),
        (run_id, "name", ("idea",)),
        (run_id, "stage", ("rocket",)),
        (None, "menu", ("no_such_flow",)),
    ):
        replies = await tap(coach, ADA, forged[0], forged[1], *forged[2])
        assert replies[0].type == "error"
        assert last_question(replies).step == "stage"
    assert _snapshot(db_path) == before


async def test_a_founder_cannot_answer_in_another_founders_run(
    coach: Coach, db_path: Path
) -> None:
    """Bob tapping a button of Ada's run changes neither run."""
    ada_replies = await answer_onboarding(coach, ADA, upto=3)
    await answer_onboarding(coach, BOB, upto=3)
    before = _snapshot(db_path)
    replies = await tap(coach, BOB, last_question(ada_replies).run_id, "stage", "idea")
    assert replies[0].text.startswith("That button belongs to an earlier question")
    assert _snapshot(db_path) == before


async def test_valid_button_answers_the_question(coach: Coach) -> None:
    """A tap of the current question's option is taken like a typed answer."""
    replies = await answer_onboarding(coach, ADA, upto=3)
    question = last_question(replies)
    replies = await tap(coach, ADA, question.run_id, "stage", "revenue")
    assert last_question(replies).step == "sector"


async def test_storage_failure_tells_the_founder_and_writes_nothing(
    coach: Coach, db: Database, db_path: Path
) -> None:
    """With the database refusing writes, the founder is asked to try later."""
    await answer_onboarding(coach, ADA, upto=2)
    before = _snapshot(db_path)
    async with db.transaction() as conn:  # the writer's own connection, from now on
        await conn.execute("PRAGMA query_only = ON")
    replies = await say(coach, ADA, "A pitch that is long enough to count")
    assert [r.type for r in replies] == ["error"]
    assert replies[0].text.startswith("I could not save that just now")
    assert _snapshot(db_path) == before
