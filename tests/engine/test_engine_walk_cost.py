"""What walking a run costs: derived values are worked out where they are read, not after
every answer (issue #14: a late funding step re-evaluated 15 derived values 14 times)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.engine import Catalog, FlowState, machine
from bot.engine.spec import StepKind, StepSpec


def _answer(step: StepSpec) -> Any:
    match step.kind:
        case StepKind.CHOICE if step.options:
            return step.options[0]
        case StepKind.MULTI if step.options:
            return [step.options[0]]
        case StepKind.YESNO:
            return True
        case StepKind.SCALE:
            return 3
        case StepKind.NUMBER:
            return 12
    return "Acme"


def test_derived_values_are_worked_out_only_where_read(
    real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluated: list[str] = []
    evaluate = machine.evaluate

    def counted(source: str, facts: Any, **extra: Any) -> Any:
        evaluated.append(source)
        return evaluate(source, facts, **extra)

    monkeypatch.setattr(machine, "evaluate", counted)
    checked = 0
    for flow in real_catalog.flows.values():
        derived = flow.spec.derived
        if not derived:
            continue
        answers = {step.id: _answer(step) for step in flow.spec.steps if step.asks}
        state = FlowState(flow_id=flow.id, answers=answers)
        evaluated.clear()
        machine.run_facts(flow, state, {})
        readers = sum(1 for step in flow.spec.steps if step.when is not None)
        assert len(evaluated) <= len(derived) * (readers + 1), flow.id
        checked += 1
    assert checked >= 3


def _counting_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    walked: list[str] = []
    fresh = machine._walk_fresh

    def counted(flow: Any, state: Any, facts: Any) -> Any:
        walked.append(flow.id)
        return fresh(flow, state, facts)

    monkeypatch.setattr(machine, "_walk_fresh", counted)
    machine._MEMO.clear()
    return walked


def test_a_turn_walks_the_run_once_for_its_transition_prompt_and_question(
    real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the Coach does on a tap: advance, then the prompt and the facts to render it."""
    walked = _counting_walks(monkeypatch)
    flow = real_catalog.flows["funding"]
    facts: dict[str, dict[str, Any]] = {"onboarding": {"stage": "prototype"}}
    state = machine.start(flow, facts).state
    step = flow.step(state.step_id or "")
    walked.clear()
    transition = machine.advance(flow, state, machine.TextAnswer(str(_answer(step))), facts)
    machine.current_prompt(flow, transition.state, facts)
    machine.run_facts(flow, transition.state, facts)
    machine.run_facts(flow, transition.state, facts)
    # the run before the answer was walked when it was started: only the one after it
    assert len(walked) == 1


def test_the_next_turn_reads_the_run_back_without_walking_it_again(
    real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gives the next turn new objects with the same content."""
    walked = _counting_walks(monkeypatch)
    flow = real_catalog.flows["funding"]
    facts: dict[str, dict[str, Any]] = {"onboarding": {"stage": "prototype"}}
    state = machine.start(flow, facts).state
    assert len(walked) == 1
    again = FlowState.from_json(state.to_json())
    facts_again = json.loads(json.dumps(facts))
    assert machine.current_prompt(flow, again, facts_again) == machine.current_prompt(
        flow, state, facts
    )
    assert len(walked) == 1
    facts_again["onboarding"]["stage"] = "idea"  # other facts: walked again
    machine.run_facts(flow, again, facts_again)
    assert len(walked) == 2


def test_a_changed_input_is_walked_again(
    real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo is found by identity but used only while its inputs are still equal."""
    walked = _counting_walks(monkeypatch)
    flow = real_catalog.flows["funding"]
    facts: dict[str, dict[str, Any]] = {"team": {"size": 3}}
    state = FlowState(flow_id=flow.id, answers={})
    before = machine.run_facts(flow, state, facts)
    facts["team"]["size"] = 9  # the same dict, changed in place
    after = machine.run_facts(flow, state, facts)
    assert len(walked) == 2
    assert before["team"]["size"] == 3
    assert after["team"]["size"] == 9


def test_a_caller_changing_the_result_does_not_change_the_next_one(
    real_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _counting_walks(monkeypatch)
    flow = real_catalog.flows["funding"]
    facts: dict[str, dict[str, Any]] = {"team": {"size": 3}}
    state = FlowState(flow_id=flow.id, answers={})
    first = machine.run_facts(flow, state, facts)
    first["team"]["size"] = 100
    first[flow.id]["invented"] = 1
    machine.path(flow, state, facts).clear()
    again = machine.run_facts(flow, state, facts)
    assert len(walked) == 1
    assert again["team"]["size"] == 3
    assert "invented" not in again[flow.id]
    assert machine.path(flow, state, facts)
