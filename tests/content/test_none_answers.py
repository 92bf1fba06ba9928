"""A "none of these" answered the way founders say it, on every list that has one.

A Chinese founder answered the risk conversation's high-stakes question with 都没有 and the
bubble-sign question with 没有, and was told both were not among the options: the option
reads 都不涉及 / 都不像, which nobody types. A list whose "none" option stands alone takes
the plain no-words for it, in both languages.
"""

from __future__ import annotations

import pytest

from bot.engine import Catalog
from bot.engine.inputs import InvalidAnswer, parse_multi

# every multi step with a "none" option that must be picked on its own
LISTS = [("risk_legal", "decision_areas", "none_of_these"),
         ("risk_legal", "contracts", "none_yet"), ("business_model", "bubble_signs", "none"),
         ("business_model", "demand_evidence", "none"), ("product_tech", "moats", "nothing_yet"),
         ("funding", "milestones", "none_yet"), ("team", "incentives", "none_yet")]  # fmt: skip
SAID = ["没有", "都没有", "都不是", "无", "一个都没有", "none", "None of them", "nothing", "no"]


@pytest.mark.parametrize(("flow_id", "step_id", "none"), LISTS)
@pytest.mark.parametrize("said", SAID)
def test_a_no_picks_the_lists_none_option(
    real_catalog: Catalog, flow_id: str, step_id: str, none: str, said: str
) -> None:
    flow = real_catalog.flows[flow_id]
    step = flow.step(step_id)
    assert step.exclusive == (none,)
    assert parse_multi(said, step, flow.option_labels(step_id)) == [none]


def test_a_list_without_a_none_option_still_refuses_a_no(real_catalog: Catalog) -> None:
    flow = real_catalog.flows["risk_legal"]
    step = flow.step("markets")
    with pytest.raises(InvalidAnswer):
        parse_multi("没有", step, flow.option_labels("markets"))
