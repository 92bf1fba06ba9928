"""Render every template in every locale in the states a founder can really be in.

Catches what loading cannot: a template naming a fact that does not exist, or one the
founder may not have given yet; a filter misused; markup that Telegram would reject. Used
by ``founder-coach flows check`` and at start-up, so a broken template stops the coach
before a founder meets it.

Each template is rendered with the flows' ``preview`` facts (a founder who has answered
everything), and then in the states the engine can really produce for a founder (see
:func:`flow_states`): other flows not done yet (except those the flow ``requires``), the
first run of a flow (no ``last.<flow>``), each optional step skipped, each answer that
turns a conditional step off, and for a question, only the answers given before it. A
rule's words are only rendered where its condition holds, an assessment reason with the
score its dimension really gets. A template is rendered once per distinct set of the
facts it reads, which keeps the check fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from bot.engine.advice import Score, assess
from bot.engine.claims import chosen_offers, contradictions
from bot.engine.expressions import condition
from bot.engine.machine import path, run_facts
from bot.engine.spec import RuleSpec, StepKind, StepSpec
from bot.engine.state import FlowState
from bot.errors import Problem, RenderError
from bot.rendering.listening import free_text_matching_problems
from bot.rendering.markup import Target
from bot.rendering.renderer import Renderer
from bot.rendering.wording import wording_problems

if TYPE_CHECKING:
    from pathlib import Path

    from bot.engine.flow import Flow
    from bot.engine.loader import Catalog

TELEGRAM_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "strong", "em", "ins", "del",
                 "strike", "tg-spoiler", "blockquote", "span"}  # fmt: skip
RUN_NAMES = ("last", "context")  # names a run adds besides flow ids (see bot.engine.machine)


class _TagCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.bad.append(f"<{tag}> is not allowed by Telegram")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.bad.append(f"</{tag}> does not close the open tag")
        else:
            self.stack.pop()


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would reject ``text`` in HTML parse mode (empty if it would not)."""
    checker = _TagCheck()
    checker.feed(text)
    checker.close()
    return checker.bad + [f"<{tag}> is never closed" for tag in checker.stack]


