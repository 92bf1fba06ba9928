"""A typed number picks exactly the option shown with that number, on every question.

For every question with options in every real flow, in both languages, with and without
an answer to keep: render the question as the founder sees it, type each number shown,
and check the engine stores that very option. The presenter and the parser share
``option_ids``; this test fails if they ever drift apart again.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.coach.present import Presenter
from bot.engine import Catalog, Flow, FlowState, StepKind, TextAnswer, advance, current_prompt
from bot.engine.machine import run_facts
from bot.rendering import Renderer, Target

LOCALES = ("en", "zh")


def _questions(catalog: Catalog) -> list[tuple[str, str]]:
    return [
        (flow.id, step.id)
        for flow in catalog.flows.values()
        for step in flow.spec.steps
        if step.kind in (StepKind.CHOICE, StepKind.MULTI, StepKind.YESNO, StepKind.SCALE)
    ]


def _facts(flow: Flow, catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Sample facts from every flow's preview, this flow's own preview last."""
    facts: dict[str, dict[str, Any]] = {}
    for other in catalog.flows.values():
        for key, values in other.spec.preview.items():
            facts.setdefault(key, {}).update(values)
    for key, values in flow.spec.preview.items():
        facts.setdefault(key, {}).update(values)
    return facts


def _state_at(flow: Flow, step_id: str, facts: dict[str, dict[str, Any]]) -> FlowState:
    """A run at ``step_id`` whose earlier questions hold the preview's answers."""
    answers: dict[str, Any] = {}
    for step in flow.spec.steps:
        if step.id == step_id:
            break
        if step.asks and step.id in facts.get(flow.id, {}):
            answers[step.id] = facts[flow.id][step.id]
    return FlowState(flow_id=flow.id, version=flow.spec.version, step_id=step_id, answers=answers)


def _stored(flow: Flow, state: FlowState, facts: Any, typed: str, step_id: str) -> Any:
    after = advance(flow, state, TextAnswer(typed), facts)
    assert after.notice is None, (flow.id, step_id, typed, after.notice)
    return after.state.answers[step_id]


def _check_every_number(
    catalog: Catalog, flow_id: str, step_id: str, locale: str, keep: bool
) -> int:
    flow = catalog.flows[flow_id]
    step = flow.step(step_id)
    facts = _facts(flow, catalog)
    state = _state_at(flow, step.id, facts)
    if not keep:  # no earlier answer and no shared value: nothing to keep
        facts.get(flow.id, {}).pop(step.id, None)
        if step.shares:
            owner, name = step.shares.split(".", 1)
            facts.get(owner, {}).pop(name, None)
    prompt = current_prompt(flow, state, facts)
    assert prompt is not None
    presenter = Presenter(Renderer(catalog, default_locale="en"), locale, Target.PLAIN)
    question = presenter.question(flow, state, prompt, run_facts(flow, state, facts), 1)
    for number, option in enumerate(question.options, start=1):
        stored = _stored(flow, state, facts, str(number), step.id)
        if step.options_from is not None:  # dynamic options store the text shown
            expected: Any = option.label
        elif step.kind is StepKind.YESNO:
            expected = option.id == "yes"
        elif step.kind is StepKind.SCALE:
            expected = int(option.id)
        else:
            expected = option.id
        if step.kind is StepKind.MULTI:
            expected = [expected]
        assert stored == expected, (flow.id, step.id, locale, number, option.label)
    return len(question.options)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("keep", [False, True], ids=["fresh", "with-answer-to-keep"])
def test_every_number_shown_stores_that_option(
    real_catalog: Catalog, locale: str, keep: bool
) -> None:
    """Exhaustive: every option of every question with options, in both languages."""
    checked = sum(
        _check_every_number(real_catalog, flow_id, step_id, locale, keep)
        for flow_id, step_id in _questions(real_catalog)
    )
    assert checked > 100  # the walk really covered the flows


@settings(max_examples=80, deadline=None)
@given(
    question=st.integers(min_value=0, max_value=10_000),
    kept=st.integers(min_value=0, max_value=10_000),
    typed=st.integers(min_value=0, max_value=10_000),
    locale=st.sampled_from(LOCALES),
)
def test_a_number_picks_what_the_founder_saw_with_a_kept_answer(
    real_catalog: Catalog, question: int, kept: int, typed: int, locale: str
) -> None:
    """With any earlier answer to keep, typing N still stores the Nth option shown."""
    fixed = [
        (flow_id, step_id)
        for flow_id, step_id in _questions(real_catalog)
        if real_catalog.flows[flow_id].step(step_id).kind in (StepKind.CHOICE, StepKind.MULTI)
        and real_catalog.flows[flow_id].step(step_id).options_from is None
        and (
            real_catalog.flows[flow_id].spec.prefill
            or real_catalog.flows[flow_id].step(step_id).shares
        )
    ]
    flow_id, step_id = fixed[question % len(fixed)]
    flow = real_catalog.flows[flow_id]
    step = flow.step(step_id)
    earlier = step.options[kept % len(step.options)]
    facts = _facts(flow, real_catalog)
    value: Any = [earlier] if step.kind is StepKind.MULTI else earlier
    facts.setdefault(flow.id, {})[step.id] = value
    if step.shares:
        owner, name = step.shares.split(".", 1)
        facts.setdefault(owner, {})[name] = value
    state = _state_at(flow, step.id, facts)
    prompt = current_prompt(flow, state, facts)
    assert prompt is not None
    assert prompt.keeps == value
    presenter = Presenter(Renderer(real_catalog, default_locale="en"), locale, Target.PLAIN)
    shown = presenter.question(flow, state, prompt, run_facts(flow, state, facts), 1)
    number = typed % len(shown.options) + 1
    stored = _stored(flow, state, facts, str(number), step.id)
    chosen = shown.options[number - 1].id
    assert stored == ([chosen] if step.kind is StepKind.MULTI else chosen)
