"""Free text is quoted, never matched: a `flows check` rule.

A founder's own words (a ``kind: text`` step, e.g. ``team.team_problem``) may be quoted in
advice, tested for presence (``is defined``) or length, or compared with another free
text (last week's metric name with this week's). What they are *about* must come from a
choice step the founder answers (``team.problem_kind``), never from matching the words
against a keyword (``'cofounder' in team.team_problem | lower``): keyword matching picks
the wrong advice for anything the list did not foresee (issue #13). This module finds
such matching in every expression of a flow and every template of its content.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from jinja2 import Environment, TemplateSyntaxError, nodes

from bot.engine.spec import StepKind
from bot.errors import Problem

if TYPE_CHECKING:
    from pathlib import Path

    from bot.engine.flow import Flow
    from bot.engine.loader import Catalog
    from bot.engine.texts import FlowTexts

# parse only, never render: nothing is output, so autoescape does not apply
_PARSER = Environment(trim_blocks=True, lstrip_blocks=True, autoescape=True)
_MATCHING_OPS = {"eq", "ne", "in", "notin"}


def free_text_matching_problems(catalog: Catalog, content_dir: Path) -> list[Problem]:
    """Every condition or template that matches a free-text answer against fixed words."""
    texts = {
        (flow.id, step.id)
        for flow in catalog.flows.values()
        for step in flow.spec.steps
        if step.kind is StepKind.TEXT
    }
    problems: list[Problem] = []
    for flow in catalog.flows.values():
        for where, source in _expressions(flow):
            problems += _check(flow.source or f"flows/{flow.id}.yaml", where, source, texts)
        for locale, words in flow.texts.items():
            file = str(content_dir / locale / f"{flow.id}.yaml")
            for where, source in _templates(words):
                problems += _check(file, where, source, texts)
    return problems


def _expressions(flow: Flow) -> Iterator[tuple[str, str]]:
    spec = flow.spec
    for step in spec.steps:
        if step.when:
            yield f"step {step.id!r}: when", "{{ " + step.when + " }}"
    for name, source in spec.derived.items():
        yield f"derived {name!r}", "{{ " + source + " }}"
    for rule in spec.rules:
        yield f"rule {rule.id!r}: when", "{{ " + rule.when + " }}"
    for dim in spec.assessment:
        yield f"dimension {dim.id!r}: score", "{{ " + dim.score + " }}"


def _templates(texts: FlowTexts) -> Iterator[tuple[str, str]]:
    yield "intro", texts.intro
    yield "done", texts.done
    for step_id, step in texts.steps.items():
        yield f"step {step_id!r}: prompt", step.prompt
        yield f"step {step_id!r}: hint", step.hint or ""
    for rule_id, rule in texts.rules.items():
        for key in ("title", "text", "why"):
            yield f"rule {rule_id!r}: {key}", getattr(rule, key)
        for cid, source in rule.commitments.items():
            yield f"rule {rule_id!r}: commitment {cid!r}", source
    for dim_id, dim in texts.assessment.items():
        yield f"dimension {dim_id!r}: reason", dim.reason


def _check(file: str, where: str, source: str, texts: set[tuple[str, str]]) -> list[Problem]:
    if not source:
        return []
    try:
        tree = _PARSER.parse(source)
    except TemplateSyntaxError:
        return []  # reported by the template check
    tainted: dict[str, str] = {}  # names set from a free text: {% set p = team.team_problem %}
    for assign in tree.find_all(nodes.Assign):
        fact = _free_text(assign.node, texts, tainted)
        if fact and isinstance(assign.target, nodes.Name):
            tainted[assign.target.name] = fact
    return [
        Problem(
            file,
            where,
            f"matches the founder's free text {fact} against fixed words: ask a choice step "
            "for what it is about and read that; quote the words, never match them",
        )
        for fact in sorted(set(_matched(tree, texts, tainted)))
    ]


def _matched(tree: nodes.Node, texts: set[tuple[str, str]], tainted: dict[str, str]) -> list[str]:
    """The free-text facts compared with a literal, searched in, or called with a literal."""
    hits: list[str] = []
    for compare in tree.find_all(nodes.Compare):
        operands = [compare.expr, *(op.expr for op in compare.ops)]
        if not any(op.op in _MATCHING_OPS for op in compare.ops):
            continue
        facts = [f for o in operands if (f := _free_text(o, texts, tainted))]
        if facts and any(_literal_words(o) for o in operands):
            hits.append(facts[0])
    for call in tree.find_all(nodes.Call):  # team.team_problem.startswith('co')
        if (
            isinstance(call.node, nodes.Getattr)
            and any(_literal_words(a) for a in call.args)
            and (fact := _free_text(call.node.node, texts, tainted))
        ):
            hits.append(fact)
    for test in tree.find_all(nodes.Test):  # team.team_problem is sameas 'x'
        if (
            test.name not in ("defined", "undefined", "none")
            and any(_literal_words(a) for a in test.args)
            and (fact := _free_text(test.node, texts, tainted))
        ):
            hits.append(fact)
    return hits


def _free_text(node: nodes.Node, texts: set[tuple[str, str]], tainted: dict[str, str]) -> str:
    """The free-text fact an expression carries (through filters such as lower), or ''."""
    if isinstance(node, nodes.Filter) and node.name in ("length", "count"):
        return ""  # how long it is says nothing about what it says
    for name in node.find_all(nodes.Name) if not isinstance(node, nodes.Name) else [node]:
        if name.name in tainted:
            return tainted[name.name]
    candidates = [node, *node.find_all(nodes.Getattr)]
    for attr in candidates:
        if not isinstance(attr, nodes.Getattr):
            continue
        owner = attr.node
        if _under_length(node, attr):
            continue
        if (
            isinstance(owner, nodes.Getattr)
            and isinstance(owner.node, nodes.Name)
            and owner.node.name == "last"
            and (owner.attr, attr.attr) in texts
        ):
            return f"last.{owner.attr}.{attr.attr}"
        if isinstance(owner, nodes.Name) and (owner.name, attr.attr) in texts:
            return f"{owner.name}.{attr.attr}"
    return ""


def _under_length(root: nodes.Node, target: nodes.Node) -> bool:
    """Whether ``target`` is only read through ``| length`` inside ``root``."""
    for flt in root.find_all(nodes.Filter):
        if flt.name in ("length", "count") and (
            flt.node is target or target in flt.node.find_all(nodes.Getattr)
        ):
            return True
    return False


def _literal_words(node: nodes.Node) -> bool:
    """A string literal, or a list or tuple holding one: the 'keywords'."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.List | nodes.Tuple):
        return any(_literal_words(item) for item in node.items)
    return False
