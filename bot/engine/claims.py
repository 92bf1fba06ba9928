"""What a screen of scores and advice asserts, and where it disagrees with itself.

Each advice rule and each score band declares its claims (``+pitch_ready``,
``-raise_size``) in the flow file. A founder must never read a score saying one thing and
an advice item saying the opposite, nor be offered as an alternative the very answer they
gave. Pure functions over facts: the persona tests and ``flows check`` call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.engine.advice import Score, assess, fired_rules
from bot.engine.expressions import Facts
from bot.engine.flow import Flow
from bot.engine.spec import RuleSpec


@dataclass(frozen=True)
class Claim:
    """One assertion on the screen: ``topic`` is good (``positive``) or bad, and who says so."""

    topic: str
    positive: bool
    source: str


@dataclass(frozen=True)
class Contradiction:
    """Two things on one screen asserting opposite things about one topic."""

    topic: str
    good: str  # who says it is fine
    bad: str  # who says it is not

    def __str__(self) -> str:
        return f"{self.good} says +{self.topic}, {self.bad} says -{self.topic}"


@dataclass(frozen=True)
class ChosenOffer:
    """An alternative a rule offers that the founder has already chosen."""

    rule: str
    fact: str
    option: str

    def __str__(self) -> str:
        return f"rule {self.rule!r} offers {self.fact} = {self.option!r}, the founder's own answer"


def _parse(claim: str, source: str) -> Claim:
    return Claim(topic=claim[1:], positive=claim.startswith("+"), source=source)


def screen_claims(
    flow: Flow,
    facts: Facts,
    rules: Sequence[RuleSpec] | None = None,
    scores: Sequence[Score] | None = None,
) -> list[Claim]:
    """The claims of the scores and of the advice shown (every fired rule by default).

    ``rules`` and ``scores``: already worked out for these facts (saves evaluating again).
    """
    shown = fired_rules(flow, facts) if rules is None else rules
    claims: list[Claim] = []
    dimensions = {dim.id: dim for dim in flow.spec.assessment}
    for score in assess(flow, facts) if scores is None else scores:
        source = f"score {score.dimension!r} {score.score}/5"
        listed = dimensions[score.dimension].claims.get(score.score, ())
        claims += [_parse(claim, source) for claim in listed]
    for rule in shown:
        claims += [_parse(claim, f"rule {rule.id!r}") for claim in rule.claims]
    return claims


def contradictions(
    flow: Flow,
    facts: Facts,
    rules: Sequence[RuleSpec] | None = None,
    scores: Sequence[Score] | None = None,
) -> list[Contradiction]:
    """Each topic that one thing on the screen calls good and another calls bad."""
    claims = screen_claims(flow, facts, rules, scores)
    found: list[Contradiction] = []
    for good in claims:
        if not good.positive:
            continue
        found += [
            Contradiction(good.topic, good.source, bad.source)
            for bad in claims
            if not bad.positive and bad.topic == good.topic
        ]
    return found


def chosen_offers(
    flow: Flow, facts: Facts, rules: Sequence[RuleSpec] | None = None
) -> list[ChosenOffer]:
    """Each alternative a shown rule offers that is already the founder's answer."""
    shown = fired_rules(flow, facts) if rules is None else rules
    found: list[ChosenOffer] = []
    for rule in shown:
        for fact, options in rule.offers.items():
            flow_id, step_id = fact.split(".", 1)
            answer: Any = facts.get(flow_id, {}).get(step_id)
            picked = set(answer) if isinstance(answer, list | tuple) else {answer}
            found += [ChosenOffer(rule.id, fact, option) for option in options if option in picked]
    return found