def _strings(tree: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every text in a nested mapping, with its dotted key."""
    if isinstance(tree, str):
        return [(prefix, tree)]
    if not isinstance(tree, dict):
        return []
    found: list[tuple[str, str]] = []
    for key, value in tree.items():
        found += _strings(value, f"{prefix}.{key}" if prefix else str(key))
    return found


def preview_facts(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Every flow's preview facts merged: a founder who has answered everything.

    A flow's own preview wins for its own facts; what other flows' previews say about it
    only fills gaps (so ``team``'s sample of ``funding.burn`` cannot change funding's).
    """
    merged: dict[str, dict[str, Any]] = {}
    for flow in catalog.flows.values():
        for flow_id, values in flow.spec.preview.items():
            if flow_id != flow.id:
                target = merged.setdefault(flow_id, {})
                for name, value in values.items():
                    target.setdefault(name, value)
    for flow in catalog.flows.values():
        merged.setdefault(flow.id, {}).update(flow.spec.preview.get(flow.id, {}))
    return merged


# ---------------------------------------------------------------- states


_MISSING = object()


@dataclass
class State:
    """Facts a template can meet, and how the founder got there (``label``, for problems)."""

    label: str
    facts: dict[str, Any]
    _prints: dict[str, str] = field(default_factory=dict, repr=False)

    def print_of(self, name: str, attr: str = "") -> str:
        """A fingerprint of what ``name`` (or ``name.attr``) holds, to render once per value."""
        key = f"{name}.{attr}"
        found = self._prints.get(key)
        if found is None:
            value = self.facts.get(name, _MISSING)
            if attr == _EXISTS:
                value = value is not _MISSING
            elif attr and isinstance(value, dict):
                value = value.get(attr, _MISSING)
            found = self._prints[key] = repr(value)
        return found


@dataclass
class RunStates:
    """One way a run of a flow can go: its facts at the end, and before each question."""

    label: str
    end: State
    asked: list[StepSpec]  # the steps it asks, in order
    before: Callable[[StepSpec], State]  # the facts when one of them is asked


@dataclass
class FlowStates:
    """The states a flow's templates are rendered in."""

    starts: list[State]  # a run just started: the intro
    runs: list[RunStates]


def _sample(step: StepSpec, known: Any) -> Any:
    """An answer to a step the preview does not give (one a founder could give)."""
    if known is not None:
        return known
    match step.kind:
        case StepKind.CHOICE:
            return step.options[0] if step.options else None
        case StepKind.MULTI:
            return [step.options[0]] if step.options else []
        case StepKind.NUMBER:
            low = step.min if step.min is not None else 0
            return max(low, min(1, step.max if step.max is not None else 1))
        case StepKind.YESNO:
            return True
        case StepKind.SCALE:
            return 3
        case StepKind.DATE:
            return "2030-01-31"
        case StepKind.TIMEZONE:
            return "UTC"
    return "A sample answer"


def _alternatives(step: StepSpec) -> Iterator[tuple[str, Any]]:
    """Other answers a founder can give to a step: (how to say it, value)."""
    if step.optional:
        yield "skipped", None
    match step.kind:
        case StepKind.CHOICE if step.options:
            for option in step.options:
                yield f"= {option}", option
        case StepKind.MULTI:
            if step.min_choices == 0:
                yield "= []", []
            for option in step.options:
                yield f"= [{option}]", [option]
            if len(step.options) > 1:
                every = list(step.options[: step.choice_limit])
                yield f"= [{', '.join(every)}]", every
        case StepKind.YESNO:
            yield "= yes", True
            yield "= no", False
        case StepKind.SCALE:
            yield "= 1", 1
            yield "= 5", 5
        case StepKind.NUMBER:
            lowest = step.min if step.min is not None else 0
            for value in sorted({lowest, 0} if lowest <= 0 <= (step.max or 0) else {lowest}):
                number = int(value) if float(value).is_integer() else value
                yield f"= {number}", number


def referenced_roots(flow: Flow) -> set[str]:
    """Top-level names (flow ids, ``last``, ``context``) any of a flow's sources reads."""
    return {name for name, _ in _flow_reads(flow)}


def _flow_reads(flow: Flow) -> frozenset[tuple[str, str]]:
    """What any of a flow's sources reads, as ``(name, attribute)`` (see :func:`_reads`)."""
    pairs: set[tuple[str, str]] = set()
    for source in _flow_sources(flow):
        pairs |= _reads(source)
    whole = {name for name, attr in pairs if not attr}
    return frozenset((name, attr) for name, attr in pairs if not attr or name not in whole)


def _flow_sources(flow: Flow) -> Iterator[str]:
    """Every template of a flow, and its expressions as templates (``{{ … }}``)."""
    spec = flow.spec
    expressions = [step.when or "" for step in spec.steps]
    expressions += [step.options_from or "" for step in spec.steps]
    expressions += [*spec.derived.values(), *(rule.when for rule in spec.rules)]
    expressions += [dim.score for dim in spec.assessment]
    yield from ("{{ " + source + " }}" for source in expressions if source)
    for texts in flow.texts.values():
        yield from (texts.intro, texts.done)
        for words in texts.steps.values():
            yield from (words.prompt, words.hint or "")
        for rule in texts.rules.values():
            yield from (rule.title, rule.text, rule.why, *rule.commitments.values())
        yield from (dim.reason for dim in texts.assessment.values())


_TAGS = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.DOTALL)
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
_DOT_OR_PIPE = re.compile(r"\s*([.|])\s*")
_TESTED = re.compile(r"(?<![\w.|])([A-Za-z_]\w*)\s+is\s+(?:not\s+)?defined\b")
_EXISTS = "?"  # the attribute of a name whose only use is "is defined"
_NAME = re.compile(r"(?<![\w.|])([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")


def _reads(source: str) -> frozenset[tuple[str, str]]:
    """What a template may read: ``(name, attribute)``, or ``(name, "")`` for all of it.

    A quick scan, not a parse: identifiers in tags not after ``.`` or ``|``, with the
    attribute read from them if any. It may list a loop variable or a keyword too, which
    only means a template is rendered more often than it needs to be.
    """
    code = " ".join(a or b for a, b in _TAGS.findall(source))
    code = _DOT_OR_PIPE.sub(r"\1", _STRING.sub(" ", code))
    tested = set(_TESTED.findall(code))  # `funding is defined` reads only whether it is there
    pairs = set(_NAME.findall(_TESTED.sub(" ", code))) | {(name, _EXISTS) for name in tested}
    whole = {name for name, attr in pairs if not attr}
    return frozenset((name, "" if name in whole else attr) for name, attr in pairs)


