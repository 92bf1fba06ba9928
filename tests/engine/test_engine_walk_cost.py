"""What walking a run costs: derived values are worked out where they are read, not after
every answer (issue #14: a late funding step re-evaluated 15 derived values 14 times)."""

from __future__ import annotations

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
