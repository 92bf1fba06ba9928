"""Product and technology refers to the missing ML engineer team already raised.

Team says there is no ML engineer; a founder who then fine-tunes a model in /product_tech
hears that this was covered in Team, before what it means for the model (both languages).
"""

from __future__ import annotations

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, say
from tests.coach.test_coach_recall import ONBOARDING, TEAM, _answer, start

NO_ML_TEAM = {**TEAM, "roles": "3, 5", "problem_kind": "1"}  # software engineer, PM
PRODUCT = {"approach": "3", "providers": "2", "data_assets": "1", "data_rights": "1",
           "feedback_loop": "1", "evaluation": "1", "eval_size": "300", "moats": "2",
           "copy_threat": "3", "revenue": "30k", "compute_spend": "3k"}  # fmt: skip
NEWS = {"en": "nobody on the team is an ML engineer", "zh": "团队里没有机器学习工程师"}


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_fine_tuning_without_ml_engineer_refers_to_team(
    full_coach: Coach, locale: str
) -> None:
    await _answer(full_coach, await start(full_coach, ADA), ONBOARDING)
    if locale == "zh":
        await say(full_coach, ADA, "/lang zh")
    await _answer(full_coach, await say(full_coach, ADA, "/team"), NO_ML_TEAM)
    await say(full_coach, ADA, "/skip")
    await say(full_coach, ADA, "/skip")
    replies = await _answer(full_coach, await say(full_coach, ADA, "/product_tech"), PRODUCT)
    items = [r for r in replies if r.type == "advice" and r.step == "tuning_without_ml_engineer"]
    assert len(items) == 1, [r.step for r in replies]
    said_before = "We covered this in Team" if locale == "en" else "这一点我们在"
    assert said_before in items[0].text
    assert items[0].text.index(said_before) < items[0].text.index(NEWS[locale])
