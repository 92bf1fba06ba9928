"""The flow state machine: ``advance(flow, state, event, facts) -> Transition``.

Pure: no I/O and no clock. The caller (the Coach) loads the state and the founder's facts
from the store, calls :func:`start` or :func:`advance`, stores what the transition says,
and renders the prompt or notice. Steps run in file order; a step whose ``when`` is false
is passed over, and the next question is always the first applicable unanswered step, so
after a back or an edit from the review the founder returns to where they were.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.engine.expressions import (
    FAILED,
    Facts,
    condition,
    evaluate,
    json_value,
    referenced_facts,
)
from bot.engine.flow import Flow
from bot.engine.inputs import (
    SCALE_OPTIONS,
    YES_WORDS,
    YESNO_OPTIONS,
    InvalidAnswer,
    match_option,
    parse_date,
    parse_multi,
    parse_number,
    parse_scale,
    parse_text,
    parse_timezone,
    parse_yesno,
    time_answer,
    typed_currency,
    validate_multi,
)
from bot.engine.spec import StepKind, StepSpec, Unit
from bot.engine.state import FlowState, RunStatus

KEEP = "keep"
KEEP_WORDS = frozenset({KEEP, "保持", "不变", "保持不变"})  # typed to keep the shown value
CONFIRM = "confirm"
# words that keep the answer a question already has (the same as /skip there)
KEEP_WORDS = frozenset({KEEP, "keep it", "same", "unchanged", "保持", "不变", "保持不变", "照旧"})

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class TextAnswer:
    """The founder typed something."""

    text: str


@dataclass(frozen=True)
class Choose:
    """The founder tapped options (ids), e.g. from an inline keyboard."""

    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class Back:
    """Go to the previous question."""


@dataclass(frozen=True)
class Skip:
    """Leave this question unanswered (or keep the shared value)."""


Event = TextAnswer | Choose | Back | Skip

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Prompt:
    """The question to show next."""

    step_id: str
    kind: StepKind
    progress: tuple[int, int]
    current: Any = None
    default: Any = None
    # ``default`` is another flow's fact that answers this question (``suggest``), not an
    # answer the founder gave to it
    suggested: bool = False
    optional: bool = False
    # ``progress[1]`` is an upper bound: later answers may still leave questions out
    open_total: bool = False

    @property
    def keeps(self) -> Any:
        """What /skip (or "keep") leaves as the answer: the current one, else the default."""
        return self.current if self.current is not None else self.default


@dataclass(frozen=True)
class Notice:
    """Why the input was not taken (or a remark such as 'already at the first question')."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedAnswer:
    """An answer the store must write (``value is None``: skipped)."""

    step_id: str
    value: Any
    replaces: bool


@dataclass(frozen=True)
class Transition:
    """What happened: the new state, answers to store, and what to show."""

    state: FlowState
    prompt: Prompt | None
    saved: tuple[SavedAnswer, ...] = ()
    notice: Notice | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """Whether the run has just been confirmed and is over."""
        return self.state.status is RunStatus.COMPLETED


# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class _Walked:
    """One walk and what it was walked over (copies, to tell a changed input)."""

    flow: Flow
    state: FlowState
    facts: Facts
    answers: dict[str, Any]
    context: dict[str, Any]
    facts_copy: dict[str, dict[str, Any]]
    steps: tuple[StepSpec, ...]
    merged: dict[str, dict[str, Any]]

    def same(self, flow: Flow, state: FlowState, facts: Facts) -> bool:
        """Whether a walk over these inputs gives this one's result."""
        return (
            self.flow is flow
            and self.answers == state.answers
            and self.context == state.context
            and self.facts_copy == facts
        )


