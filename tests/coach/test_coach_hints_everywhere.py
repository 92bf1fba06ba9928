"""Every question of every flow, in both languages: hints that read as a coach writes them.

Issue #13 (findings B8-B10, §3 zh 4-5): walks each asking step as a founder meets it, the
first time and again with an answer already given, and reads what it says: no sentence
said twice (in the prompt or the hint), no hint part running into the next, one hint
saying what /skip does (founder trial: "type /skip if you don't track it" beside "/skip
keeps your answer"), and in Chinese nothing that asks the founder to type an English word.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.coach.present import Presenter
from bot.engine import Catalog, FlowState, Prompt
from bot.rendering import Renderer, Target
from bot.rendering.check import preview_facts

_SENTENCE = {"en": re.compile(r"(?<=[.!?])\s+"), "zh": re.compile(r"(?<=[。！？])")}
# a Latin word a zh text asks the founder to type ("回复 keep", "输入“none”"); /commands are fine
_TYPE_ENGLISH = re.compile(r"(?:回复|输入|发送|键入|发|打)\s*[“\"]?(?!/)[A-Za-z]{2,}")
# two hint parts run together: a part ends without its stop and the next one starts
_RUN_TOGETHER = {
    "en": re.compile(r"[a-z0-9)] (?:Reply|Pick|Type|Send|Your answer)\b"),
    "zh": re.compile(r"[^。！？\s](?:你之前的回答|回复数字|回复编号|可多选|发 /skip 可跳过)"),
}


def ask(catalog: Catalog, locale: str, flow_id: str, step_id: str, *, current: Any) -> Any:
    """The question a founder sees for one step (plain text), everything else answered."""
    flow = catalog.flows[flow_id]
    step = flow.step(step_id)
    presenter = Presenter(Renderer(catalog), locale, Target.PLAIN)
    state = FlowState(flow_id=flow_id, step_id=step_id)
    prompt = Prompt(step_id, step.kind, (2, 9), current=current, optional=step.optional)
    return presenter.question(flow, state, prompt, preview_facts(catalog), run_id=1)


def _steps(catalog: Catalog) -> list[tuple[str, str]]:
    return [
        (flow.id, step.id)
        for flow in catalog.flows.values()
        for step in flow.spec.steps
        if step.asks
    ]


def _sample(catalog: Catalog, flow_id: str, step_id: str) -> Any:
    """An answer already given to the step (the flow's preview), for the re-run case."""
    return preview_facts(catalog).get(flow_id, {}).get(step_id)


def _sentences(text: str, locale: str) -> list[str]:
    return [s.strip() for s in _SENTENCE[locale].split(text) if s.strip()]


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("again", [False, True], ids=["first time", "answered before"])
def test_every_question_reads_cleanly(real_catalog: Catalog, locale: str, again: bool) -> None:
    problems: list[str] = []
    for flow_id, step_id in _steps(real_catalog):
        current = _sample(real_catalog, flow_id, step_id) if again else None
        if again and current is None:
            continue
        question = ask(real_catalog, locale, flow_id, step_id, current=current)
        where = f"{flow_id}.{step_id} ({locale})"
        said = _sentences(question.text, locale) + _sentences(question.hint or "", locale)
        repeated = {s for s in said if said.count(s) > 1}
        if repeated:
            problems.append(f"{where}: said twice: {sorted(repeated)}")
        skips = (question.text + (question.hint or "")).count("/skip")
        if skips > 1:  # "/skip to leave it blank" beside "/skip keeps your answer"
            problems.append(f"{where}: /skip explained {skips} times: {question.hint!r}")
        if question.hint and _RUN_TOGETHER[locale].search(question.hint):
            problems.append(f"{where}: hint parts run together: {question.hint!r}")
        if locale == "zh":
            shown = " ".join([question.text, question.hint or ""])
            found = _TYPE_ENGLISH.search(shown)
            if found:
                problems.append(f"{where}: asks to type English ({found.group(0)!r})")
    assert problems == []


def test_the_walk_sees_every_flow(real_catalog: Catalog) -> None:
    """The walk above covers the coaching flows, the weekly update and commitments."""
    flows = {flow_id for flow_id, _ in _steps(real_catalog)}
    assert {"onboarding", "team", "funding", "marketing", "update", "commit"} <= flows
