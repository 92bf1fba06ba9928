"""What a question's hint and options say, with the real content (issue #11: B7-B10).

Every hint part is a sentence; a step's own words replace the generic hint they already
say; a scale names its ends on its options; reviews name answers by their short labels.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.coach.present import Presenter
from bot.engine import Catalog, FlowState, Prompt, TextAnswer
from bot.engine.machine import parse_answer
from bot.rendering import Renderer, Target

FACTS: dict[str, Any] = {"onboarding": {"name": "Lin", "startup": "深言智能", "stage": "mvp"}}


def ask(
    catalog: Catalog, locale: str, flow_id: str, step_id: str, *, current: Any = None,
    default: Any = None,
) -> Any:  # fmt: skip
    """The question a founder sees for one step (plain text)."""
    flow = catalog.flows[flow_id]
    step = flow.step(step_id)
    presenter = Presenter(Renderer(catalog), locale, Target.PLAIN)
    state = FlowState(flow_id=flow_id, step_id=step_id)
    prompt = Prompt(step_id, step.kind, (2, 9), current=current, default=default,
                    optional=step.optional)  # fmt: skip
    return presenter.question(flow, state, prompt, {**FACTS, flow_id: {}}, run_id=1)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Pick every role someone really does now, even part-time. Your answer so far: "
               "ML engineer, Domain expert. Reply /skip or keep to leave it as it is. Pick all "
               "that apply, separated by commas, for example 1, 3."),
        ("zh", "只要现在真有人在做就选上，兼职也算。你之前的回答：算法工程师、行业专家。"
               "回复“不变”或发 /skip 就保持原样。可多选，用逗号隔开，例如 1, 3。"),
    ],
)  # fmt: skip
def test_hint_parts_are_sentences(real_catalog: Catalog, locale: str, expected: str) -> None:
    """B8: the current answer ends its sentence before the next hint starts."""
    question = ask(real_catalog, locale, "team", "roles", current=["ml_engineer", "domain_expert"])
    assert question.hint == expected


def test_a_current_choice_is_a_sentence_too(real_catalog: Catalog) -> None:
    """B8: "Your answer so far: English Reply with a number" no longer runs together."""
    question = ask(real_catalog, "en", "onboarding", "language", current="en")
    assert question.hint == (
        "Your answer so far: English. Reply /skip or keep to leave it as it is. "
        "Reply with a number or the option's name."
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Training and inference together. Type /skip if you don't track it yet."),
        ("zh", "训练和推理合计。如果还没单独统计，输入 /skip 跳过。"),
    ],
)
def test_a_hint_that_says_how_to_skip_replaces_the_skip_hint(
    real_catalog: Catalog, locale: str, expected: str
) -> None:
    """B9: the compute question says /skip once, in its own words."""
    assert ask(real_catalog, locale, "funding", "compute_spend").hint == expected


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_marketing_channels_say_how_to_answer_once(real_catalog: Catalog, locale: str) -> None:
    """B9: the channels hint no longer repeats the multiple-choice hint."""
    question = ask(real_catalog, locale, "marketing", "channels")
    signal = "pick all that apply" if locale == "en" else "可多选"
    assert f"{question.text} {question.hint}".casefold().count(signal) == 1


@pytest.mark.parametrize("step", ["funding_channels", "milestones", "use_of_funds", "risks"])
@pytest.mark.parametrize("locale", ["en", "zh"])
def test_funding_multi_choice_says_pick_all_once(
    real_catalog: Catalog, locale: str, step: str
) -> None:
    """B9: "Pick all that apply." is no longer in the question and again in the hint."""
    question = ask(real_catalog, locale, "funding", step)
    signal = "pick all that apply" if locale == "en" else "可多选"
    assert f"{question.text} {question.hint}".casefold().count(signal) == 1


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en", ["1 · running on empty", "2", "3", "4", "5 · flying"]),
        ("zh", ["1 · 快被掏空了", "2", "3", "4", "5 · 状态满格"]),
    ],
)
def test_the_morale_scale_names_its_ends(
    real_catalog: Catalog, locale: str, labels: list[str]
) -> None:
    """B10: the options say what 1 and 5 mean; the generic "1 means not at all" is gone."""
    question = ask(real_catalog, locale, "update", "morale")
    generic = real_catalog.ui[locale]["question"]["hint_scale"]
    assert ([o.label for o in question.options], generic in (question.hint or "")) == (
        labels,
        False,
    )


def test_the_chinese_keep_hint_needs_no_english_word(real_catalog: Catalog) -> None:
    """A Chinese founder keeps a shown value with 不变 (or /skip), not with "keep"."""
    question = ask(real_catalog, "zh", "funding", "stage", default="mvp")
    assert ("keep" in question.hint, "不变" in question.hint) == (False, True)


@pytest.mark.parametrize("word", ["不变", "保持", "保持不变", "keep", "Keep"])
def test_keep_words_keep_the_shown_value(real_catalog: Catalog, word: str) -> None:
    """Typing 不变 or 保持 at a question with a Keep option keeps the value."""
    flow = real_catalog.flows["funding"]
    value = parse_answer(flow, flow.step("stage"), TextAnswer(word), "revenue", facts=FACTS)
    assert value == "revenue"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", ["Stage: MVP", "Cash in the bank: 600,000", "Equity or debt: Not decided yet"]),
        ("zh", ["阶段：MVP", "账上现金：60万", "股权还是债权：还没定"]),
    ],
)
def test_the_funding_review_names_answers_by_short_labels(
    real_catalog: Catalog, locale: str, expected: list[str]
) -> None:
    """B7: no cut question ("First, let's confirm the stage …") and no "。：" in Chinese."""
    flow = real_catalog.flows["funding"]
    answers = {"stage": "mvp", "cash": 600_000, "burn": 50_000, "raise_amount": 1_000_000,
               "instrument": "undecided"}  # fmt: skip
    state = FlowState(flow_id="funding", step_id="review", answers=answers)
    presenter = Presenter(Renderer(real_catalog), locale, Target.PLAIN)
    prompt = Prompt("review", flow.step("review").kind, (9, 9))
    review = presenter.question(flow, state, prompt, {**FACTS, "funding": answers}, run_id=1)
    labels = [option.label for option in review.options]
    assert [label for label in labels if label in expected] == expected


def test_every_asking_step_has_a_short_label(real_catalog: Catalog) -> None:
    """B7: every question of every flow is named by a short label in both languages."""
    missing = [
        f"{locale}/{flow.id}.{step.id}"
        for flow in real_catalog.flows.values()
        for locale, texts in flow.texts.items()
        for step in flow.spec.steps
        if step.asks and not texts.steps[step.id].short
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("locale", "answer", "shown"),
    [
        (
            "en",
            "Counter with options or cash?",
            "Your answer so far: Counter with options or cash? ",
        ),
        ("zh", "给期权还是加薪？", "你之前的回答：给期权还是加薪？回复"),
    ],
)
def test_an_answer_ending_in_a_question_mark_gets_no_extra_stop(
    real_catalog: Catalog, locale: str, answer: str, shown: str
) -> None:
    """The trial's "options or cash?. Reply": an answer's own punctuation ends its sentence."""
    question = ask(real_catalog, locale, "team", "team_problem", current=answer)
    assert shown in question.hint
    assert "?." not in question.hint
    assert "？。" not in question.hint
