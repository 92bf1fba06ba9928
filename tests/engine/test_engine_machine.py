"""The flow state machine, driven through a small flow with every kind of step.

The flow is ``PROBE`` in ``flowkit``: nickname (text), stage (choice, shares basics.stage),
cash (number, only when stage is mvp or revenue), burn (optional number), channels
(multi, at most 2), pipeline (yesno), confidence (scale), city (timezone), review.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine import (
    Back,
    Choose,
    Event,
    Flow,
    FlowState,
    Notice,
    Prompt,
    RunStatus,
    SavedAnswer,
    Skip,
    StepKind,
    TextAnswer,
    Transition,
    advance,
    current_prompt,
    path,
    review_options,
    run_facts,
    start,
)
from tests.engine.flowkit import load

NO_FACTS: dict[str, dict[str, Any]] = {}
SHARED = {"basics": {"name": "Lin", "stage": "mvp"}}

# What a founder types at each step, and what the engine stores.
ANSWERS: list[tuple[str, str]] = [
    ("nickname", "Al"),
    ("stage", "revenue"),
    ("cash", "600k"),
    ("burn", "50k"),
    ("channels", "1, 3"),
    ("pipeline", "no"),
    ("confidence", "2"),
    ("city", "Berlin"),
]
STORED: dict[str, Any] = {
    "nickname": "Al",
    "stage": "revenue",
    "cash": 600_000,
    "burn": 50_000,
    "channels": ["angel", "grants"],
    "pipeline": False,
    "confidence": 2,
    "city": "Europe/Berlin",
}
STEP_IDS = [step for step, _ in ANSWERS]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return load(tmp_path_factory.mktemp("machine")).flows["probe"]


def until(flow: Flow, step_id: str, facts: Any = NO_FACTS, **overrides: str) -> Transition:
    """A run answered with ANSWERS (some replaced by ``overrides``) up to ``step_id``."""
    transition = start(flow, facts)
    while transition.prompt is not None and transition.prompt.step_id != step_id:
        step = transition.prompt.step_id
        assert step != "review", f"{step_id} is never asked"
        text = overrides.get(step, dict(ANSWERS)[step])
        transition = advance(flow, transition.state, TextAnswer(text), facts)
        assert transition.notice is None, transition.notice
    assert transition.prompt is not None
    return transition


def at_review(flow: Flow, facts: Any = NO_FACTS, **overrides: str) -> Transition:
    """A run with every question answered, at the review."""
    return until(flow, "review", facts, **overrides)


# ---------------------------------------------------------------- start


def test_start_prompt(flow: Flow) -> None:
    """start() gives the first question; cash may still be asked, so 8 is an upper bound."""
    expected = Prompt(step_id="nickname", kind=StepKind.TEXT, progress=(1, 8), open_total=True)
    assert start(flow, NO_FACTS).prompt == expected


def test_start_state(flow: Flow) -> None:
    """start() gives an active state at the first step with no answers and the flow version."""
    expected = FlowState(flow_id="probe", version=2, step_id="nickname")
    assert start(flow, NO_FACTS).state == expected


# ---------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("step_id", "event", "value"),
    [
        ("nickname", TextAnswer("  Al\x00 "), "Al"),
        ("stage", TextAnswer("3"), "revenue"),
        ("stage", TextAnswer("有收入"), "revenue"),
        ("stage", TextAnswer("Mvp"), "mvp"),
        ("stage", Choose(("idea",)), "idea"),
        ("cash", TextAnswer("1.5m"), 1_500_000),
        ("cash", TextAnswer("300万"), 3_000_000),
        ("burn", TextAnswer("$50k"), 50_000),
        ("channels", TextAnswer("vc、grants"), ["vc", "grants"]),
        ("channels", TextAnswer("Bank loan, 1"), ["bank_loan", "angel"]),
        ("channels", Choose(("vc", "angel", "vc")), ["vc", "angel"]),
        ("pipeline", TextAnswer("是"), True),
        ("pipeline", TextAnswer("2"), False),
        ("pipeline", Choose(("no",)), False),
        ("confidence", TextAnswer("4/5"), 4),
        ("confidence", Choose(("5",)), 5),
        ("city", TextAnswer("北京"), "Asia/Shanghai"),
        ("city", TextAnswer("UTC+8"), "Etc/GMT-8"),
    ],
)
def test_answer_is_stored(flow: Flow, step_id: str, event: Event, value: Any) -> None:
    """Each kind of step stores its parsed value and reports it as a new answer."""
    before = until(flow, step_id)
    after = advance(flow, before.state, event, NO_FACTS)
    assert (after.state.answers[step_id], after.saved) == (
        value,
        (SavedAnswer(step_id, value, replaces=False),),
    )


def test_answer_moves_to_the_next_step(flow: Flow) -> None:
    """After an answer the prompt is the next step, with progress advanced."""
    after = advance(flow, start(flow, NO_FACTS).state, TextAnswer("Al"), NO_FACTS)
    assert (after.prompt.step_id, after.prompt.progress) == ("stage", (2, 8))


@pytest.mark.parametrize(("stage", "total"), [("idea", 7), ("mvp", 8)])
def test_progress_total_is_exact_once_conditions_are_decided(
    flow: Flow, stage: str, total: int
) -> None:
    """Once the stage is known, whether cash is asked is decided and the total is exact."""
    after = until(flow, "burn", stage=stage)
    assert (after.prompt.progress[1], after.prompt.open_total) == (total, False)


@pytest.mark.parametrize("stage", ["idea", "mvp"])
def test_progress_total_never_grows_through_a_run(flow: Flow, stage: str) -> None:
    """The total shown can shrink as answers rule questions out, but never jumps up."""
    answers = {
        "nickname": "Al",
        "stage": stage,
        "cash": "100k",
        "burn": "10k",
        "channels": "1",
        "pipeline": "yes",
        "confidence": "3",
        "city": "Berlin",
    }
    transition = start(flow, NO_FACTS)
    totals = [transition.prompt.progress[1]]
    while transition.prompt is not None and transition.prompt.step_id in answers:
        text = answers[transition.prompt.step_id]
        transition = advance(flow, transition.state, TextAnswer(text), NO_FACTS)
        if transition.prompt is not None:
            totals.append(transition.prompt.progress[1])
    assert totals == sorted(totals, reverse=True)
    assert transition.prompt is not None
    assert transition.prompt.step_id == "review"


def test_profile_step_reports_the_profile_field(flow: Flow) -> None:
    """A step with ``profile: timezone`` tells the caller to update the profile."""
    after = advance(flow, until(flow, "city").state, TextAnswer("Berlin"), NO_FACTS)
    assert after.profile == {"timezone": "Europe/Berlin"}


def test_plain_step_reports_no_profile_field(flow: Flow) -> None:
    """A step without ``profile`` leaves the profile alone."""
    after = advance(flow, start(flow, NO_FACTS).state, TextAnswer("Al"), NO_FACTS)
    assert after.profile == {}


def test_full_run_stores_every_answer(flow: Flow) -> None:
    """Answering every question in order stores exactly what each parser made of it."""
    assert at_review(flow).state.answers == STORED


def test_derived_value_is_a_fact(flow: Flow) -> None:
    """runway_months = cash / burn appears in the run's facts once both are known."""
    assert run_facts(flow, at_review(flow).state, NO_FACTS)["probe"]["runway_months"] == 12


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("step_id", "text", "notice"),
    [
        ("nickname", "A", Notice("too_short", {"min": 2, "min_wide": 1})),
        ("nickname", "   ", Notice("empty")),
        ("stage", "7", Notice("no_such_number", {"count": 3})),
        ("stage", "scaling", Notice("unknown_option", {"count": 3})),
        ("cash", "lots", Notice("not_a_number", {"unit": "money"})),
        ("cash", "2b", Notice("too_large", {"max": 1e9, "unit": "money"})),
        ("burn", "0", Notice("too_small", {"min": 1, "unit": "money"})),
        ("channels", "1, 2, 3", Notice("too_many_choices", {"max": 2})),
        ("pipeline", "maybe", Notice("unknown_option", {"count": 2})),
        ("confidence", "9", Notice("not_scale")),
        ("city", "Atlantis", Notice("unknown_timezone")),
        ("city", "/foo", Notice("unknown_command", {"command": "/foo"})),
        ("nickname", "/foo bar baz", Notice("unknown_command", {"command": "/foo"})),
    ],
)
def test_bad_input_gives_a_notice(flow: Flow, step_id: str, text: str, notice: Notice) -> None:
    """Input a step cannot take gives a notice with the code and the words' params."""
    before = until(flow, step_id)
    assert advance(flow, before.state, TextAnswer(text), NO_FACTS).notice == notice


