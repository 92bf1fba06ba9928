"""Cross-checks a loaded catalog: ids, references between flows, and locale completeness.

Pydantic checks each file's shape; this module checks what spans steps, files and
languages. Template rendering is checked by :mod:`bot.rendering.check`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.engine.expressions import referenced_facts, referenced_names, syntax_error
from bot.engine.spec import StepKind, StepSpec
from bot.engine.texts import KIND_HINTS, StepTexts
from bot.errors import Problem

if TYPE_CHECKING:
    from bot.engine.flow import Flow
    from bot.engine.loader import Catalog

_CONSTANTS = {"none", "true", "false", "None", "True", "False"}
# names every expression may read besides flow ids: the run's context and the founder's
# previous run of the same flow (see bot.engine.machine)
_RUN_NAMES = {"context", "last"}
_TEMPLATE = re.compile(r"\{[{%#]")


def validate_catalog(catalog: Catalog, content_dir: Path) -> list[Problem]:
    """Every cross-file problem in the catalog."""
    problems: list[Problem] = []
    known = _known_facts(catalog)
    for flow in catalog.flows.values():
        problems.extend(_structure(flow))
        problems.extend(_expressions(flow, known))
        for locale in catalog.locales:
            problems.extend(_texts(flow, locale, content_dir))
    problems.extend(_ui_keys(catalog, content_dir))
    problems.extend(_requirements(catalog))
    problems.extend(_references(catalog))
    problems.extend(_pasted_labels(catalog, content_dir))
    return problems


_LABEL_CALL = re.compile(r"\|\s*label\(\s*['\"]([a-z0-9_]+)\.([a-z0-9_]+)['\"]\s*\)")


def _pasted_labels(catalog: Catalog, content_dir: Path) -> list[Problem]:
    """A "why" line or a score's reason names answers in phrases, not pasted option labels.

    Where a step has ``phrases`` ("angels", not "Angel investors"), a sentence that shows
    its answers must use ``phrase(...)``: labels are written for buttons, not sentences.
    """
    problems: list[Problem] = []
    for flow in catalog.flows.values():
        for locale, texts in flow.texts.items():
            file = str(content_dir / locale / f"{flow.id}.yaml")
            sources = [(f"rule {rid!r}: why", words.why) for rid, words in texts.rules.items()]
            sources += [
                (f"dimension {did!r}: reason", dim.reason) for did, dim in texts.assessment.items()
            ]
            for where, source in sources:
                for flow_id, step_id in sorted(set(_LABEL_CALL.findall(source))):
                    other = catalog.flows.get(flow_id)
                    words = other.texts.get(locale) if other is not None else None
                    step = words.steps.get(step_id) if words is not None else None
                    if step is not None and step.phrases:
                        key = f"{flow_id}.{step_id}"
                        why = f"label('{key}') pastes option labels into a sentence: use phrase"
                        problems.append(Problem(file, where, why))
    return problems


def _references(catalog: Catalog) -> list[Problem]:
    """A rule's ``offers`` name real options of real steps; its ``echoes`` real rules."""
    problems: list[Problem] = []
    for flow in catalog.flows.values():
        for rule in flow.spec.rules:
            for fact, options in rule.offers.items():
                flow_id, step_id = fact.split(".", 1)
                other = catalog.flows.get(flow_id)
                step = None
                if other is not None and step_id in other.spec.step_ids():
                    step = other.spec.step(step_id)
                if step is None or not step.options:
                    why = f"{fact!r} is not a step with options"
                    problems.append(Problem(flow.source, f"rule {rule.id!r}: offers", why))
                    continue
                for option in options:
                    if option not in step.options:
                        why = f"{option!r} is not an option of {fact}"
                        problems.append(Problem(flow.source, f"rule {rule.id!r}: offers", why))
            for echo in rule.echoes:
                flow_id, rule_id = echo.split(".", 1)
                other = catalog.flows.get(flow_id)
                if other is None or rule_id not in {r.id for r in other.spec.rules}:
                    why = f"{echo!r} is not a rule of another flow"
                    problems.append(Problem(flow.source, f"rule {rule.id!r}: echoes", why))
                elif flow_id == flow.id:
                    why = f"{echo!r} is in this flow: echoes name other flows' rules"
                    problems.append(Problem(flow.source, f"rule {rule.id!r}: echoes", why))
                elif f"{flow.id}.{rule.id}" not in other.spec.rule(rule_id).echoes:
                    # whichever flow the founder does second must refer to the first
                    why = f"{echo!r} does not echo '{flow.id}.{rule.id}' back"
                    problems.append(Problem(flow.source, f"rule {rule.id!r}: echoes", why))
    return problems


