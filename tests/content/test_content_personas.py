"""Founder personas: which advice fires for whom, with the right numbers, in both languages.

Each ``tests/personas/<flow>.yaml`` lists founders with their facts, the rules of that
flow that must and must not fire, numbers the advice must show (``numbers``,
``numbers_zh``) and words it must or must not say (``says``, ``says_zh``, ``not_says``,
``not_says_zh``): the founder's own words quoted, the right advice for what they chose. The derived
facts a persona states (runway, shares of budget) are recomputed by the engine from the
raw answers, so a persona cannot assert a number the coach would not compute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.engine import Catalog, FlowState, RunStatus, assess, fired_rules, run_facts
from bot.rendering import Renderer, Target
from tests.conftest import REPO

PERSONAS = REPO / "tests" / "personas"


def _load() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(PERSONAS.glob("*.yaml")):
        for persona in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append((path.stem, persona))
    return cases


CASES = _load()


def _facts(catalog: Catalog, flow_id: str, persona: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The persona's facts with the flow's own facts recomputed from its raw answers.

    ``context`` is what the run was started about; ``last`` holds the founder's previous
    run of a flow (the stored facts of that flow, as the engine sees them).
    """
    flow = catalog.flows[flow_id]
    given = persona["facts"]
    steps = {step.id for step in flow.spec.steps if step.asks}
    answers = {name: value for name, value in given[flow_id].items() if name in steps}
    state = FlowState(
        flow_id=flow_id,
        answers=answers,
        status=RunStatus.COMPLETED,
        context=given.get("context", {}),
    )
    others = {k: v for k, v in given.items() if k not in (flow_id, "context", "last")}
    previous = given.get("last", {}).get(flow_id)
    if previous is not None:
        others[flow_id] = previous
    return run_facts(flow, state, others)


def test_there_are_enough_personas() -> None:
    """At least six personas in all, and every coaching flow has some."""
    assert len(CASES) >= 6
    assert {flow for flow, _ in CASES} >= {"team", "funding", "marketing"}


@pytest.mark.parametrize(("flow_id", "persona"), CASES, ids=[f"{f}-{p['id']}" for f, p in CASES])
def test_derived_facts_match_what_the_engine_computes(
    real_catalog: Catalog, flow_id: str, persona: dict[str, Any]
) -> None:
    facts = _facts(real_catalog, flow_id, persona)
    derived = set(real_catalog.flows[flow_id].spec.derived)
    stated = {k: v for k, v in persona["facts"][flow_id].items() if k in derived}
    computed = {k: v for k, v in facts[flow_id].items() if k in stated}
    assert computed == pytest.approx(stated)


@pytest.mark.parametrize(("flow_id", "persona"), CASES, ids=[f"{f}-{p['id']}" for f, p in CASES])
def test_expected_rules_fire(real_catalog: Catalog, flow_id: str, persona: dict[str, Any]) -> None:
    flow = real_catalog.flows[flow_id]
    known = {rule.id for rule in flow.spec.rules}
    assert set(persona["fires"]) | set(persona.get("not_fires", [])) <= known
    fired = {rule.id for rule in fired_rules(flow, _facts(real_catalog, flow_id, persona))}
    assert set(persona["fires"]) <= fired
    assert not (set(persona.get("not_fires", [])) & fired)


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize(("flow_id", "persona"), CASES, ids=[f"{f}-{p['id']}" for f, p in CASES])
def test_advice_renders_with_the_right_numbers(
    real_catalog: Catalog, flow_id: str, persona: dict[str, Any], locale: str
) -> None:
    """Every fired rule and every score renders; the stated numbers appear in the advice."""
    flow = real_catalog.flows[flow_id]
    facts = _facts(real_catalog, flow_id, persona)
    renderer = Renderer(real_catalog)
    texts = flow.texts[locale]
    rendered = []
    for rule in fired_rules(flow, facts):
        words = texts.rules[rule.id]
        for source in (words.title, words.text, words.why, *words.commitments.values()):
            rendered.append(renderer.render(source, facts, locale=locale, target=Target.PLAIN))
            html = renderer.render(source, facts, locale=locale, target=Target.HTML)
            assert "&lt;" not in html or "<" in str(facts)
    for score in assess(flow, facts):
        reason = texts.assessment[score.dimension].reason
        rendered.append(
            renderer.render(
                reason, {**facts, "score": score.score}, locale=locale, target=Target.PLAIN
            )
        )
    text = "\n".join(rendered)
    for number in persona.get("numbers" if locale == "en" else "numbers_zh", []):
        assert number in text, f"{number!r} missing from the {locale} advice"
    suffix = "" if locale == "en" else "_zh"
    for words in persona.get(f"says{suffix}", []):
        assert words in text, f"{words!r} missing from the {locale} advice"
    for words in persona.get(f"not_says{suffix}", []):
        assert words not in text, f"{words!r} should not be in the {locale} advice"


def test_persona_files_are_valid_yaml_lists() -> None:
    for path in PERSONAS.glob("*.yaml"):
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        assert isinstance(data, list)
        for persona in data:
            assert {"id", "facts", "fires"} <= set(persona)
