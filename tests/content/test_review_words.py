"""The review takes the words on its screen, and a plain yes, in either language.

A Chinese founder at the profile review typed 对 and then 没问题 (the first words of the
button "没问题，保存") and was told twice that this was not an option; an English founder's
"looks right" was refused the same way. Editing by the name the review lists ("称呼",
"Price per customer a month") did not work either: only a number or the step's id did.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, FlowState, RunStatus, TextAnswer, advance

PROFILE: dict[str, Any] = {
    "name": "小王", "startup": "智答科技", "pitch": "给国内电商商家做智能客服大模型",
    "stage": "mvp", "sector": "vertical_ai", "team_size": 2, "timezone": "Asia/Shanghai",
    "language": "zh",
}  # fmt: skip


def _at_review(flow_id: str, answers: dict[str, Any]) -> FlowState:
    return FlowState(flow_id=flow_id, step_id="review", answers=answers)


@pytest.mark.parametrize(
    "said", ["对", "没问题", "没问题，保存", "保存", "好的", "确认", "是的", "1", "yes",
             "looks right", "Looks right, save it", "ok", "save"],
)  # fmt: skip
def test_saying_it_is_right_saves(real_catalog: Catalog, said: str) -> None:
    flow = real_catalog.flows["onboarding"]
    after = advance(flow, _at_review("onboarding", PROFILE), TextAnswer(said), {})
    assert after.state.status is RunStatus.COMPLETED


@pytest.mark.parametrize(
    ("said", "step"), [("称呼", "name"), ("Name", "name"), ("一句话介绍", "pitch"),
                       ("团队人数", "team_size"), ("team size", "team_size"), ("3", "startup")],
)  # fmt: skip
def test_naming_an_answer_opens_it(real_catalog: Catalog, said: str, step: str) -> None:
    flow = real_catalog.flows["onboarding"]
    after = advance(flow, _at_review("onboarding", PROFILE), TextAnswer(said), {})
    assert after.state.status is RunStatus.ACTIVE
    assert after.state.step_id == step


def test_a_no_is_not_taken_for_a_yes(real_catalog: Catalog) -> None:
    flow = real_catalog.flows["onboarding"]
    after = advance(flow, _at_review("onboarding", PROFILE), TextAnswer("不对"), {})
    assert after.state.status is RunStatus.ACTIVE
    assert after.state.step_id == "review"