@pytest.mark.parametrize(
    ("step_id", "text"),
    [("nickname", "A"), ("cash", "lots"), ("channels", "9"), ("confidence", "0"),
     ("city", "/foo")],
)  # fmt: skip
def test_bad_input_keeps_state_and_step(flow: Flow, step_id: str, text: str) -> None:
    """After bad input the state is unchanged, nothing is saved and the same step is asked."""
    before = until(flow, step_id)
    after = advance(flow, before.state, TextAnswer(text), NO_FACTS)
    assert (after.state, after.saved, after.prompt) == (before.state, (), before.prompt)


# ---------------------------------------------------------------- back


def test_back_from_first_step_is_refused(flow: Flow) -> None:
    """Back at the first question says so and stays put."""
    begun = start(flow, NO_FACTS)
    after = advance(flow, begun.state, Back(), NO_FACTS)
    assert (after.notice, after.state, after.prompt) == (
        Notice("at_first_step"),
        begun.state,
        begun.prompt,
    )


def test_back_shows_the_previous_answer(flow: Flow) -> None:
    """Back goes to the previous question and shows the answer given there."""
    after = advance(flow, until(flow, "channels").state, Back(), NO_FACTS)
    assert (after.prompt.step_id, after.prompt.current) == ("burn", 50_000)


