"""The claims checker: a score and an advice rule that disagree are found, and so is an
alternative that is already the founder's answer. On a small flow built for the test."""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import chosen_offers, contradictions
from bot.engine.flow import Flow
from bot.engine.spec import FlowSpec, RuleSpec

SPEC: dict[str, Any] = {
    "id": "money",
    "steps": [
        {"id": "months", "kind": "number", "unit": "months", "min": 0, "max": 100},
        {"id": "source", "kind": "choice", "options": ["angel", "vc", "grant"]},
    ],
    "rules": [
        {"id": "short", "when": "money.months < 6", "priority": 90, "claims": ["-runway"]},
        {
            "id": "try_angels",
            "when": "money.source == 'vc' or money.source == 'angel'",
            "priority": 50,
            "offers": {"money.source": ["angel"]},
        },
    ],
    "assessment": [
        # wrong on purpose: 4 months still scores 4 ("healthy")
        {"id": "runway", "score": "4 if money.months >= 3 else 1",
         "claims": {4: ["+runway"], 1: ["-runway"]}},
    ],
}  # fmt: skip


def _flow() -> Flow:
    return Flow(spec=FlowSpec.model_validate(SPEC), texts={}, source="money.yaml")


def test_a_score_and_a_rule_saying_opposite_things_are_found() -> None:
    found = contradictions(_flow(), {"money": {"months": 4, "source": "grant"}})
    assert [str(c) for c in found] == [
        "score 'runway' 4/5 says +runway, rule 'short' says -runway"
    ]


def test_agreeing_scores_and_rules_are_not_reported() -> None:
    assert contradictions(_flow(), {"money": {"months": 2, "source": "grant"}}) == []
    assert contradictions(_flow(), {"money": {"months": 12, "source": "grant"}}) == []


def test_an_alternative_the_founder_chose_is_found() -> None:
    assert chosen_offers(_flow(), {"money": {"months": 12, "source": "vc"}}) == []
    found = chosen_offers(_flow(), {"money": {"months": 12, "source": "angel"}})
    assert [str(c) for c in found] == [
        "rule 'try_angels' offers money.source = 'angel', the founder's own answer"
    ]


@pytest.mark.parametrize("claim", ["runway", "+Runway", "+-x", "+"])
def test_a_claim_must_be_a_sign_and_a_topic(claim: str) -> None:
    with pytest.raises(ValueError, match="claim"):
        RuleSpec(id="r", when="true", priority=1, claims=(claim,))
