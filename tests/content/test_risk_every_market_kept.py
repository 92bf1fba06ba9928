"""Every market a founder sells in keeps its advice in /risk_legal.

Only the top advice items are kept (shown, behind /more, and exported). A founder selling
in China, the EU and the US who handles users' personal data had five kept, and none was
about the US: US privacy law fired and was dropped, although the conversation promises
"the legal map for the markets you named". Each named market keeps at least its first
piece of advice.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Catalog, fired_rules, top_advice
from bot.rendering import Renderer, Target
from tests.content.test_content_personas import _facts

PROFILE = {"name": "Lin", "startup": "深言智能", "stage": "mvp", "sector": "vertical_ai",
           "team_size": 3}  # fmt: skip
# which rules speak for which market
MARKET_RULES = {"cn": "cn_", "eu": "eu_", "us": "us_", "uk": "uk_", "ca": "ca_",
                "other": "other_markets"}  # fmt: skip
MARKETS = [["eu", "us"], ["cn", "eu", "us"], ["cn", "us", "uk"], ["eu", "us", "uk", "ca"],
           ["cn", "eu", "us", "uk", "ca", "other"]]  # fmt: skip


def _facts_for(catalog: Catalog, markets: list[str], **answers: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "markets": markets, "personal_data": "end_users", "generates": "public",
        "decision_areas": ["none_of_these"], "model_source": "api", "licences_checked": "some",
        "ip_assigned": "yes_all", "contracts": ["liability_cap", "output_limits"],
        "lawyer": "never", "open_question": "Can we keep contracts on a US model API?",
    }  # fmt: skip
    persona = {"facts": {"onboarding": PROFILE, "risk_legal": {**given, **answers}}}
    return _facts(catalog, "risk_legal", persona)


@pytest.mark.parametrize("markets", MARKETS, ids=["-".join(m) for m in MARKETS])
def test_each_named_market_keeps_its_advice(real_catalog: Catalog, markets: list[str]) -> None:
    flow = real_catalog.flows["risk_legal"]
    facts = _facts_for(real_catalog, markets)
    fired = [rule.id for rule in fired_rules(flow, facts)]
    kept = [rule.id for rule in top_advice(flow, facts)]
    for market in markets:
        prefix = MARKET_RULES[market]
        if any(rule.startswith(prefix) for rule in fired):
            assert any(rule.startswith(prefix) for rule in kept), f"{market}: {fired} -> {kept}"


@pytest.mark.parametrize("markets", MARKETS, ids=["-".join(m) for m in MARKETS])
def test_the_founders_own_question_is_kept(real_catalog: Catalog, markets: list[str]) -> None:
    flow = real_catalog.flows["risk_legal"]
    kept = {rule.id for rule in top_advice(flow, _facts_for(real_catalog, markets))}
    assert kept & {"founder_question", "lawyer_now"}


def test_chinese_why_says_generate_once(real_catalog: Catalog) -> None:
    """The why said 生成 twice: "产品会生成面向公众的生成内容"."""
    flow = real_catalog.flows["risk_legal"]
    facts = _facts_for(real_catalog, ["cn", "eu"])
    renderer = Renderer(real_catalog)
    texts = flow.texts["zh"]
    whys = [
        renderer.render(texts.rules[rule.id].why, facts, locale="zh", target=Target.PLAIN)
        for rule in fired_rules(flow, facts)
    ]
    assert "你在中国大陆销售，产品会生成面向公众的内容。" in whys
    assert not [why for why in whys if "生成面向公众的生成" in why]