class _WalkMemo:
    """The last walks, by the identity of their inputs (issue #14).

    A turn walks the same run several times: the transition, its prompt, the question's
    options, the facts the question renders with. The walk is a pure function of the
    flow, the run's answers and context, and the founder's facts, so it is done once.
    An entry is found by the inputs' identities (the same objects within a turn), else
    by their content (the next turn reads the same run back from the database as new
    objects), and used only if they are still equal to copies taken then, so a caller
    that changed a dict in between gets a fresh walk (the copies are two levels deep: a
    list inside a fact changed in place would go unnoticed, and nothing does that; facts
    are read from the database each turn). Callers get their own copies of the results.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._by_identity: OrderedDict[tuple[int, int, int], _Walked] = OrderedDict()
        self._by_content: OrderedDict[tuple[int, str], _Walked] = OrderedDict()

    def walk(
        self, flow: Flow, state: FlowState, facts: Facts
    ) -> tuple[list[StepSpec], dict[str, dict[str, Any]]]:
        key = (id(flow), id(state), id(facts))
        found = self._by_identity.get(key)
        if found is not None and found.same(flow, state, facts):
            self._by_identity.move_to_end(key)
        else:
            content = _fingerprint(state, facts)
            known = self._by_content.get((id(flow), content)) if content else None
            if known is not None and known.same(flow, state, facts):
                steps, merged = list(known.steps), known.merged
            else:
                steps, merged = _walk_fresh(flow, state, facts)
            found = _Walked(
                flow=flow,  # held, so that the ids in the key are not reused meanwhile
                state=state,
                facts=facts,
                answers=dict(state.answers),
                context=dict(state.context),
                facts_copy={name: dict(values) for name, values in facts.items()},
                steps=tuple(steps),
                merged=merged,
            )
            self._keep(self._by_identity, key, found)
            if content:
                self._keep(self._by_content, (id(flow), content), found)
        return list(found.steps), {name: dict(values) for name, values in found.merged.items()}

    def _keep(self, entries: OrderedDict[Any, _Walked], key: Any, walked: _Walked) -> None:
        entries[key] = walked
        entries.move_to_end(key)
        if len(entries) > self._size:
            entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every walk (tests that count the work of one)."""
        self._by_identity.clear()
        self._by_content.clear()


def _fingerprint(state: FlowState, facts: Facts) -> str:
    """A walk's inputs as text ("" when they cannot be written so: no content lookup)."""
    try:
        return json.dumps(
            [state.answers, state.context, facts],
            sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr,
        )  # fmt: skip
    except (TypeError, ValueError):
        return ""


_MEMO = _WalkMemo()


def _walk(
    flow: Flow, state: FlowState, facts: Facts
) -> tuple[list[StepSpec], dict[str, dict[str, Any]]]:
    """Walk the steps in order: which apply, and the facts their answers make (memoised)."""
    return _MEMO.walk(flow, state, facts)


def _walk_fresh(
    flow: Flow, state: FlowState, facts: Facts
) -> tuple[list[StepSpec], dict[str, dict[str, Any]]]:
    """Walk the steps in order: which apply, and the facts their answers make.

    A step applies when its condition holds given the answers before it. Skipped answers
    are left out of the facts so that ``is defined`` means "the founder told us".
    """
    merged: dict[str, dict[str, Any]] = {key: dict(value) for key, value in facts.items()}
    # `last.<flow>`: what the founder said in their previous run of this flow (last week's
    # metric); `context`: what the run was started about (the commitment a check-in asks on)
    # (a run that corrects an earlier one carries the run before that as its own `last`)
    last = state.context["last"] if "last" in state.context else facts.get(flow.id, {})
    merged["last"] = {flow.id: dict(last)}
    merged["context"] = dict(state.context)
    own: dict[str, Any] = {}
    merged[flow.id] = own
    steps: list[StepSpec] = []
    stale = False  # an answer came since the derived values were last worked out
    for step in flow.spec.steps:
        if step.when is not None and stale:
            _derive(flow, merged, own)
            stale = False
        if not condition(step.when, merged):
            continue
        steps.append(step)
        value = state.answers.get(step.id)
        if value is None or not step.asks:
            continue
        own[step.id] = value
        if step.shares:
            shared_flow, shared_step = step.shares.split(".", 1)
            merged.setdefault(shared_flow, {})[shared_step] = value
        stale = bool(flow.spec.derived)
    if stale:
        _derive(flow, merged, own)
    return steps, merged


