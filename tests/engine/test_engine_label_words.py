"""Options named the short way founders name them, in both languages (real content).

The trial's list: 原型, 行业解决方案, 股权, 订阅, 算力，招聘, 市场风险，技术风险,
我们还没有投资人, pilot, agent; and weekdays as 星期三 / 每周三 / 下周三.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, TextAnswer
from bot.engine.inputs import InvalidAnswer
from bot.engine.machine import parse_answer

CASES = [
    ("onboarding", "stage", "原型", "prototype"),
    ("onboarding", "stage", "原型阶段", "prototype"),
    ("onboarding", "stage", "pilot", "mvp"),
    ("onboarding", "sector", "行业解决方案", "vertical_ai"),
    ("onboarding", "sector", "agent", "ai_application"),
    ("funding", "instrument", "股权", "equity"),
    ("funding", "use_of_funds", "算力，招聘", ["compute", "hiring"]),
    ("funding", "risks", "市场风险，技术风险", ["market", "technical"]),
    ("funding", "investor_updates", "我们还没有投资人", "no_investors"),
    ("marketing", "pricing", "订阅", "subscription"),
    ("update", "weekday", "星期三", "wed"),
    ("update", "weekday", "每周三", "wed"),
    ("update", "weekday", "下周三", "wed"),
    ("update", "weekday", "周天", "sun"),
]


@pytest.mark.parametrize(("flow_id", "step_id", "typed", "expected"), CASES)
def test_short_names_pick_the_option(
    real_catalog: Catalog, flow_id: str, step_id: str, typed: str, expected: Any
) -> None:
    flow = real_catalog.flows[flow_id]
    step = flow.step(step_id)
    assert parse_answer(flow, step, TextAnswer(typed), facts={}) == expected


@pytest.mark.parametrize("typed", ["阶段", "demo", "a"])
def test_words_that_fit_several_options_or_none_are_refused(
    real_catalog: Catalog, typed: str
) -> None:
    """Short words only count when exactly one option fits them."""
    flow = real_catalog.flows["onboarding"]
    with pytest.raises(InvalidAnswer):
        parse_answer(flow, flow.step("stage"), TextAnswer(typed), facts={})
