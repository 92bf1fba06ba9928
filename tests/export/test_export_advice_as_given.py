"""An export shows each advice item as it was given, with that run's numbers (issue #13).

Advice is stored by rule; the export renders its words again. It must render them with the
facts as they stood when the run was completed, not today's: a team run's "cash bonuses
on a short runway" quoted today's runway after a later funding run had lengthened it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say
from tests.content.walker import answer_for


@pytest.fixture
def coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every flow, on either backend (the suite's ``db``)."""
    return Coach(db, real_catalog, clock)


async def walk(coach: Coach, command: str, locale: str, typed: dict[str, str]) -> None:
    """Run a flow to its end, typing ``typed[step]`` or what an automatic founder would."""
    replies = await say(coach, ADA, command)
    flow = last_question(replies).flow
    for _ in range(40):
        question = last_question(replies)
        if question.flow != flow:
            break
        if question.type == "review":
            text = "1"
        else:
            text = typed.get(question.step or "") or answer_for(
                question.model_dump(), locale, [command]
            )
        replies = await say(coach, ADA, text)
    else:
        raise AssertionError(f"{command} did not finish")
    await say(coach, ADA, "/menu")  # leave the commitment picker, if any


def team_advice(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    [team] = [f for f in data["flows"] if f["flow"] == "team"]
    return {item["rule"]: item for item in team["advice"]}


MONTHS = {"en": ("2 months", "20 months"), "zh": ("2 个月", "20 个月")}


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_old_advice_keeps_the_numbers_it_was_given_with(
    coach: Coach, clock: FrozenClock, locale: str
) -> None:
    await onboard(coach)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    money = {"cash": "100k", "burn": "50k", "raise_amount": "0"}
    await walk(coach, "/funding", locale, money)  # two months of runway
    await walk(coach, "/team", locale, {"incentives": "performance_bonus"})
    await walk(coach, "/funding", locale, {**money, "cash": "1m"})  # now twenty months
    await say(coach, ADA, "/export")
    [data] = [json.loads(r.file.data) for r in await say(coach, ADA, "3") if r.file is not None]
    advice = team_advice(data)
    assert "bonuses_vs_runway" in advice  # given when runway was two months
    then, now = MONTHS[locale]
    item = advice["bonuses_vs_runway"]
    assert then in item["text"]
    assert now not in item["text"]
    assert now not in item["why"]
    # what the founder answers today is still today's (the funding flow's own answers)
    [funding] = [f for f in data["flows"] if f["flow"] == "funding"]
    cash = next(a for a in funding["answers"] if a["step"] == "cash")
    assert cash["value"] == 1_000_000