def _derive(flow: Flow, merged: dict[str, dict[str, Any]], own: dict[str, Any]) -> None:
    """Work out the flow's derived values from the answers so far, in their order.

    Done only when something reads them (a step's condition, or the walk's end), not after
    every answer: the same values, for a fraction of the expressions (issue #14).
    """
    for name, source in flow.spec.derived.items():
        derived = json_value(evaluate(source, merged))
        if derived is FAILED or derived is None:
            own.pop(name, None)
        else:
            own[name] = derived


def run_facts(flow: Flow, state: FlowState, facts: Facts) -> dict[str, dict[str, Any]]:
    """The founder's facts with this run's applicable answers and derived values laid over."""
    return _walk(flow, state, facts)[1]


def path(flow: Flow, state: FlowState, facts: Facts) -> list[StepSpec]:
    """The steps that apply to this founder now, in order (review included)."""
    return _walk(flow, state, facts)[0]


def asked_answers(flow: Flow, state: FlowState, facts: Facts) -> dict[str, Any]:
    """The answers of the questions this run asks (``None``: asked and skipped).

    A conditional question that does not apply is absent, even if an earlier edit left an
    answer to it in the state: it was not asked, which is not the same as skipped.
    """
    return {
        step.id: state.answers[step.id]
        for step in path(flow, state, facts)
        if step.asks and step.id in state.answers
    }


# ---------------------------------------------------------------- transitions