def _requirements(catalog: Catalog) -> list[Problem]:
    """``requires`` names known flows, never the flow itself, and has no cycle."""
    problems: list[Problem] = []
    for flow in catalog.flows.values():
        for required in flow.spec.requires:
            if required == flow.id:
                problems.append(Problem(flow.source, "requires", "a flow cannot require itself"))
            elif required not in catalog.flows:
                problems.append(Problem(flow.source, "requires", f"unknown flow {required!r}"))
    reported: set[str] = set()
    for flow in catalog.flows.values():
        cycle = _cycle_from(catalog, flow.id, [])
        if cycle and not reported.intersection(cycle):
            reported.update(cycle)
            problems.append(
                Problem(
                    flow.source,
                    "requires",
                    "flows require each other in a circle: " + " → ".join([*cycle, cycle[0]]),
                )
            )
    return problems


def _cycle_from(catalog: Catalog, flow_id: str, trail: list[str]) -> list[str]:
    """The flows of a ``requires`` cycle reachable from ``flow_id`` (empty if none)."""
    if flow_id in trail:
        return trail[trail.index(flow_id) :]
    flow = catalog.flows.get(flow_id)
    if flow is None:
        return []
    for required in flow.spec.requires:
        if required != flow_id:  # reported on its own
            cycle = _cycle_from(catalog, required, [*trail, flow_id])
            if cycle:
                return cycle
    return []


def _known_facts(catalog: Catalog) -> dict[str, set[str]]:
    return {
        flow_id: {step.id for step in flow.spec.steps if step.asks} | set(flow.spec.derived)
        for flow_id, flow in catalog.flows.items()
    }


def _structure(flow: Flow) -> list[Problem]:
    problems: list[Problem] = []
    spec = flow.spec
    for step_id, count in Counter(spec.step_ids()).items():
        if count > 1:
            problems.append(Problem(flow.source, f"step {step_id!r}", "duplicate step id"))
    reviews = [i for i, step in enumerate(spec.steps) if step.kind is StepKind.REVIEW]
    if len(reviews) > 1 or (reviews and reviews[0] != len(spec.steps) - 1):
        problems.append(
            Problem(
                flow.source,
                f"step {spec.steps[reviews[0]].id!r}",
                "a review step must be the last and only one",
            )
        )
    if not any(step.asks for step in spec.steps):
        problems.append(Problem(flow.source, "steps", "a flow needs at least one question"))
    for rule_id, count in Counter(rule.id for rule in spec.rules).items():
        if count > 1:
            problems.append(Problem(flow.source, f"rule {rule_id!r}", "duplicate rule id"))
    for dim_id, count in Counter(dim.id for dim in spec.assessment).items():
        if count > 1:
            problems.append(
                Problem(flow.source, f"dimension {dim_id!r}", "duplicate dimension id")
            )
    suggested = {cid for rule in spec.rules for cid in rule.commitments}
    for commitment_id in sorted(set(spec.horizons) - suggested):
        problems.append(
            Problem(flow.source, f"horizon {commitment_id!r}", "no rule suggests this commitment")
        )
    for name in spec.derived:
        if name in spec.step_ids():
            problems.append(Problem(flow.source, f"derived {name!r}", "clashes with a step id"))
    ids = spec.step_ids()
    for position, step in enumerate(spec.steps):
        if step.alternative is None:
            continue
        target = step.alternative.step
        later = ids[position + 1 :]
        if target not in later:
            why = "is not a step of this flow" if target not in ids else "must come after it"
            problems.append(
                Problem(flow.source, f"step {step.id!r}: alternative", f"{target!r} {why}")
            )
        elif spec.step(target).kind in (StepKind.REVIEW, StepKind.CHOICE, StepKind.MULTI):
            problems.append(
                Problem(
                    flow.source,
                    f"step {step.id!r}: alternative",
                    f"{target!r} must be a step that takes typed text (not a choice or review)",
                )
            )
    return problems


def _expressions(flow: Flow, known: dict[str, set[str]]) -> list[Problem]:
    problems: list[Problem] = []
    sources: list[tuple[str, str]] = []
    for step in flow.spec.steps:
        if step.when:
            sources.append((f"step {step.id!r}: when", step.when))
        if step.options_from:
            sources.append((f"step {step.id!r}: options_from", step.options_from))
        for key, fact in (("shares", step.shares), ("suggest", step.suggest)):
            if fact is None:
                continue
            fact_flow, fact_name = fact.split(".", 1)
            if fact_name not in known.get(fact_flow, set()):
                problems.append(
                    Problem(flow.source, f"step {step.id!r}: {key}", f"unknown fact {fact!r}")
                )
            elif key == "suggest" and fact_flow == flow.id:
                problems.append(
                    Problem(
                        flow.source,
                        f"step {step.id!r}: suggest",
                        "names a fact of its own flow: a re-run offers the last answer already",
                    )
                )
    sources += [(f"derived {name!r}", source) for name, source in flow.spec.derived.items()]
    sources += [(f"rule {rule.id!r}: when", rule.when) for rule in flow.spec.rules]
    sources += [(f"dimension {dim.id!r}: score", dim.score) for dim in flow.spec.assessment]
    for where, source in sources:
        error = syntax_error(source)
        if error:
            problems.append(Problem(flow.source, where, error))
            continue
        for name in referenced_names(source) - _CONSTANTS - _RUN_NAMES:
            if name not in known:
                problems.append(
                    Problem(flow.source, where, f"unknown name {name!r} (not a flow id)")
                )
        for flow_id, fact in referenced_facts(source):
            if flow_id in known and fact not in known[flow_id]:
                problems.append(
                    Problem(
                        flow.source, where, f"unknown fact '{flow_id}.{fact}' (dangling reference)"
                    )
                )
    return problems