def test_back_keeps_the_answers(flow: Flow) -> None:
    """Going back moves the position only; no answer is lost or saved."""
    before = until(flow, "channels")
    after = advance(flow, before.state, Back(), NO_FACTS)
    assert (after.state.answers, after.saved) == (before.state.answers, ())


def test_back_passes_over_a_step_that_does_not_apply(flow: Flow) -> None:
    """With stage=idea, cash does not apply, so back from burn returns to stage."""
    before = until(flow, "burn", stage="idea")
    after = advance(flow, before.state, Back(), NO_FACTS)
    assert (after.prompt.step_id, after.prompt.current) == ("stage", "idea")


def test_back_from_review_goes_to_the_last_question(flow: Flow) -> None:
    """Back at the review returns to the last question."""
    after = advance(flow, at_review(flow).state, Back(), NO_FACTS)
    assert (after.prompt.step_id, after.prompt.current) == ("city", "Europe/Berlin")


def test_reanswer_after_back_resumes_at_first_unanswered(flow: Flow) -> None:
    """After going back twice and answering, the next question is the first unanswered one."""
    state = until(flow, "channels").state
    state = advance(flow, state, Back(), NO_FACTS).state
    state = advance(flow, state, Back(), NO_FACTS).state
    after = advance(flow, state, TextAnswer("700k"), NO_FACTS)
    assert (after.prompt.step_id, after.saved) == (
        "channels",
        (SavedAnswer("cash", 700_000, replaces=True),),
    )


# ---------------------------------------------------------------- skip


def test_skip_a_required_step_is_refused(flow: Flow) -> None:
    """Skip on a step that is not optional gives cannot_skip and changes nothing."""
    before = until(flow, "cash")
    after = advance(flow, before.state, Skip(), NO_FACTS)
    assert (after.notice, after.state, after.prompt) == (
        Notice("cannot_skip"),
        before.state,
        before.prompt,
    )


def test_skip_an_optional_step_stores_none(flow: Flow) -> None:
    """Skip on an optional step saves None and moves on."""
    after = advance(flow, until(flow, "burn").state, Skip(), NO_FACTS)
    assert (after.saved, after.prompt.step_id) == (
        (SavedAnswer("burn", None, replaces=False),),
        "channels",
    )


def test_skipped_answer_is_not_a_fact(flow: Flow) -> None:
    """A skipped answer (and what derives from it) is absent from the run's facts."""
    state = advance(flow, until(flow, "burn").state, Skip(), NO_FACTS).state
    facts = run_facts(flow, state, NO_FACTS)["probe"]
    assert ("burn" in facts, "runway_months" in facts, "cash" in facts) == (False, False, True)


def test_optional_prompt_says_optional(flow: Flow) -> None:
    """The prompt of an optional step is marked optional."""
    assert until(flow, "burn").prompt.optional is True


# ---------------------------------------------------------------- shares


def test_shared_step_shows_the_shared_value(flow: Flow) -> None:
    """A step that shares basics.stage offers the founder's current value as default."""
    assert until(flow, "stage", SHARED).prompt.default == "mvp"


def test_shared_step_without_a_value_has_no_default(flow: Flow) -> None:
    """Without the shared fact there is nothing to keep."""
    assert until(flow, "stage").prompt.default is None


