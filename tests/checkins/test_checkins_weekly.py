"""The weekly founder update: scheduled on the chosen day and hour, last week carried over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.checkins.service import CheckinService
from bot.clock import FrozenClock
from bot.coach import Coach
from tests.checkins.conftest import Outbox
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say
from tests.dbrows import rows

GOALS = "SELECT value_json FROM facts WHERE flow_id = 'update' AND name = 'goals'"


async def answer_update(coach: Coach, answers: dict[str, str]) -> list:
    replies = await say(coach, ADA, "/update")
    for _ in range(20):
        question = last_question(replies)
        if question.flow != "update":
            return replies
        text = "1" if question.type == "review" else answers[question.step]
        replies = await say(coach, ADA, text)
    raise AssertionError("update did not finish")


async def test_first_update_schedules_the_weekly_one(
    full_coach: Coach, clock: FrozenClock, tmp_path: Path
) -> None:
    """Monday 09:00 Shanghai, chosen in the first update: the next one is set for it."""
    await onboard(full_coach)
    replies = await answer_update(full_coach, {
        "metric_name": "Weekly active users", "metric_value": "300", "morale": "2",
        "obstacle": "Pilots stuck in procurement", "obstacle_kind": "deal_stuck",
        "goals_next": "Close one pilot\nHire an ML engineer", "weekday": "mon", "hour": "h09",
    })  # fmt: skip
    assert any("Your next weekly update: 2026-03-09 09:00" in r.text for r in replies)
    [row] = await rows(full_coach.db, "SELECT kind, due_at, local_intent, status FROM checkins")
    [goals] = await rows(
        full_coach.db, "SELECT value_json FROM facts WHERE flow_id = 'update' AND name = 'goals'"
    )
    assert row == (
        "weekly_update",
        "2026-03-09T01:00:00.000000+00:00",
        "2026-03-09T09:00",
        "scheduled",
    )
    assert goals == ('["Close one pilot", "Hire an ML engineer"]',)


async def test_the_scheduled_update_shows_last_week_and_carries_goals(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    await onboard(full_coach)
    await answer_update(full_coach, {
        "metric_name": "Weekly active users", "metric_value": "300", "morale": "2",
        "obstacle": "/skip", "goals_next": "Close one pilot\nHire an ML engineer",
        "weekday": "mon", "hour": "h09",
    })  # fmt: skip
    clock.advance(timedelta(days=7))  # Monday 09:00 local, a week later
    assert await service.fire(1) is not None
    sent = "\n".join(outbox.texts())
    assert "Weekly active users" in sent
    replies = await say(full_coach, ADA, "keep")  # the metric's name stays
    assert "300" in last_question(replies).text  # last week's value is shown
    replies = await say(full_coach, ADA, "360")
    replies = await say(full_coach, ADA, "1")  # morale 1: the second low week in a row
    replies = await say(full_coach, ADA, "/skip")
    done = last_question(replies)
    assert (done.step, [o.label for o in done.options]) == (
        "goals_done",
        ["Close one pilot", "Hire an ML engineer"],
    )
    replies = await say(full_coach, ADA, "1")
    carry = last_question(replies)
    assert [o.label for o in carry.options] == ["Hire an ML engineer"]
    replies = await say(full_coach, ADA, "none")
    replies = await say(full_coach, ADA, "Book 5 demos")
    replies = await say(full_coach, ADA, "1")  # confirm the review
    text = "\n".join(r.text for r in replies)
    assert "+60" in text or "60" in text  # the change is computed: 360 - 300
    [goals] = await rows(
        full_coach.db, "SELECT value_json FROM facts WHERE flow_id = 'update' AND name = 'goals'"
    )
    statuses = await rows(full_coach.db, "SELECT status FROM checkins ORDER BY id")
    assert goals == ('["Book 5 demos"]',)
    assert statuses == [("answered",), ("scheduled",)]
