"""flows check: free text is quoted, never matched against keywords (issue #13)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.engine import load_catalog
from bot.rendering.listening import free_text_matching_problems
from tests.conftest import CONTENT, FLOWS
from tests.engine.flowkit import PROBE, texts_for, write_catalog


def problems(root: Path, *, rule_when: str | None = None, text: str | None = None) -> list:
    """(file name, where) of every keyword match, after changing PROBE's rule or words."""
    spec = copy.deepcopy(PROBE)
    if rule_when is not None:
        spec["rules"][0]["when"] = rule_when
    words: dict[str, Any] = texts_for(spec, "en")
    if text is not None:
        words["rules"]["grants_only"]["text"] = text
    flows_dir, content_dir = write_catalog(
        root, specs=[spec], texts={"en/probe": words, "zh/probe": texts_for(spec, "zh")}
    )
    catalog = load_catalog(flows_dir, content_dir, strict=False)
    return [
        (Path(p.file).name, p.where, "probe.nickname against fixed words" in p.what)
        for p in free_text_matching_problems(catalog, content_dir)
    ]


def test_the_real_flows_never_match_free_text() -> None:
    catalog = load_catalog(FLOWS, CONTENT, strict=True)
    assert free_text_matching_problems(catalog, CONTENT) == []


def test_quoting_presence_and_length_are_fine(tmp_path: Path) -> None:
    text = (
        "{% if probe.nickname is defined and probe.nickname | length > 3 %}"
        "You wrote “{{ probe.nickname }}”.{% endif %}"
    )
    assert problems(tmp_path, rule_when="probe.nickname | length >= 3", text=text) == []


def test_two_free_texts_may_be_compared(tmp_path: Path) -> None:
    """Last week's metric name against this week's: the words are not matched to keywords."""
    when = "(last.probe.nickname | lower | trim) == (probe.nickname | lower | trim)"
    assert problems(tmp_path, rule_when=when) == []


@pytest.mark.parametrize(
    "when",
    [
        "'cofounder' in probe.nickname",
        "'cofounder' in (probe.nickname | lower)",
        "probe.nickname == 'help'",
        "probe.nickname in ['help', 'hi']",
        "probe.nickname.startswith('co')",
        "'quit' in last.probe.nickname",
    ],
)
def test_a_rule_condition_matching_keywords_is_reported(tmp_path: Path, when: str) -> None:
    found = problems(tmp_path, rule_when=when)
    assert [(where, named) for _, where, named in found] == [("rule 'grants_only': when", True)]


def test_a_template_matching_keywords_through_a_set_is_reported(tmp_path: Path) -> None:
    """The shape the team advice had: a lowered copy searched for keywords."""
    text = (
        "{% set p = probe.nickname | lower %}\n"
        "{% if 'cofounder' in p or '合伙' in p %}\nTalk to your cofounder.\n"
        "{% elif 'hire' in p %}\nHire.\n{% else %}\nOther.\n{% endif %}"
    )
    found = problems(tmp_path, text=text)
    assert found == [("probe.yaml", "rule 'grants_only': text", True)]