@pytest.mark.parametrize(
    "event",
    [Skip(), TextAnswer("keep"), TextAnswer(" KEEP "), TextAnswer("保持"), TextAnswer("不变")],
)
def test_keep_stores_the_shared_value(flow: Flow, event: Event) -> None:
    """Skip, or typing keep (in either language), confirms the shared value as the answer."""
    after = advance(flow, until(flow, "stage", SHARED).state, event, SHARED)
    assert (after.state.answers["stage"], after.prompt.step_id) == ("mvp", "cash")


def test_keep_is_not_an_option_so_numbers_match_the_flow_options(flow: Flow) -> None:
    """With a value to keep, 1 is still the first option shown (idea), not "keep"."""
    after = advance(flow, until(flow, "stage", SHARED).state, TextAnswer("1"), SHARED)
    assert after.state.answers["stage"] == "idea"
    assert until(flow, "stage", SHARED).prompt.keeps == "mvp"


def test_a_keep_button_from_an_older_keyboard_is_refused_as_stale(flow: Flow) -> None:
    """Keep is the skip button now; an old keyboard's keep option changes nothing."""
    after = advance(flow, until(flow, "stage", SHARED).state, Choose(("keep",)), SHARED)
    assert (after.notice, "stage" in after.state.answers) == (Notice("stale_button"), False)


def test_skip_after_back_keeps_a_required_answer(flow: Flow) -> None:
    """/back to an answered required question, then /skip: the answer stays, no new revision."""
    at_burn = until(flow, "burn", stage="idea")
    back = advance(flow, at_burn.state, Back(), NO_FACTS)
    assert back.prompt.step_id == "stage"
    after = advance(flow, back.state, Skip(), NO_FACTS)
    assert (after.notice, after.saved, after.prompt.step_id) == (None, (), "burn")
    assert after.state.answers["stage"] == "idea"


def test_back_then_keep_word_keeps_the_answer(flow: Flow) -> None:
    """Typing keep after /back is the same as /skip there."""
    back = advance(flow, until(flow, "burn", stage="idea").state, Back(), NO_FACTS)
    after = advance(flow, back.state, TextAnswer("keep"), NO_FACTS)
    assert (after.state.answers["stage"], after.prompt.step_id) == ("idea", "burn")


def test_skip_shared_step_without_a_value_is_refused(flow: Flow) -> None:
    """With no shared value and no optional flag, skip is refused."""
    after = advance(flow, until(flow, "stage").state, Skip(), NO_FACTS)
    assert after.notice == Notice("cannot_skip")


def test_keep_without_a_shared_value_is_not_an_option(flow: Flow) -> None:
    """Tapping keep when there is nothing to keep is a stale button."""
    after = advance(flow, until(flow, "stage").state, Choose(("keep",)), NO_FACTS)
    assert after.notice == Notice("stale_button")


def test_shared_answer_overrides_the_shared_fact(flow: Flow) -> None:
    """A new answer to a shared step is what the shared fact reads during the run."""
    state = advance(flow, until(flow, "stage", SHARED).state, TextAnswer("idea"), SHARED).state
    assert run_facts(flow, state, SHARED)["basics"] == {"name": "Lin", "stage": "idea"}


def test_shared_facts_are_not_mutated(flow: Flow) -> None:
    """Walking a run never changes the facts passed in."""
    facts = {"basics": {"name": "Lin", "stage": "mvp"}}
    at_review(flow, facts, stage="idea")
    assert facts == {"basics": {"name": "Lin", "stage": "mvp"}}


# ---------------------------------------------------------------- conditions and progress


@pytest.mark.parametrize(("stage", "progress"), [("idea", (3, 7)), ("mvp", (4, 8))])
def test_progress_counts_applicable_questions(flow: Flow, stage: str, progress: tuple) -> None:
    """Progress counts the questions that apply: cash only counts when stage is not idea."""
    assert until(flow, "burn", stage=stage).prompt.progress == progress


def test_conditional_step_is_passed_over(flow: Flow) -> None:
    """With stage=idea the question after stage is burn, not cash."""
    state = until(flow, "stage").state
    assert advance(flow, state, TextAnswer("idea"), NO_FACTS).prompt.step_id == "burn"


def test_path_lists_applicable_steps(flow: Flow) -> None:
    """path() lists the steps that apply, review included, without non-applicable ones."""
    state = at_review(flow, stage="idea").state
    expected = ["nickname", "stage", "burn", "channels", "pipeline", "confidence", "city"]
    assert [step.id for step in path(flow, state, NO_FACTS)] == [*expected, "review"]


