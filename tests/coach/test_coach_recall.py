"""A point already made, or committed to, is referred to, not announced again as news.

Driven through the real flows and content: team says nobody owns revenue, the founder
commits (or not) to naming an owner, then marketing meets the same gap. Both languages.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.models import OutMessage
from tests.coach.helpers import ADA, last_question, say, start

ONBOARDING = {
    "name": "Ada",
    "startup": "Ledgerly AI",
    "pitch": "Reconciles invoices for mid-size accounting firms.",
    "stage": "3",  # Pilot or MVP
    "sector": "vertical_ai",
    "team_size": "4",
    "timezone": "Toronto",
    "language": "English",
}
TEAM = {
    "roles": "2, 3, 5",  # ML engineer, software engineer, product manager: nobody sells
    "cofounders": "1",
    "equity_agreed": "yes",
    "founder_vesting": "yes",
    "incentives": "1",
    "options_formal": "yes",
    "cadence": "2",
    "goals_written": "yes",
    "team_problem": "Hiring is slow",
    "problem_kind": "3",  # we can't hire the people we need
    "hiring_plan": "0",
}
MARKETING = {
    "segment": "1",  # large enterprises: someone has to sell
    "customer": "mid-size accounting firms",
    "positioning": "1",
    "pricing": "2",
    "channels": "1, 6",  # content, direct sales
    "attribution": "yes",
    "interviews": "12",
    "feedback_loop": "yes",
    "metrics": "1, 2, 3, 5, 6",
    "budget": "0",
}
COMMITMENT = {
    "en": "Name one founder as owner of pipeline and revenue and tell the team this week",
    "zh": "本周指定一位创始人负责销售管线和收入，并告知团队",
}
MARKETING_NEWS = {  # how marketing announces the gap when it is news
    "en": "Your team has no one in marketing or sales",
    "zh": "而你们团队里没有负责市场或销售的人",
}


async def _answer(coach: Coach, replies: list[OutMessage], answers: dict[str, str]):
    """Answer each question of the flow from ``answers`` and confirm the review."""
    while True:
        question = last_question(replies)
        if question.type == "review":
            return await say(coach, ADA, "1")
        assert question.step in answers, question
        replies = await say(coach, ADA, answers[question.step])


async def _team(coach: Coach, locale: str, *, commit: bool) -> list[OutMessage]:
    """Onboarding and team; commit to naming a revenue owner (or to nothing)."""
    replies = await _answer(coach, await start(coach, ADA), ONBOARDING)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    replies = await _answer(coach, await say(coach, ADA, "/team"), TEAM)
    pick = last_question(replies)
    assert pick.step == "pick", pick
    if commit:
        number = [o.label for o in pick.options].index(COMMITMENT[locale]) + 1
        replies = await say(coach, ADA, str(number))
        while last_question(replies).type != "menu":
            step = last_question(replies).step
            replies = await say(coach, ADA, "/skip" if step == "own" else "1")
    else:
        await say(coach, ADA, "/skip")
        replies = await say(coach, ADA, "/skip")
    return replies


async def _team_then_marketing(coach: Coach, locale: str, *, commit: bool) -> OutMessage:
    await _team(coach, locale, commit=commit)
    replies = await _answer(coach, await say(coach, ADA, "/marketing"), MARKETING)
    items = [r for r in replies if r.type == "advice" and r.step == "no_sales_owner"]
    assert len(items) == 1, [r.step for r in replies]
    return items[0]


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_a_commitment_made_in_team_is_asked_about_in_marketing(
    full_coach: Coach, locale: str
) -> None:
    item = await _team_then_marketing(full_coach, locale, commit=True)
    assert COMMITMENT[locale] in item.text
    assert ("How is that going?" if locale == "en" else "进展如何") in item.text
    assert MARKETING_NEWS[locale] not in item.text  # not announced again as news
    assert COMMITMENT[locale] not in [o.label for o in item.options]  # not offered twice


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_a_point_made_in_team_is_referred_to_in_marketing(
    full_coach: Coach, locale: str
) -> None:
    item = await _team_then_marketing(full_coach, locale, commit=False)
    said_before = "We covered this in Team" if locale == "en" else "这一点我们在"
    assert said_before in item.text
    assert item.text.index(said_before) < item.text.index(MARKETING_NEWS[locale])


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_a_rerun_asks_about_the_commitment_and_does_not_offer_it_again(
    full_coach: Coach, clock: FrozenClock, locale: str
) -> None:
    await _team(full_coach, locale, commit=True)
    clock.advance(timedelta(days=1))  # the picker comes once a sitting: the next day
    replies = await _answer(full_coach, await say(full_coach, ADA, "/team"), TEAM)
    item = next(r for r in replies if r.type == "advice" and r.step == "no_commercial_owner")
    assert COMMITMENT[locale] in item.text
    assert COMMITMENT[locale] not in [o.label for o in item.options]
    pick = last_question(replies)
    assert pick.step == "pick", pick
    assert COMMITMENT[locale] not in [o.label for o in pick.options]
