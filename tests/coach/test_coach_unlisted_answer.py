"""An answer the list does not name is pointed at the list's catch-all option.

A founder selling in Japan typed "Japan" at "Where do you sell?" and was only told it was
not an option; the list has "6. Elsewhere" for exactly that. The refusal now says so, in
both languages, and the question comes back.
"""

from __future__ import annotations

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, answer_onboarding, last_question, say


@pytest.mark.parametrize(
    ("locale", "said", "pointer"),
    [("en", "Japan", "If yours isn't on the list, pick 6."),
     ("zh", "日本", "列表里没有你要的，就选 6。")],
)  # fmt: skip
async def test_an_unlisted_market_is_pointed_at_elsewhere(
    full_coach: Coach, locale: str, said: str, pointer: str
) -> None:
    await answer_onboarding(full_coach, ADA)
    if locale == "zh":
        await say(full_coach, ADA, "/lang zh")
    await say(full_coach, ADA, "/risk_legal")
    replies = await say(full_coach, ADA, said)
    errors = [r.text for r in replies if r.type == "error"]
    assert errors, replies
    assert pointer in errors[0]
    assert last_question(replies).step == "markets"
    replies = await say(full_coach, ADA, "6")
    assert last_question(replies).step == "personal_data"


async def test_a_list_without_a_catch_all_only_refuses(full_coach: Coach) -> None:
    await answer_onboarding(full_coach, ADA)
    await say(full_coach, ADA, "/risk_legal")
    await say(full_coach, ADA, "2")
    replies = await say(full_coach, ADA, "lots of it")  # personal data: no "other" option
    errors = [r.text for r in replies if r.type == "error"]
    assert errors
    assert "isn't on the list" not in errors[0]