def test_review_progress_is_complete(flow: Flow) -> None:
    """At the review every applicable question has been counted."""
    assert at_review(flow).prompt.progress == (8, 8)


def test_edit_can_make_a_conditional_step_appear(flow: Flow) -> None:
    """Changing stage from idea to mvp at the review asks the now-applicable cash question."""
    state = at_review(flow, stage="idea").state
    state = advance(flow, state, Choose(("stage",)), NO_FACTS).state
    after = advance(flow, state, TextAnswer("mvp"), NO_FACTS)
    assert (after.prompt.step_id, after.prompt.progress) == ("cash", (3, 8))


def test_after_the_appeared_step_the_review_returns(flow: Flow) -> None:
    """Once the newly applicable question is answered, the review comes back."""
    state = at_review(flow, stage="idea").state
    state = advance(flow, state, Choose(("stage",)), NO_FACTS).state
    state = advance(flow, state, TextAnswer("mvp"), NO_FACTS).state
    assert advance(flow, state, TextAnswer("1m"), NO_FACTS).prompt.step_id == "review"


def test_edit_can_make_a_conditional_step_disappear(flow: Flow) -> None:
    """Changing stage to idea returns to the review without cash among the answers."""
    state = at_review(flow).state
    state = advance(flow, state, Choose(("stage",)), NO_FACTS).state
    after = advance(flow, state, TextAnswer("idea"), NO_FACTS)
    assert (after.prompt.step_id, "cash" in review_options(flow, after.state, NO_FACTS)) == (
        "review",
        False,
    )


def test_disappeared_answer_is_not_a_fact(flow: Flow) -> None:
    """An answer to a step that no longer applies is left out of the facts, with its derived."""
    state = at_review(flow).state
    state = advance(flow, state, Choose(("stage",)), NO_FACTS).state
    state = advance(flow, state, TextAnswer("idea"), NO_FACTS).state
    facts = run_facts(flow, state, NO_FACTS)["probe"]
    assert ("cash" in facts, "runway_months" in facts) == (False, False)


def test_own_earlier_facts_do_not_decide_conditions(flow: Flow) -> None:
    """Conditions on this flow read this run's answers, not facts of an earlier run."""
    earlier = {"probe": {"stage": "mvp", "cash": 5}}
    after = advance(flow, until(flow, "stage", earlier).state, TextAnswer("idea"), earlier)
    assert after.prompt.step_id == "burn"


# ---------------------------------------------------------------- review


def test_review_options_are_confirm_then_answers(flow: Flow) -> None:
    """The review offers confirm first, then every answered applicable question."""
    assert review_options(flow, at_review(flow).state, NO_FACTS) == ("confirm", *STEP_IDS)


@pytest.mark.parametrize(
    "event",
    [TextAnswer("1"), TextAnswer("ok"), TextAnswer("OK"), TextAnswer("确认"),
     TextAnswer("confirm"), Choose(("confirm",))],
)  # fmt: skip
def test_review_confirm_completes(flow: Flow, event: Event) -> None:
    """Confirming the review completes the run: no prompt, no step, status completed."""
    after = advance(flow, at_review(flow).state, event, NO_FACTS)
    assert (after.completed, after.prompt, after.state.step_id, after.state.status) == (
        True,
        None,
        None,
        RunStatus.COMPLETED,
    )


def test_completed_run_keeps_the_answers(flow: Flow) -> None:
    """Completing does not change the answers."""
    after = advance(flow, at_review(flow).state, TextAnswer("1"), NO_FACTS)
    assert after.state.answers == STORED


@pytest.mark.parametrize(
    ("event", "step_id"),
    [(TextAnswer("3"), "stage"), (TextAnswer("confidence"), "confidence"),
     (TextAnswer("City"), "city"), (Choose(("channels",)), "channels")],
)  # fmt: skip
def test_review_pick_edits_an_answer(flow: Flow, event: Event, step_id: str) -> None:
    """Picking an answer at the review (number, id or button) asks that question again."""
    after = advance(flow, at_review(flow).state, event, NO_FACTS)
    assert (after.prompt.step_id, after.prompt.current) == (step_id, STORED[step_id])


def test_edit_returns_to_review(flow: Flow) -> None:
    """After editing an answer from the review, the review is shown again."""
    state = advance(flow, at_review(flow).state, TextAnswer("confidence"), NO_FACTS).state
    after = advance(flow, state, TextAnswer("5"), NO_FACTS)
    assert (after.prompt.step_id, after.saved) == (
        "review",
        (SavedAnswer("confidence", 5, replaces=True),),
    )