def _texts(flow: Flow, locale: str, content_dir: Path) -> list[Problem]:
    file = str(content_dir / locale / f"{flow.id}.yaml")
    texts = flow.texts.get(locale)
    if texts is None:
        return []  # the loader already reported why
    problems: list[Problem] = []
    for step in flow.spec.steps:
        step_texts = texts.steps.get(step.id)
        if step_texts is None:
            problems.append(Problem(file, f"step {step.id!r}", "no prompt in this language"))
            continue
        problems += [
            Problem(file, f"step {step.id!r}", what) for what in _step_words(step, step_texts)
        ]
        for option in step.options:
            if option not in step_texts.options:
                problems.append(
                    Problem(file, f"step {step.id!r}", f"label missing for option {option!r}")
                )
        for option in step_texts.options:
            if option not in step.options:
                problems.append(
                    Problem(file, f"step {step.id!r}", f"label for unknown option {option!r}")
                )
        for option in step_texts.phrases:
            if option not in step.options:
                problems.append(
                    Problem(file, f"step {step.id!r}", f"phrase for unknown option {option!r}")
                )
        if step_texts.phrases and set(step_texts.phrases) != set(step.options):
            missing = ", ".join(o for o in step.options if o not in step_texts.phrases)
            problems.append(Problem(file, f"step {step.id!r}", f"phrases missing for {missing}"))
    for step_id in texts.steps:
        if step_id not in flow.spec.step_ids():
            problems.append(
                Problem(file, f"step {step_id!r}", "text for a step the flow does not have")
            )
    rule_ids = {rule.id: rule for rule in flow.spec.rules}
    for rule in flow.spec.rules:
        rule_texts = texts.rules.get(rule.id)
        if rule_texts is None:
            problems.append(Problem(file, f"rule {rule.id!r}", "no text in this language"))
            continue
        if set(rule_texts.commitments) != set(rule.commitments):
            problems.append(
                Problem(
                    file,
                    f"rule {rule.id!r}",
                    "commitment texts do not match the rule's commitments",
                )
            )
    for rule_id in texts.rules:
        if rule_id not in rule_ids:
            problems.append(
                Problem(file, f"rule {rule_id!r}", "text for a rule the flow does not have")
            )
    dims = {dim.id for dim in flow.spec.assessment}
    for dim in dims - set(texts.assessment):
        problems.append(Problem(file, f"dimension {dim!r}", "no name and reason in this language"))
    for dim in set(texts.assessment) - dims:
        problems.append(
            Problem(file, f"dimension {dim!r}", "text for a dimension the flow does not have")
        )
    return problems


def _step_words(step: StepSpec, texts: StepTexts) -> list[str]:
    """What is wrong with a step's words beyond missing labels."""
    found: list[str] = []
    if step.asks and not (texts.short or "").strip():
        found.append("no `short:` label: the review and exports would show the prompt, cut")
    plain = {"short": texts.short, "scale_low": texts.scale_low, "scale_high": texts.scale_high}
    plain["skip_hint"] = texts.skip_hint
    plain |= {f"label of option {option!r}": label for option, label in texts.options.items()}
    for key, words in plain.items():
        if words and _TEMPLATE.search(words):
            found.append(f"{key} is shown as it is: it cannot be a template")
    if (texts.scale_low or texts.scale_high) and step.kind is not StepKind.SCALE:
        found.append("scale_low and scale_high belong to scale steps")
    if texts.skip_hint and not step.optional:
        found.append("skip_hint, but the step is not optional")
    if "answering" in texts.covers and step.kind not in KIND_HINTS:
        found.append(f"covers: answering, but the coach adds no such hint to a {step.kind} step")
    return found


def _ui_keys(catalog: Catalog, content_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    all_keys = {locale: set(_flatten(catalog.ui.get(locale, {}))) for locale in catalog.locales}
    union = set().union(*all_keys.values())
    for locale, keys in all_keys.items():
        file = str(content_dir / locale / "ui.yaml")
        for key in sorted(union - keys):
            problems.append(Problem(file, key, "missing in this language"))
        for key in sorted(k for k in keys if "<" in k):
            problems.append(
                Problem(
                    file, key, "key is not text (YAML reads yes/no/on/off as booleans: quote it)"
                )
            )
        for key, value in _flatten(catalog.ui.get(locale, {})).items():
            if not isinstance(value, str):
                problems.append(Problem(file, key, "must be a text (a template)"))
    return problems


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = key if isinstance(key, str) else f"<{key!r}>"
        flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
    return flat
