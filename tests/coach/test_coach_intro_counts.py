"""A flow's intro promises the number of questions the progress line then shows.

The team intro said "Up to twelve" while its first question said "(1 of up to 13)" once a
question was added: the count now comes from the engine, not from the words.
"""

from __future__ import annotations

import re

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, answer_onboarding, say


@pytest.mark.parametrize("command", ["/team", "/marketing", "/product_tech"])
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_intro_count_is_the_progress_count(
    full_coach: Coach, command: str, lang: str
) -> None:
    await answer_onboarding(full_coach, ADA)
    await say(full_coach, ADA, f"/lang {lang}")
    replies = await say(full_coach, ADA, command)
    intro = next(r.text for r in replies[:-1] if re.search(r"(Up to|At most|最多) \d+", r.text))
    promised = int(re.search(r"(?:Up to|At most|最多) (\d+)", intro).group(1))  # type: ignore[union-attr]
    first = replies[-1].text
    shown = re.search(r"(?:of up to|/|最多) ?(\d+)", first)
    assert shown is not None, first
    assert promised == int(shown.group(1)), (intro, first)