class StatePlanner:
    """Works out the states a founder can be in, for every flow of a catalog."""

    def __init__(self, catalog: Catalog, preview: dict[str, dict[str, Any]]) -> None:
        self.catalog = catalog
        self.preview = preview
        self.context = dict(preview.get("context", {}))
        self._full = {fid: dict(v) for fid, v in preview.items() if fid in catalog.flows}
        self._variant_runs: dict[str, list[RunStates]] = {}

    def background(self, flow: Flow) -> dict[str, Any]:
        """Every flow done as in the preview; this flow's previous run as ``last``."""
        last = self.preview.get("last", {})
        previous = last.get(flow.id, self._full.get(flow.id, {}))
        return {**self._full, flow.id: dict(previous)}

    def answers(self, flow: Flow) -> dict[str, Any]:
        """The preview's answers to this flow's steps."""
        given = self.preview.get(flow.id, {})
        steps = flow.spec.steps
        return {s.id: given[s.id] for s in steps if s.asks and given.get(s.id) is not None}

    def variants(self, flow: Flow) -> list[tuple[str, dict[str, Any]]]:
        """The preview's answers, and each way of changing one of them (or skipping)."""
        answers = self.answers(flow)
        variants: list[tuple[str, dict[str, Any]]] = [("", answers)]
        optional = [step.id for step in flow.spec.steps if step.asks and step.optional]
        if len(optional) > 1:
            skipped = ", ".join(f"{flow.id}.{step_id}" for step_id in optional)
            variants.append((f"{skipped} skipped", {**answers, **dict.fromkeys(optional)}))
        for step in flow.spec.steps:
            for how, value in _alternatives(step):
                if value != answers.get(step.id) or (value is None and step.id in answers):
                    variants.append((f"{flow.id}.{step.id} {how}", {**answers, step.id: value}))
        return variants

    def variant_runs(self, flow: Flow) -> list[RunStates]:
        """Each variant of the answers, on the preview's background (cached)."""
        if flow.id not in self._variant_runs:
            known = self.background(flow)
            self._variant_runs[flow.id] = [
                self.run(flow, known, given, how) for how, given in self.variants(flow)
            ]
        return self._variant_runs[flow.id]

    def flow_states(self, flow: Flow) -> FlowStates:
        """The states a founder can be in when this flow's words are shown.

        Backgrounds (what the founder did before): every flow done as in the preview; each
        flow the templates read and the flow does not ``require`` not done; only the
        required flows done; a first run of this flow (no ``last``); and each flow it reads
        done with other answers (an optional step skipped, a value that leaves a derived
        value out...). Answers: the preview's, each optional step skipped, and each step
        answered each other way it can be, which turns conditional steps on and off (a
        step turned on gets a sample answer). The engine (:func:`run_facts`) computes the
        facts, derived values included.
        """
        catalog = self.catalog
        required = set(catalog.required_flows(flow.id))
        roots = referenced_roots(flow)
        read_flows = roots & set(catalog.flows) - {flow.id}
        full = self.background(flow)
        backgrounds: list[tuple[str, dict[str, Any]]] = [("", full)]
        if "last" in roots:
            first = {fid: v for fid, v in full.items() if fid != flow.id}
            backgrounds.append((f"first run of {flow.id} (no last.{flow.id})", first))
        for other in sorted(read_flows - required):
            rest = {fid: v for fid, v in full.items() if fid != other}
            backgrounds.append((f"{other} not done", rest))
        done = ", ".join(sorted(required)) if required else "no other flow"
        minimal = f"only {done} done, first run of {flow.id}"
        backgrounds.append((minimal, {fid: v for fid, v in full.items() if fid in required}))
        for other in sorted(read_flows) + (["last"] if "last" in roots else []):
            if other == "last":  # the previous run of this flow, answered otherwise
                for run in self.variant_runs(flow):
                    previous = run.end.facts.get(flow.id, {})
                    label = f"last {flow.id} run with {run.label}"
                    backgrounds.append((label, {**full, flow.id: previous}))
                continue
            for run in self.variant_runs(catalog.flows[other]):
                if run.label:
                    stored = run.end.facts.get(other, {})
                    backgrounds.append((f"{other} done with {run.label}", {**full, other: stored}))
        backgrounds = _distinct(backgrounds, _flow_reads(flow))

        starts = [
            State(
                "; ".join(x for x in (f"{flow.id} just started", label) if x),
                run_facts(flow, _state(flow, {}, self.context), known),
            )
            for label, known in backgrounds
        ]
        runs = list(self.variant_runs(flow))  # every variant on the preview's background
        answers = self.answers(flow)
        for label, known in backgrounds[1:]:
            # every variant with only the required flows done; the preview's answers else
            chosen = self.variants(flow) if label == minimal else [("", answers)]
            runs += [
                self.run(flow, known, given, "; ".join(x for x in (label, how) if x))
                for how, given in chosen
            ]
        return FlowStates(starts=starts, runs=runs)

    def run(
        self, flow: Flow, known: dict[str, Any], given: dict[str, Any], label: str
    ) -> RunStates:
        """A completed run with these answers; a step turned on without one gets a sample."""
        context = self.context
        fallback = self.preview.get(flow.id, {})
        answers = dict(given)
        while True:
            state = _state(flow, answers, context)
            asked = [step for step in path(flow, state, known) if step.asks]
            missing = [step for step in asked if step.id not in answers]
            if not missing:
                break
            step = missing[0]  # a step this answer turned on
            answers[step.id] = _sample(step, fallback.get(step.id))
        end = State(label or "the preview's answers", run_facts(flow, state, known))
        cache: dict[str, State] = {}

        def before(step: StepSpec) -> State:
            if step.id not in cache:
                ids = [s.id for s in asked]
                earlier = {i: answers[i] for i in ids[: ids.index(step.id)] if i in answers}
                facts = run_facts(flow, _state(flow, earlier, context), known)
                where = f"asking {flow.id}.{step.id}, only the answers before it"
                cache[step.id] = State("; ".join(x for x in (where, label) if x), facts)
            return cache[step.id]

        return RunStates(label=label, end=end, asked=asked, before=before)


