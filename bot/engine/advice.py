"""Advice rules and the assessment: which rules fire and what each dimension scores.

Pure functions over facts; the Coach renders the words and stores what was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.expressions import FAILED, Facts, condition, evaluate
from bot.engine.flow import Flow
from bot.engine.spec import RuleSpec


@dataclass(frozen=True)
class Score:
    """One dimension's score, 1..5."""

    dimension: str
    score: int


def fired_rules(flow: Flow, facts: Facts) -> list[RuleSpec]:
    """Every rule whose condition holds, highest priority first (file order breaks ties)."""
    fired = [rule for rule in flow.spec.rules if condition(rule.when, facts)]
    return sorted(fired, key=lambda rule: -rule.priority)


def top_advice(flow: Flow, facts: Facts) -> list[RuleSpec]:
    """The rules shown at the end of a flow: the ``top_advice`` highest."""
    return fired_rules(flow, facts)[: flow.spec.top_advice]


def assess(flow: Flow, facts: Facts) -> list[Score]:
    """Score each dimension; a dimension whose expression cannot be evaluated is left out."""
    scores: list[Score] = []
    for dimension in flow.spec.assessment:
        value = evaluate(dimension.score, facts)
        if value is FAILED or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        scores.append(Score(dimension.id, max(1, min(5, round(value)))))
    return scores
