"""Two weekly updates on the same day are one week: the second corrects the first."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, answer_onboarding, last_question, say
from tests.conftest import FrozenClock


@pytest.fixture
def coach(full_coach: Coach) -> Coach:
    """Every real flow: these walk the profile, team, funding and the weekly update."""
    return full_coach


async def _update(coach: Coach, morale: str) -> list:
    """A whole /update: metric, value, morale, no obstacle, goals; then save."""
    replies = await say(coach, ADA, "/update")
    for _ in range(20):
        question = last_question(replies)
        if question.type == "review":
            break
        typed = {
            "metric_name": "Paying firms",
            "metric_value": "3",
            "morale": morale,
            "goals_next": "Ship the export",
            "weekday": "1",
            "hour": "1",
        }.get(question.step or "", "/skip" if question.can_skip else "1")
        replies = await say(coach, ADA, typed)
    assert last_question(replies).type == "review"
    replies = await say(coach, ADA, "1")
    seen = list(replies)
    for _ in range(5):  # decline the commitments offered
        if last_question(replies).type == "menu":
            break
        replies = await say(coach, ADA, "/skip")
        seen += replies
    assert last_question(replies).type == "menu"
    return seen


def _completed_updates(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM flow_runs WHERE flow_id = 'update' AND status = 'completed'"
        ).fetchone()[0]


async def test_second_update_the_same_day_opens_the_first_to_correct(
    coach: Coach, db_path: Path
) -> None:
    """It says so and opens at the review with the first one's answers."""
    await answer_onboarding(coach, ADA)
    await _update(coach, "4")
    replies = await say(coach, ADA, "/update")
    assert any("corrects it rather than counting as a new week" in r.text for r in replies)
    review = last_question(replies)
    assert review.type == "review"
    assert any("Paying firms" in o.label for o in review.options)
    await say(coach, ADA, "1")
    assert _completed_updates(db_path) == 1


async def test_two_low_updates_the_same_day_are_not_two_hard_weeks(
    coach: Coach, db_path: Path
) -> None:
    """The finding's repro: no 'Two hard weeks in a row' from two updates minutes apart."""
    await answer_onboarding(coach, ADA)
    first = await _update(coach, "2")
    assert not any("Two hard weeks" in r.text for r in first)
    replies = await say(coach, ADA, "/update")
    assert last_question(replies).type == "review"
    replies = await say(coach, ADA, "1")
    assert not any("Two hard weeks" in r.text for r in replies)
    assert not any("on last week" in r.text for r in replies)
    assert _completed_updates(db_path) == 1


async def test_a_correction_compares_with_the_week_before(
    coach: Coach, clock: FrozenClock, db_path: Path
) -> None:
    """Low last week, low today, corrected today: still the second hard week, once."""
    await answer_onboarding(coach, ADA)
    await _update(coach, "2")
    clock.advance(timedelta(days=7))
    second = await _update(coach, "2")
    assert any("Two hard weeks" in r.text for r in second)
    replies = await say(coach, ADA, "/update")
    replies = await say(coach, ADA, "1")
    assert any("Two hard weeks" in r.text for r in replies)
    assert _completed_updates(db_path) == 2


async def test_next_day_is_a_new_week(coach: Coach, clock: FrozenClock, db_path: Path) -> None:
    """A day later, /update is a new update as before."""
    await answer_onboarding(coach, ADA)
    await _update(coach, "4")
    clock.advance(timedelta(days=1))
    replies = await say(coach, ADA, "/update")
    assert last_question(replies).step == "metric_name"
    assert _completed_updates(db_path) == 1
