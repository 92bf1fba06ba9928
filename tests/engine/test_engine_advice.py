"""Advice rules and the assessment over the PROBE flow of ``flowkit``.

Rules: runway_short (90, runway_months < 6), low_confidence (70, confidence <= 2),
grants_only (40, 'grants' in channels), no_pipeline (40, pipeline == false), listed in
the file as grants_only, runway_short, no_pipeline, low_confidence; top_advice is 2.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import Flow, Score, assess, fired_rules, top_advice
from tests.engine.flowkit import load

EVERYTHING: dict[str, dict[str, Any]] = {
    "probe": {
        "runway_months": 2.0,
        "confidence": 1,
        "channels": ["grants"],
        "pipeline": False,
    }
}


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return load(tmp_path_factory.mktemp("advice")).flows["probe"]


def ids(rules: list[Any]) -> list[str]:
    return [rule.id for rule in rules]


def test_fired_rules_by_priority_then_file_order(flow: Flow) -> None:
    """Rules fire highest priority first; equal priorities keep their file order."""
    assert ids(fired_rules(flow, EVERYTHING)) == [
        "runway_short",
        "low_confidence",
        "grants_only",
        "no_pipeline",
    ]


def test_top_advice_is_limited(flow: Flow) -> None:
    """top_advice keeps only the flow's top_advice (2) highest rules."""
    assert ids(top_advice(flow, EVERYTHING)) == ["runway_short", "low_confidence"]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"probe": {"runway_months": 12, "confidence": 4, "channels": ["vc"],
                    "pipeline": True}}, []),
        ({"probe": {"confidence": 2}}, ["low_confidence"]),
        ({"probe": {"channels": ["vc", "grants"], "pipeline": True}}, ["grants_only"]),
    ],
)  # fmt: skip
def test_only_true_rules_fire(flow: Flow, facts: dict, expected: list[str]) -> None:
    """A rule fires only when its condition holds for the facts."""
    assert ids(fired_rules(flow, facts)) == expected


@pytest.mark.parametrize(
    "facts",
    [
        {},
        {"probe": {}},
        {"probe": {"confidence": 4, "pipeline": True, "channels": ["vc"]}},
    ],
)
def test_rule_on_undefined_fact_does_not_fire(flow: Flow, facts: dict) -> None:
    """runway_short reads runway_months; without it (burn skipped) it does not fire."""
    assert "runway_short" not in ids(fired_rules(flow, facts))


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"probe": {"runway_months": 9, "confidence": 3}},
         [Score("runway", 3), Score("confidence", 2)]),
        ({"probe": {"runway_months": 60, "confidence": 5}},
         [Score("runway", 5), Score("confidence", 5)]),
        ({"probe": {"runway_months": 0.5, "confidence": 1}},
         [Score("runway", 1), Score("confidence", 1)]),
        ({"probe": {"runway_months": 13.4, "confidence": 4}},
         [Score("runway", 4), Score("confidence", 4)]),
    ],
)  # fmt: skip
def test_assess_scores_and_clamps(flow: Flow, facts: dict, expected: list[Score]) -> None:
    """Each dimension is rounded and clamped into 1..5."""
    assert assess(flow, facts) == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"probe": {"confidence": 3}}, [Score("confidence", 2)]),
        ({"probe": {"runway_months": 9, "confidence": "high"}}, [Score("runway", 3)]),
        ({}, []),
    ],
)
def test_assess_leaves_out_failing_dimension(flow: Flow, facts: dict, expected: list) -> None:
    """A dimension whose expression fails (undefined fact, wrong type) is left out."""
    assert assess(flow, facts) == expected
