"""What the business-model screen says reads right for the odd answers founders give.

Found by trying the conversation as founders: a price of 1 against a serving cost of 1,500
read "-149,900% of each 1 left after serving costs of 1,500"; "Paid pilots is the strongest
proof"; "For evidence of demand you have no evidence yet"; "You picked 0 of the four
feasibility lenses".
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, assess, fired_rules
from bot.rendering import Renderer, Target
from tests.content.test_content_personas import _facts

PROFILE = {"name": "Dee", "startup": "ClauseLens", "stage": "mvp", "sector": "vertical_ai",
           "team_size": 2}  # fmt: skip
BASE: dict[str, Any] = {
    "revenue_model": "subscription", "payer": "business", "price": 2000, "billing": "annual",
    "serve_cost": 600, "acquisition_cost": 8000, "paying_customers": 3, "custom_share": 0,
    "demand_evidence": ["paid_pilots"], "lenses": ["demand", "capability"],
    "bubble_signs": ["none"],
}  # fmt: skip


def _screen(catalog: Catalog, locale: str, **answers: Any) -> str:
    flow = catalog.flows["business_model"]
    persona = {"facts": {"onboarding": PROFILE, "business_model": {**BASE, **answers}}}
    facts = _facts(catalog, "business_model", persona)
    renderer = Renderer(catalog)
    texts = flow.texts[locale]
    parts = []
    for score in assess(flow, facts):
        dim = texts.assessment[score.dimension]
        context = {**facts, "score": score.score}
        parts.append(renderer.render(dim.reason, context, locale=locale, target=Target.PLAIN))
    for rule in fired_rules(flow, facts):
        words = texts.rules[rule.id]
        for source in (words.title, words.text, words.why):
            parts.append(renderer.render(source, facts, locale=locale, target=Target.PLAIN))
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("locale", "says"),
    [("en", "Serving a customer costs 1,500 a month, more than the 1 they pay"),
     ("zh", "服务一个客户每月要花 1500，比客户付的 1 还多")],
)  # fmt: skip
def test_a_loss_on_each_customer_is_said_in_money_not_a_huge_percentage(
    real_catalog: Catalog, locale: str, says: str
) -> None:
    screen = _screen(real_catalog, locale, price=1, serve_cost=1500)
    assert says in screen
    assert "149,900%" not in screen
    assert "149900%" not in screen


def test_paid_pilots_are_the_strongest_proof(real_catalog: Catalog) -> None:
    screen = _screen(real_catalog, "en", demand_evidence=["paid_pilots"])
    assert "Paid pilots are the strongest proof" in screen
    usage = _screen(real_catalog, "en", demand_evidence=["usage_data"])
    assert "Usage data is the strongest proof" in usage


@pytest.mark.parametrize(
    ("locale", "evidence", "says"),
    [("en", ["none"], "You told me you have no evidence of demand yet."),
     ("en", ["reports_only"], "Your only evidence of demand is market reports."),
     ("zh", ["none"], "你说目前还没有任何需求证据。"),
     ("zh", ["reports_only"], "你手里的需求证据只有行业报告。")],
)  # fmt: skip
def test_no_evidence_is_said_plainly(
    real_catalog: Catalog, locale: str, evidence: list[str], says: str
) -> None:
    screen = _screen(real_catalog, locale, demand_evidence=evidence)
    assert says in screen
    assert "you have no evidence yet" not in screen


@pytest.mark.parametrize(
    ("locale", "says", "not_says"),
    [("en", "You couldn't back any of the four feasibility lenses", " 0 of 4"),
     ("zh", "你目前一个都拿不出证据", "有 0 个")],
)  # fmt: skip
def test_no_lens_is_not_counted_as_zero(
    real_catalog: Catalog, locale: str, says: str, not_says: str
) -> None:
    screen = _screen(real_catalog, locale, lenses=[])
    assert says in screen
    assert not_says not in screen