@pytest.mark.parametrize(
    ("event", "notice"),
    [
        (Skip(), Notice("cannot_skip")),
        (TextAnswer("/foo"), Notice("unknown_command", {"command": "/foo"})),
        (TextAnswer("12"), Notice("no_such_number", {"count": 9})),
        (TextAnswer("whatever"), Notice("unknown_option", {"count": 9})),
        (Choose(("nosuch",)), Notice("stale_button")),
        (Choose(("confirm", "city")), Notice("stale_button")),
    ],
)
def test_review_refusals(flow: Flow, event: Event, notice: Notice) -> None:
    """The review refuses skip, commands, unknown picks and stale buttons."""
    before = at_review(flow)
    after = advance(flow, before.state, event, NO_FACTS)
    assert (after.notice, after.state) == (notice, before.state)


def test_review_refuses_a_step_that_no_longer_applies(flow: Flow) -> None:
    """A button for a step that does not apply any more is stale."""
    state = at_review(flow, stage="idea").state
    assert advance(flow, state, Choose(("cash",)), NO_FACTS).notice == Notice("stale_button")


def test_advance_after_completion_is_run_over(flow: Flow) -> None:
    """Input to a completed run is refused with run_over."""
    done = advance(flow, at_review(flow).state, TextAnswer("1"), NO_FACTS)
    after = advance(flow, done.state, TextAnswer("hello"), NO_FACTS)
    assert (after.notice, after.state, after.prompt) == (Notice("run_over"), done.state, None)


# ---------------------------------------------------------------- buttons


@pytest.mark.parametrize(
    "step_id",
    [
        "nickname",
        "stage",
        "cash",
        "burn",
        "channels",
        "pipeline",
        "confidence",
        "city",
    ],
)
def test_unknown_button_is_stale(flow: Flow, step_id: str) -> None:
    """A tap with ids the current step does not have is a stale button."""
    before = until(flow, step_id)
    after = advance(flow, before.state, Choose(("prototype",)), NO_FACTS)
    assert (after.notice, after.state) == (Notice("stale_button"), before.state)


# ---------------------------------------------------------------- persistence


def _every_state(flow: Flow) -> list[tuple[Transition, Event]]:
    """Each transition of a run with skips, backs, an edit and a confirm, with the next event."""
    events: list[Event] = [
        TextAnswer("Al"),
        TextAnswer("mvp"),
        TextAnswer("1.5m"),
        Skip(),
        Back(),
        TextAnswer("12.5k"),
        Choose(("vc", "grants")),
        TextAnswer("yes"),
        TextAnswer("5"),
        TextAnswer("UTC+8"),
        Choose(("stage",)),
        TextAnswer("idea"),
        TextAnswer("1"),
    ]
    pairs = []
    transition = start(flow, SHARED)
    for event in events:
        pairs.append((transition, event))
        transition = advance(flow, transition.state, event, SHARED)
    pairs.append((transition, TextAnswer("late")))
    return pairs


STATE_COUNT = 14


def test_persistence_walk_covers_the_run(flow: Flow) -> None:
    """The walk used below reaches completion (so the round-trips cover every stage)."""
    pairs = _every_state(flow)
    assert (len(pairs), pairs[-1][0].completed) == (STATE_COUNT, True)


@pytest.mark.parametrize("index", range(STATE_COUNT))
def test_state_json_round_trip(flow: Flow, index: int) -> None:
    """to_json/from_json reproduces the state exactly at every point of a run."""
    state = _every_state(flow)[index][0].state
    restored = FlowState.from_json(state.to_json())
    assert (restored, restored.to_json()) == (state, state.to_json())


@pytest.mark.parametrize("index", range(STATE_COUNT))
def test_resumed_state_shows_the_same_prompt(flow: Flow, index: int) -> None:
    """After a restart the restored state shows the prompt the founder last saw."""
    transition = _every_state(flow)[index][0]
    restored = FlowState.from_json(transition.state.to_json())
    assert current_prompt(flow, restored, SHARED) == transition.prompt


@pytest.mark.parametrize("index", range(STATE_COUNT))
def test_resumed_state_continues_identically(flow: Flow, index: int) -> None:
    """The next input to a restored state does exactly what it would have done before."""
    transition, event = _every_state(flow)[index]
    restored = FlowState.from_json(transition.state.to_json())
    assert advance(flow, restored, event, SHARED) == advance(flow, transition.state, event, SHARED)