def start(
    flow: Flow,
    facts: Facts,
    *,
    context: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Transition:
    """Begin a new run at the first applicable unanswered step.

    ``context``: what the run is about; ``answers``: answers it starts with (a correction
    of an earlier run starts with that run's answers and so opens at the review).
    """
    state = FlowState(
        flow_id=flow.id,
        version=flow.spec.version,
        context=dict(context or {}),
        answers=dict(answers or {}),
    )
    return _go_next(flow, state, facts, saved=())


def current_prompt(flow: Flow, state: FlowState, facts: Facts) -> Prompt | None:
    """The prompt for the step the run is at (to show again after a restart or /menu)."""
    if state.status is not RunStatus.ACTIVE or state.step_id is None:
        return None
    return _prompt(flow, state, facts, flow.step(state.step_id))


def advance(
    flow: Flow, state: FlowState, event: Event, facts: Facts, *, today: date | None = None
) -> Transition:
    """Apply one founder input to a run (``today``: the founder's local date, for dates)."""
    if state.status is not RunStatus.ACTIVE or state.step_id is None:
        return Transition(state=state, prompt=None, notice=Notice("run_over"))
    step = flow.step(state.step_id)
    if isinstance(event, Back):
        return _back(flow, state, facts, step)
    if step.kind is StepKind.REVIEW:
        return _review(flow, state, event, facts, step)
    if isinstance(event, Skip) or _is_keep_word(flow, event, step, state, facts):
        return _skip(flow, state, facts, step)
    merged = run_facts(flow, state, facts)
    try:
        value = parse_answer(
            flow, step, event, _default(flow, step, facts), facts=merged, today=today
        )
    except InvalidAnswer as exc:
        notice = Notice(exc.code, exc.params)
        try:
            taken = _alternative(flow, state, facts, step, event, merged, today)
        except InvalidAnswer as understood:  # read as the other step's answer, but refused
            notice, taken = Notice(understood.code, understood.params), None
        return taken or _stay(flow, state, facts, step, notice)
    transition = _answer(flow, state, facts, step, value)
    if step.unit is Unit.MONEY and isinstance(event, TextAnswer):
        currency = typed_currency(event.text)  # "450k CAD": the founder works in CAD
        if currency:
            transition = replace(transition, profile={**transition.profile, "currency": currency})
    return transition


# Codes that mean "this is not that kind of answer at all" rather than "close, but no".
_NOT_UNDERSTOOD = frozenset(
    {"empty", "not_a_date", "not_a_number", "not_a_time", "unknown_option", "no_such_number",
     "unknown_timezone", "not_scale", "no_suffix", "unknown_command"}
)  # fmt: skip


def _alternative(
    flow: Flow,
    state: FlowState,
    facts: Facts,
    step: StepSpec,
    event: Event,
    merged: Facts,
    today: date | None,
) -> Transition | None:
    """Text that is no option of ``step`` but answers its ``alternative`` step: both answered.

    ``明天`` at "when should I check in?" is "on a date" and that date. Raises the other
    step's refusal when the text reads as its kind of answer but is refused (a past date).
    """
    if step.alternative is None or not isinstance(event, TextAnswer):
        return None
    target = flow.step(step.alternative.step)
    try:
        value = parse_answer(flow, target, event, None, facts=merged, today=today)
    except InvalidAnswer as exc:
        if exc.code in _NOT_UNDERSTOOD:
            return None
        raise
    option = step.alternative.option
    answers = {**state.answers, step.id: option, target.id: value}
    saved = (
        SavedAnswer(step.id, option, step.id in state.answers),
        SavedAnswer(target.id, value, target.id in state.answers),
    )
    new_state = state.model_copy(update={"answers": answers})
    return _go_next(flow, new_state, facts, saved=saved)


OTHER = "other"
"""The option for anything the list does not name ("Elsewhere", "Something else")."""


@contextmanager
def _pointing_to_other(options: Sequence[str]) -> Iterator[None]:
    """An answer the list does not know ("Japan" at "where do you sell?") is told the number
    of the list's catch-all option, where there is one, instead of only being refused."""
    try:
        yield
    except InvalidAnswer as exc:
        if exc.code == "unknown_option" and OTHER in options:
            exc.params["other"] = list(options).index(OTHER) + 1
        raise


def parse_answer(
    flow: Flow,
    step: StepSpec,
    event: Event,
    default: Any = None,
    *,
    facts: Facts | None = None,
    today: date | None = None,
) -> Any:
    """Turn an event into the value a step stores; raises :class:`InvalidAnswer`."""
    if step.options_from is not None:
        return _parse_dynamic(step, event, facts or {})
    if isinstance(event, Choose):
        return _parse_choice_ids(step, event.option_ids, default, key=f"{flow.id}.{step.id}")
    assert isinstance(event, TextAnswer)
    text = event.text
    if text.strip().startswith("/"):
        raise InvalidAnswer("unknown_command", command=text.strip().split()[0][:32])
    if default is not None and _key_word(text) in KEEP_WORDS:
        return default
    labels = flow.option_labels(step.id) if step.options else {}
    match step.kind:
        case StepKind.TEXT:
            return parse_text(text, step)
        case StepKind.NUMBER:
            return parse_number(text, step)
        case StepKind.CHOICE if step.any_time:
            try:
                return match_option(text, step.options, labels)
            except InvalidAnswer:
                try:
                    return time_answer(text, step.options)  # 9点, 下午3点, 9am, 21:30
                except InvalidAnswer:
                    pass
                raise
        case StepKind.CHOICE:
            ids = option_ids(step, facts or {})
            with _pointing_to_other(ids):
                return match_option(text, ids, labels)
        case StepKind.MULTI:
            with _pointing_to_other(step.options):
                return parse_multi(text, step, labels, key=f"{flow.id}.{step.id}")
        case StepKind.YESNO:
            return parse_yesno(text, {})
        case StepKind.SCALE:
            return parse_scale(text)
        case StepKind.TIMEZONE:
            return parse_timezone(text)
        case StepKind.DATE:
            return parse_date(text, today)
    raise InvalidAnswer("unknown_option", count=0)  # pragma: no cover - review handled earlier


def option_ids(step: StepSpec, facts: Facts) -> tuple[str, ...]:
    """The options of a question, in the order they are shown and numbered.

    The one definition every channel uses: the presenter numbers and labels these, a typed
    number picks from them, and a button's position in callback data indexes them. Keeping
    an earlier answer is not an option (it would shift the numbers): it is /skip, the
    "keep" word, or the keep button.
    """
    if step.options_from is not None:
        return dynamic_ids(len(dynamic_options(step, facts)))
    match step.kind:
        case StepKind.CHOICE | StepKind.MULTI:
            return step.options
        case StepKind.YESNO:
            return YESNO_OPTIONS
        case StepKind.SCALE:
            return SCALE_OPTIONS
    return ()


def dynamic_options(step: StepSpec, facts: Facts) -> list[str]:
    """The options of an ``options_from`` step: the texts its expression lists (may be none)."""
    if step.options_from is None:
        return []
    items = evaluate(step.options_from, facts)
    if not isinstance(items, list | tuple):
        return []
    return [str(item) for item in items if isinstance(item, str | int | float)]


def dynamic_ids(count: int) -> tuple[str, ...]:
    """Positional ids for dynamic options (``item1``, ``item2``, ...)."""
    return tuple(f"item{index}" for index in range(1, count + 1))


def _parse_dynamic(step: StepSpec, event: Event, facts: Facts) -> Any:
    """Answer an ``options_from`` step; the chosen *texts* are stored (positions may change)."""
    items = dynamic_options(step, facts)
    ids = dynamic_ids(len(items))
    concrete = step.model_copy(update={"options": ids, "options_from": None})
    labels = {option: (item,) for option, item in zip(ids, items, strict=True)}
    if isinstance(event, Choose):
        if not all(option in ids for option in event.option_ids):
            raise InvalidAnswer("stale_button")
        chosen: Any = (
            validate_multi(event.option_ids, concrete)
            if step.kind is StepKind.MULTI
            else _single(event.option_ids, ids)
        )
    else:
        assert isinstance(event, TextAnswer)
        if event.text.strip().startswith("/"):
            raise InvalidAnswer("unknown_command", command=event.text.strip().split()[0][:32])
        if step.kind is StepKind.MULTI:
            chosen = parse_multi(event.text, concrete, labels)
        else:
            chosen = match_option(event.text, ids, labels)
    by_id = dict(zip(ids, items, strict=True))
    return [by_id[option] for option in chosen] if isinstance(chosen, list) else by_id[chosen]


def _single(option_ids: Sequence[str], ids: Sequence[str]) -> str:
    if len(option_ids) != 1 or option_ids[0] not in ids:
        raise InvalidAnswer("stale_button")
    return option_ids[0]


def _parse_choice_ids(
    step: StepSpec, ids: Sequence[str], default: Any, *, key: str | None = None
) -> Any:
    match step.kind:
        case StepKind.CHOICE if len(ids) == 1 and ids[0] in step.options:
            return ids[0]
        case StepKind.MULTI if all(option in step.options for option in ids):
            return validate_multi(ids, step, key=key)
        case StepKind.YESNO if len(ids) == 1 and ids[0] in YESNO_OPTIONS:
            return ids[0] == "yes"
        case StepKind.SCALE if len(ids) == 1 and ids[0] in SCALE_OPTIONS:
            return int(ids[0])
    raise InvalidAnswer("stale_button")


def _answer(flow: Flow, state: FlowState, facts: Facts, step: StepSpec, value: Any) -> Transition:
    replaces = step.id in state.answers
    answers = {**state.answers, step.id: value}
    new_state = state.model_copy(update={"answers": answers})
    profile = {step.profile: value} if step.profile else {}
    saved = (SavedAnswer(step.id, value, replaces),)
    return _go_next(flow, new_state, facts, saved=saved, profile=profile)


def _is_keep_word(
    flow: Flow, event: Event, step: StepSpec, state: FlowState, facts: Facts
) -> bool:
    """Whether the founder typed "keep" on a question that has something to keep."""
    if not isinstance(event, TextAnswer) or _key_word(event.text) not in KEEP_WORDS:
        return False
    return state.answers.get(step.id) is not None or _default(flow, step, facts) is not None


def _key_word(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .。!！")


def _skip(flow: Flow, state: FlowState, facts: Facts, step: StepSpec) -> Transition:
    if step.id in state.answers:  # back to an answered question: /skip keeps the answer
        return _go_next(flow, state, facts, saved=())
    default = _default(flow, step, facts)
    if default is not None:
        return _answer(flow, state, facts, step, default)
    if not step.optional:
        return _stay(flow, state, facts, step, Notice("cannot_skip"))
    return _answer(flow, state, facts, step, None)


def _back(flow: Flow, state: FlowState, facts: Facts, step: StepSpec) -> Transition:
    steps = path(flow, state, facts)
    ids = [s.id for s in steps]
    position = ids.index(step.id) if step.id in ids else len(ids)
    earlier = [s for s in steps[:position] if s.asks]
    if not earlier:
        return _stay(flow, state, facts, step, Notice("at_first_step"))
    target = earlier[-1]
    new_state = state.model_copy(update={"step_id": target.id})
    return Transition(state=new_state, prompt=_prompt(flow, new_state, facts, target))


def _review(
    flow: Flow, state: FlowState, event: Event, facts: Facts, step: StepSpec
) -> Transition:
    options = review_options(flow, state, facts)
    try:
        if isinstance(event, Choose):
            if len(event.option_ids) != 1 or event.option_ids[0] not in options:
                raise InvalidAnswer("stale_button")
            chosen = event.option_ids[0]
        elif isinstance(event, Skip):
            raise InvalidAnswer("cannot_skip")
        else:
            assert isinstance(event, TextAnswer)
            if event.text.strip().startswith("/"):
                raise InvalidAnswer("unknown_command", command=event.text.strip().split()[0][:32])
            chosen = match_option(event.text, options, review_labels(flow, options))
    except InvalidAnswer as exc:
        return _stay(flow, state, facts, step, Notice(exc.code, exc.params))
    if chosen == CONFIRM:
        done = state.model_copy(update={"status": RunStatus.COMPLETED, "step_id": None})
        return Transition(state=done, prompt=None)
    target = flow.step(chosen)
    new_state = state.model_copy(update={"step_id": target.id})
    return Transition(state=new_state, prompt=_prompt(flow, new_state, facts, target))


def review_options(flow: Flow, state: FlowState, facts: Facts) -> tuple[str, ...]:
    """The review's options: confirm first, then every answered applicable step."""
    answered = [s.id for s in path(flow, state, facts) if s.asks and s.id in state.answers]
    return (CONFIRM, *answered)


# Saying the review is right: a yes ("对", "没问题", "yes"), or the confirm button's words
_CONFIRM_WORDS = (*sorted(YES_WORDS), "done", "确认", "looks right", "looks good", "all good",
                  "save", "save it", "looks right, save it", "保存", "确认保存", "都对",
                  "没问题，保存", "对的，保存")  # fmt: skip


def review_labels(flow: Flow, options: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Words that pick a review option: a yes or 'save' confirms; a step's id or its short
    name as the review lists it ("Price", "称呼"), in either language, edits that step."""
    labels: dict[str, tuple[str, ...]] = {CONFIRM: _CONFIRM_WORDS}
    for option in options[1:]:
        shorts = tuple(
            texts.steps[option].short
            for texts in flow.texts.values()
            if option in texts.steps and texts.steps[option].short
        )
        labels[option] = (option.replace("_", " "), *shorts)
    return labels


def _go_next(
    flow: Flow,
    state: FlowState,
    facts: Facts,
    *,
    saved: tuple[SavedAnswer, ...],
    profile: Mapping[str, Any] | None = None,
) -> Transition:
    for step in path(flow, state, facts):
        if step.kind is StepKind.REVIEW or step.id not in state.answers:
            new_state = state.model_copy(update={"step_id": step.id})
            return Transition(
                state=new_state,
                prompt=_prompt(flow, new_state, facts, step),
                saved=saved,
                profile=profile or {},
            )
    done = state.model_copy(update={"status": RunStatus.COMPLETED, "step_id": None})
    return Transition(state=done, prompt=None, saved=saved, profile=profile or {})


def _stay(
    flow: Flow, state: FlowState, facts: Facts, step: StepSpec, notice: Notice
) -> Transition:
    return Transition(state=state, prompt=_prompt(flow, state, facts, step), notice=notice)


def _default(flow: Flow, step: StepSpec, facts: Facts) -> Any:
    """The value a question offers to keep (see :func:`_offered`)."""
    return _offered(flow, step, facts)[0]


def _offered(flow: Flow, step: StepSpec, facts: Facts) -> tuple[Any, bool]:
    """The value a question offers to keep, and whether it is only ``suggest``-ed.

    A shared fact; else (``prefill``) the last run's answer; else a fact of another flow
    that already answers the question (``suggest``), which the founder has not given *here*
    and so is shown as where it came from, not as "your answer so far".
    """
    value: Any = None
    if step.shares:
        shared_flow, shared_step = step.shares.split(".", 1)
        value = facts.get(shared_flow, {}).get(shared_step)
    elif flow.spec.prefill and step.asks and step.options_from is None:
        value = facts.get(flow.id, {}).get(step.id)
    if value is not None:
        return (value, False) if _still_valid(step, value) else (None, False)
    if step.suggest:
        source_flow, fact = step.suggest.split(".", 1)
        value = facts.get(source_flow, {}).get(fact)
        if value is not None and _still_valid(step, value) and _within(step, value):
            return value, True
    return None, False


def _within(step: StepSpec, value: Any) -> bool:
    """Whether a suggested number is one the step would take (a fact may be out of range)."""
    if step.kind is not StepKind.NUMBER:
        return True
    return (step.min is None or value >= step.min) and (step.max is None or value <= step.max)


def _still_valid(step: StepSpec, value: Any) -> bool:
    """Whether an old answer is still an answer to this step (options may have changed)."""
    match step.kind:
        case StepKind.CHOICE:
            return value in step.options
        case StepKind.MULTI:
            return isinstance(value, list) and all(item in step.options for item in value)
        case StepKind.YESNO:
            return isinstance(value, bool)
        case StepKind.SCALE:
            return isinstance(value, int) and 1 <= value <= 5
        case StepKind.NUMBER:
            return isinstance(value, int | float) and not isinstance(value, bool)
    return value is not None


def _prompt(flow: Flow, state: FlowState, facts: Facts, step: StepSpec) -> Prompt:
    steps = path(flow, state, facts)
    asking = [s for s in steps if s.asks]
    ids = [s.id for s in asking]
    index = ids.index(step.id) + 1 if step.id in ids else len(ids)
    undecided = _undecided(flow, state, steps)
    default, suggested = _offered(flow, step, facts)
    return Prompt(
        step_id=step.id,
        kind=step.kind,
        progress=(index, len(ids) + len(undecided)),
        current=state.answers.get(step.id),
        default=default,
        suggested=suggested,
        optional=step.optional,
        open_total=bool(undecided),
    )


def _undecided(flow: Flow, state: FlowState, steps: Sequence[StepSpec]) -> list[StepSpec]:
    """Steps left out now that may still be asked: their condition reads an answer to come.

    An answer "to come" belongs to a question that applies or may itself still apply, so a
    step hanging off one that can no longer be asked is not counted.
    """
    applicable = {step.id for step in steps}
    pending = {step.id for step in steps if step.asks and step.id not in state.answers}
    found: list[StepSpec] = []
    seen: set[str] = set()  # found steps' ids (comparing the steps themselves is slow)
    grew = True
    while grew:
        grew = False
        names = pending | set(flow.spec.derived) if pending else set()
        for step in flow.spec.steps:
            if step.id in applicable or step.id in seen or not step.asks or step.when is None:
                continue
            if any(
                owner == flow.id and name in names for owner, name in referenced_facts(step.when)
            ):
                found.append(step)
                seen.add(step.id)
                pending.add(step.id)
                grew = True
    return found