def _distinct(
    backgrounds: list[tuple[str, dict[str, Any]]], reads: frozenset[tuple[str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    """Backgrounds that differ in something the flow reads (the first of equal ones kept)."""
    seen: set[tuple[str, ...]] = set()
    kept: list[tuple[str, dict[str, Any]]] = []
    for label, known in backgrounds:
        state = State(label, known)
        key = tuple(state.print_of(name, attr) for name, attr in sorted(reads))
        if key not in seen:
            seen.add(key)
            kept.append((label, known))
    return kept


def _state(flow: Flow, answers: dict[str, Any], context: dict[str, Any]) -> FlowState:
    return FlowState(flow_id=flow.id, version=flow.spec.version, answers=answers, context=context)


# ---------------------------------------------------------------- rendering


class _Renders:
    """Renders templates over states, each distinct case once, each problem once."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.problems: list[Problem] = []
        self._done: set[tuple[Any, ...]] = set()
        self._failed: set[tuple[str, str]] = set()
        self._reads: dict[str, frozenset[tuple[str, str]]] = {}
        self._holds: dict[tuple[str, ...], bool] = {}

    def reads(self, source: str) -> frozenset[tuple[str, str]]:
        """What a template reads (cached)."""
        found = self._reads.get(source)
        if found is None:
            found = self._reads[source] = _reads(source) if "{" in source else frozenset()
        return found

    def holds(self, expression: str, state: State) -> bool:
        """Whether a condition holds in a state (evaluated once per distinct facts read)."""
        source = "{{ " + expression + " }}"
        key = (source, *(state.print_of(name, attr) for name, attr in sorted(self.reads(source))))
        found = self._holds.get(key)
        if found is None:
            found = self._holds[key] = condition(expression, state.facts)
        return found

    def consistency(
        self, flow: Flow, state: State, fired: list[RuleSpec], scores: list[Score]
    ) -> None:
        """A score and an advice item never disagree; an alternative is never the answer given.

        Each problem is reported once per flow (the first state that shows it).
        """
        found = [str(c) for c in contradictions(flow, state.facts, fired, scores)]
        found += [str(c) for c in chosen_offers(flow, state.facts, fired)]
        for text in found:
            key = (flow.source, text)
            if key not in self._failed:
                self._failed.add(key)
                self.problems.append(Problem(flow.source, "advice", f"{text} ({state.label})"))

    def names(self, source: str) -> set[str]:
        """The top-level names a template reads."""
        return {name for name, _ in self.reads(source)}

    def attempt(
        self,
        file: str,
        where: str,
        source: str,
        locale: str,
        state: State,
        *,
        preview: bool = False,
        **extra: Any,
    ) -> None:
        if (file, where) in self._failed:
            return
        key = (
            source,
            locale,
            tuple(
                repr(extra[name]) if name in extra else state.print_of(name, attr)
                for name, attr in sorted(self.reads(source))
            ),
        )
        if key in self._done:
            return
        self._done.add(key)
        state_note = "" if preview else f" ({state.label})"
        for target in (Target.HTML, Target.PLAIN) if preview else (Target.HTML,):
            try:
                text = self.renderer.render(
                    source, {**state.facts, **extra}, locale=locale, target=target
                )
            except RenderError as exc:
                self._failed.add((file, where))
                self.problems.append(Problem(file, where, f"does not render{state_note}: {exc}"))
                return
            if target is Target.HTML:
                bad = telegram_html_problems(text)
                if bad:
                    self._failed.add((file, where))
                    self.problems += [Problem(file, where, f"{b}{state_note}") for b in bad]
                    return


def check_templates(
    catalog: Catalog, content_dir: Path, *, thorough: bool = True
) -> list[Problem]:
    """Render each template of each flow and the UI in each locale, in reachable states.

    ``thorough=False`` (the bot's start-up) compiles every template and renders each once
    with every question answered: enough to refuse content that cannot render, in about a
    second. The reachable states, score/advice consistency and wording rules take several
    times longer and belong to ``founder-coach flows check``, which CI runs on every change.
    """
    renderer = Renderer(catalog)
    renders = _Renders(renderer)
    preview = State("preview", preview_facts(catalog))

    for locale, strings in catalog.ui.items():
        for key, source in _strings(strings):
            try:
                renderer.compile(source, Target.HTML, locale=locale)
            except RenderError as exc:
                renders.problems.append(
                    Problem(str(content_dir / locale / "ui.yaml"), key, str(exc))
                )

    planner = StatePlanner(catalog, preview.facts)
    for flow in catalog.flows.values():
        states = planner.flow_states(flow) if thorough else None
        for locale, texts in flow.texts.items():
            file = str(content_dir / locale / f"{flow.id}.yaml")

            def attempt(where: str, source: str, state: State, **extra: Any) -> None:
                renders.attempt(file, where, source, locale, state, **extra)  # noqa: B023

            # the preview: every template, as a founder who answered everything sees it
            for key in ("title", "description", "done"):
                attempt(key, getattr(texts, key), preview, preview=True)
            attempt("intro", texts.intro, preview, preview=True, questions=12)
            for step_id, step in texts.steps.items():
                attempt(f"step {step_id!r}: prompt", step.prompt, preview, preview=True)
                if step.hint:
                    attempt(f"step {step_id!r}: hint", step.hint, preview, preview=True)
            for rule_id, rule in texts.rules.items():
                for key in ("title", "text", "why"):
                    attempt(f"rule {rule_id!r}: {key}", getattr(rule, key), preview, preview=True)
                for cid, words in rule.commitments.items():
                    attempt(f"rule {rule_id!r}: commitment {cid!r}", words, preview, preview=True)
            for dim_id, dim in texts.assessment.items():
                for score in range(1, 6):
                    attempt(
                        f"dimension {dim_id!r}: reason", dim.reason, preview, preview=True,
                        score=score,
                    )  # fmt: skip

            if states is None:
                continue
            # the states the engine can really be in
            for state in states.starts:
                attempt("intro", texts.intro, state, questions=12)
            for run in states.runs:
                _check_run(flow, texts, run, attempt, renders)
    if thorough:
        renders.problems += wording_problems(catalog, content_dir, renderer, preview.facts)
        renders.problems += free_text_matching_problems(catalog, content_dir)
    return renders.problems


def _check_run(
    flow: Flow, texts: Any, run: RunStates, attempt: Callable[..., None], renders: _Renders
) -> None:
    """Render what a founder sees during and after one run of a flow."""
    end = run.end
    asked = {step.id for step in run.asked}
    attempt("done", texts.done, end)
    for step in flow.spec.steps:
        words = texts.steps.get(step.id)
        if words is None:
            continue
        if step.kind is StepKind.REVIEW:
            attempt(f"step {step.id!r}: prompt", words.prompt, end)
            continue
        if step.id not in asked:
            continue
        for key, source in (("prompt", words.prompt), ("hint", words.hint)):
            if not source:
                continue
            attempt(f"step {step.id!r}: {key}", source, end)  # shown again from the review
            if flow.id in renders.names(source):
                attempt(f"step {step.id!r}: {key}", source, run.before(step))
    fired = [rule for rule in flow.spec.rules if renders.holds(rule.when, end)]
    for rule in fired:
        words = texts.rules.get(rule.id)
        if words is None:
            continue
        for key in ("title", "text", "why"):
            attempt(f"rule {rule.id!r}: {key}", getattr(words, key), end)
        for cid, source in words.commitments.items():
            attempt(f"rule {rule.id!r}: commitment {cid!r}", source, end)
    scores = assess(flow, end.facts)
    for score in scores:
        dim = texts.assessment.get(score.dimension)
        if dim is not None:
            attempt(f"dimension {score.dimension!r}: reason", dim.reason, end, score=score.score)
    renders.consistency(flow, end, fired, scores)
