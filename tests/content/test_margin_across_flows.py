"""The same figures read the same in /business_model and /product_tech.

A founder who charges 2,000 and spends 600 serving each customer was told "Gross margin
5/5 ... room to grow" by the business-model conversation and, minutes later, with revenue
6,000 and compute 1,800 (the same 30%), "Compute against revenue 3/5: tight" and "Compute
takes a big bite of revenue ... investors expect a margin well above that" by the product
one. Both read what is left of revenue after the model bill; their bands must agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, assess, fired_rules
from tests.content.test_content_personas import _facts

PROFILE = {"name": "Sam", "startup": "ClauseLens", "stage": "mvp", "sector": "vertical_ai",
           "team_size": 2}  # fmt: skip


def _business_model(catalog: Catalog, price: int, serve: int) -> tuple[int, set[str]]:
    answers: dict[str, Any] = {
        "revenue_model": "subscription", "payer": "business", "price": price,
        "billing": "annual", "serve_cost": serve, "paying_customers": 3, "custom_share": 0,
        "demand_evidence": ["paid_pilots"], "lenses": ["demand", "capability"],
        "bubble_signs": ["none"],
    }  # fmt: skip
    facts = _facts(catalog, "business_model",
                   {"facts": {"onboarding": PROFILE, "business_model": answers}})  # fmt: skip
    flow = catalog.flows["business_model"]
    scores = {s.dimension: s.score for s in assess(flow, facts)}
    return scores["gross_margin"], {rule.id for rule in fired_rules(flow, facts)}


def _product_tech(catalog: Catalog, revenue: int, compute: int) -> tuple[int, set[str]]:
    answers: dict[str, Any] = {
        "approach": "api_prompting", "providers": "one_switchable",
        "data_assets": ["expert_labels"], "feedback_loop": "by_hand",
        "evaluation": "user_ratings", "moats": ["domain_expertise"],
        "copy_threat": "lose_some", "revenue": revenue, "compute_spend": compute,
    }  # fmt: skip
    facts = _facts(catalog, "product_tech",
                   {"facts": {"onboarding": PROFILE, "product_tech": answers}})  # fmt: skip
    flow = catalog.flows["product_tech"]
    scores = {s.dimension: s.score for s in assess(flow, facts)}
    return scores["compute_economics"], {rule.id for rule in fired_rules(flow, facts)}


# (price, serve cost) a customer a month; product_tech sees three customers' worth
CASES = [(2000, 600), (1000, 250), (1000, 350), (1000, 450), (1000, 500), (1000, 550),
         (3000, 800), (1500, 900), (1000, 990)]  # fmt: skip


@pytest.mark.parametrize(("price", "serve"), CASES)
def test_the_same_share_gets_the_same_score_in_both_conversations(
    real_catalog: Catalog, price: int, serve: int
) -> None:
    margin_score, _ = _business_model(real_catalog, price, serve)
    compute_score, _ = _product_tech(real_catalog, 3 * price, 3 * serve)
    assert compute_score == margin_score


@pytest.mark.parametrize(("price", "serve"), CASES)
def test_compute_is_called_a_big_bite_only_where_the_margin_is_called_thin(
    real_catalog: Catalog, price: int, serve: int
) -> None:
    _, margin_rules = _business_model(real_catalog, price, serve)
    _, compute_rules = _product_tech(real_catalog, 3 * price, 3 * serve)
    assert ("thin_gross_margin" in margin_rules) == ("compute_squeezes_margin" in compute_rules)
    assert ("healthy_gross_margin" in margin_rules) == ("compute_margin_healthy" in compute_rules)


def test_the_founder_who_met_it(real_catalog: Catalog) -> None:
    """2,000 a month, 600 to serve; 6,000 of revenue, 1,800 of compute: healthy in both."""
    assert _business_model(real_catalog, 2000, 600)[0] == 5
    score, rules = _product_tech(real_catalog, 6000, 1800)
    assert score == 5
    assert "compute_squeezes_margin" not in rules
