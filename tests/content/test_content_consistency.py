"""Scores and advice agree with each other, in every persona and both languages.

Each advice rule and each score band declares what it claims (``+pitch_ready``,
``-raise_size``) in its flow file; :func:`bot.engine.contradictions` finds a screen where
one says good and another says bad about the same thing, and :func:`chosen_offers` an
alternative that is the founder's own answer. ``flows check`` runs the same check over
the states it walks; these tests run it over every persona, and then read the rendered
words for the cases the founder trial met (findings §3 and B12).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, assess, chosen_offers, contradictions, fired_rules
from bot.rendering import Renderer, Target
from tests.content.test_content_personas import CASES, _facts

IDS = [f"{f}-{p['id']}" for f, p in CASES]
PERSONAS = {(flow, persona["id"]): persona for flow, persona in CASES}


@pytest.mark.parametrize(("flow_id", "persona"), CASES, ids=IDS)
def test_scores_and_advice_never_contradict(
    real_catalog: Catalog, flow_id: str, persona: dict[str, Any]
) -> None:
    flow = real_catalog.flows[flow_id]
    facts = _facts(real_catalog, flow_id, persona)
    assert [str(c) for c in contradictions(flow, facts)] == []


@pytest.mark.parametrize(("flow_id", "persona"), CASES, ids=IDS)
def test_no_alternative_is_the_founders_own_answer(
    real_catalog: Catalog, flow_id: str, persona: dict[str, Any]
) -> None:
    flow = real_catalog.flows[flow_id]
    facts = _facts(real_catalog, flow_id, persona)
    assert [str(c) for c in chosen_offers(flow, facts)] == []


@pytest.mark.parametrize("flow_id", ["team", "funding", "marketing", "product_tech"])
def test_every_claimed_topic_can_be_contradicted(real_catalog: Catalog, flow_id: str) -> None:
    """A topic only ever called good (or only bad) would make the check say nothing."""
    spec = real_catalog.flows[flow_id].spec
    signs: dict[str, set[str]] = {}
    claims = [c for rule in spec.rules for c in rule.claims]
    claims += [c for dim in spec.assessment for band in dim.claims.values() for c in band]
    for claim in claims:
        signs.setdefault(claim[1:], set()).add(claim[0])
    assert signs, f"{flow_id} declares no claims"
    assert {topic for topic, found in signs.items() if found != {"+", "-"}} == set()


def _screen(catalog: Catalog, flow_id: str, persona_id: str, locale: str) -> str:
    """What the founder reads after the review: every score line and every advice item."""
    flow = catalog.flows[flow_id]
    facts = _facts(catalog, flow_id, PERSONAS[flow_id, persona_id])
    renderer = Renderer(catalog)
    texts = flow.texts[locale]
    parts = []
    for score in assess(flow, facts):
        dim = texts.assessment[score.dimension]
        reason = renderer.render(
            dim.reason, {**facts, "score": score.score}, locale=locale, target=Target.PLAIN
        )
        parts.append(f"{dim.name}: {score.score}/5. {reason}")
    for rule in fired_rules(flow, facts):
        words = texts.rules[rule.id]
        for source in (words.title, words.text, words.why):
            parts.append(renderer.render(source, facts, locale=locale, target=Target.PLAIN))
    return "\n".join(parts)


TWO_MONTHS = "trial_two_months_left_ready_on_paper"
DEMO_80 = "trial_shenyan_demo_raising_80_months"
# (flow, persona, locale, what the score said, what the advice beside it said)
TRIAL_PAIRS = [
    ("funding", TWO_MONTHS, "en", "Ready to pitch", "Emergency"),
    ("funding", TWO_MONTHS, "zh", "可以开始路演", "紧急"),
    ("funding", DEMO_80, "zh", "可以开始路演", "早了一步"),
    ("funding", DEMO_80, "en", "Ready to pitch", "one step too early"),
    ("funding", DEMO_80, "zh", "比较宽裕", "分阶段"),
    ("funding", DEMO_80, "en", "generous", "Stage the money"),
    ("marketing", "trial_law_firms_spend_without_attribution", "zh", "看得到回报", "哪个渠道"),
    ("marketing", "trial_law_firms_spend_without_attribution", "en", "see what it returns",
     "which channel"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("flow_id", "persona_id", "locale", "score_says", "advice_says"), TRIAL_PAIRS
)
def test_trial_contradictions_are_gone(
    real_catalog: Catalog,
    flow_id: str,
    persona_id: str,
    locale: str,
    score_says: str,
    advice_says: str,
) -> None:
    screen = _screen(real_catalog, flow_id, persona_id, locale)
    assert advice_says in screen  # the advice is still given...
    assert score_says not in screen  # ...and no score beside it says the opposite


def _rule_text(catalog: Catalog, flow_id: str, persona_id: str, rule_id: str, locale: str) -> str:
    flow = catalog.flows[flow_id]
    facts = _facts(catalog, flow_id, PERSONAS[flow_id, persona_id])
    assert rule_id in {rule.id for rule in fired_rules(flow, facts)}
    words = flow.texts[locale].rules[rule_id]
    renderer = Renderer(catalog)
    return "\n".join(
        renderer.render(source, facts, locale=locale, target=Target.PLAIN)
        for source in (words.text, words.why)
    )


# (persona, rule, locale, what must not be offered, what is said instead)
ALTERNATIVES = [
    # chose "Equity (shares, SAFE or convertible)": a SAFE is not offered as the way out
    ("trial_ledgerly_equity_raise_with_hires", "priced_round_no_paying_users", "en",
     "SAFE or convertible", "the angels already on your list"),
    ("trial_ledgerly_equity_raise_with_hires", "priced_round_no_paying_users", "zh",
     "SAFE 或可转债", "从你名单上的天使投资人开始"),
    # already talking to angels: they are not suggested as news
    ("trial_shenyan_demo_raising_80_months", "vc_too_early", "en",
     "comes from angels (", "the angels you're already talking to"),
    ("trial_shenyan_demo_raising_80_months", "vc_too_early", "zh",
     "更合适的钱来自天使投资人", "你已经在接触的天使投资人"),
]  # fmt: skip


@pytest.mark.parametrize(("persona_id", "rule_id", "locale", "not_offered", "said"), ALTERNATIVES)
def test_an_alternative_is_not_the_founders_own_choice(
    real_catalog: Catalog, persona_id: str, rule_id: str, locale: str, not_offered: str, said: str
) -> None:
    text = _rule_text(real_catalog, "funding", persona_id, rule_id, locale)
    assert not_offered not in text
    assert said in text


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_why_lines_read_as_sentences_not_option_labels(real_catalog: Catalog, locale: str) -> None:
    """The trial's example: "raising 2.5M as Equity (shares, SAFE or convertible) from Angel
    investors, Venture capital (VC), Grants and …" is said as a coach says it."""
    text = _rule_text(
        real_catalog, "funding", "trial_ledgerly_equity_raise_with_hires",
        "priced_round_no_paying_users", locale,
    )  # fmt: skip
    labels = {
        "en": ["Equity (shares", "Angel investors", "Venture capital (VC)"],
        "zh": ["股权（股份", "风险投资（VC）", "政府补贴与科技项目资金"],
    }[locale]
    assert [label for label in labels if label in text] == []
    assert {"en": "angels, VCs and grants", "zh": "天使投资人、VC 和政府补贴"}[locale] in text
