"""A commitment is checked when its own words say it is due.

"Within a month" checked after seven days asks a founder about work they were told they had
four weeks for; "within two weeks" checked after one week does the same. The flow's
``horizons:`` map sets the check-in; this test reads the English words of every suggested
commitment and fails when they name a different span.
"""

from __future__ import annotations

import re

import pytest

from bot.engine import Catalog
from bot.engine.spec import Horizon

# The span the words name, tried in this order (the longer span first: "two weeks" also
# contains "week"). Words that say when to start ("starting next week"), how long an
# activity runs ("for a week") or which month is meant ("next month's spend") say nothing
# about when it is due, and are not listed; nor is "today" ("where it stands today").
_NAMED: tuple[tuple[re.Pattern[str], Horizon], ...] = (
    (re.compile(r"\b(?:within|over the next|in) two weeks\b|\bby the end of next week\b", re.I),
     Horizon.TWO_WEEKS),
    (re.compile(r"\bwithin (?:a|one|three weeks|a month)\b.*month|\bwithin (?:a )?month\b"
                r"|\bwithin three weeks\b|\bthis month\b(?!'s)|\bby (?:the )?(?:end of the )?month"
                r"(?: end)?\b|\bby month end\b"
                r"|\bthis quarter\b", re.I),  # a quarter's work is checked when under way
     Horizon.MONTH),
    (re.compile(r"\bthis week\b|\bwithin a week\b|\bby (?:friday|monday)\b", re.I),
     Horizon.WEEK),
)  # fmt: skip


def _named(words: str) -> Horizon | None:
    for pattern, horizon in _NAMED:
        if pattern.search(words):
            return horizon
    return None


def _commitments(catalog: Catalog) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for flow_id, flow in catalog.flows.items():
        texts = flow.texts["en"]
        for rule in flow.spec.rules:
            for cid in rule.commitments:
                if "{%" in texts.rules[rule.id].commitments[cid]:
                    continue  # words that change with the check-in's topic
                found.append((flow_id, cid, texts.rules[rule.id].commitments[cid]))
    return found


def test_the_reader_knows_the_spans_founders_are_given() -> None:
    assert _named("Ship one thing competitors cannot copy this quarter") is Horizon.MONTH
    assert _named("Ask two of those people to pay for a small pilot, within a month") is (
        Horizon.MONTH
    )
    assert _named("Within two weeks, turn on access logging") is Horizon.TWO_WEEKS
    assert _named("Measure the compute cost of one typical customer task this week") is (
        Horizon.WEEK
    )
    assert _named("Block one day a week for customer calls, starting next week") is None


def test_every_commitment_is_checked_when_its_words_say_it_is_due(real_catalog: Catalog) -> None:
    wrong = []
    for flow_id, cid, words in _commitments(real_catalog):
        named = _named(words)
        actual = real_catalog.flows[flow_id].spec.horizon(cid)
        if named is not None and named is not actual:
            wrong.append(f"{flow_id}.{cid}: says {named.value}, checked after {actual.value}")
    assert wrong == []


@pytest.mark.parametrize("flow_id", ["business_model", "product_tech", "risk_legal"])
def test_the_newest_conversations_give_their_month_long_work_a_month(
    real_catalog: Catalog, flow_id: str
) -> None:
    spec = real_catalog.flows[flow_id].spec
    months = [cid for _, cid, words in _commitments(real_catalog)
              if _ == flow_id and _named(words) is Horizon.MONTH]  # fmt: skip
    assert months, f"{flow_id} suggests nothing that takes a month"
    assert {spec.horizon(cid) for cid in months} == {Horizon.MONTH}
