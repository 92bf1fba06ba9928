"""Checks of the words themselves: hints said twice, and Chinese typography and wording.

Part of ``founder-coach flows check`` (called by :func:`bot.rendering.check.check_templates`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.engine.spec import StepKind
from bot.engine.texts import KEEP_HINT, KIND_HINTS, SKIP_HINT, added_hints
from bot.errors import Problem, RenderError
from bot.rendering.markup import Target

if TYPE_CHECKING:
    from pathlib import Path

    from bot.engine.flow import Flow
    from bot.engine.loader import Catalog
    from bot.rendering.renderer import Renderer

_CLAUSE_END = re.compile(r"[,，.。(（:：;；?？!！]")
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_HAN = "\u4e00-\u9fff\u3400-\u4dbf"
_ZH_RULES = (
    (re.compile("[「」]"), "use “” for quotes: 「」 reads as Taiwan or Japanese style"),
    (
        re.compile(rf"\([^()]*[{_HAN}][^()]*\)"),
        "use full-width （） around Chinese text, not ()",
    ),
    (
        re.compile(rf"[{_HAN}] +[{_HAN}]"),
        "no space between Chinese characters (values get their spaces by themselves)",
    ),
    (re.compile(rf'"[^"]*[{_HAN}][^"]*"'), 'use “” for quotes, not straight ""'),
    (
        re.compile("回访"),
        "say 跟进 or 进展确认: 回访 reads as a customer-service call, not a coach",
    ),
    (
        re.compile(r"(?:回复|输入|发送|键入|发|打)\s*[“\"]?(?![/])[A-Za-z]{2,}"),
        "a Chinese founder never has to type an English word: name a Chinese word the coach"
        " accepts, or a /command",
    ),
    (
        re.compile(r"\d,\d{3}\s*[万亿]"),
        "no thousands separator before 万 or 亿: a native writes 2000万",
    ),
)
# Rules that read the template's own jinja (the filter in front of 万 decides the digits)
_ZH_SOURCE_RULES = (
    (
        re.compile(r"\|\s*(?:num|round\b[^}]*)\s*}}\s*[万亿]"),
        "write a Chinese amount with `| money` (2000万), not `| num` before 万 or 亿 (2,000万)",
    ),
)


def _signal(generic: str) -> str:
    """What in a generic hint shows a step's words say it already (casefolded)."""
    if "/skip" in generic:
        return "/skip"
    clause = _CLAUSE_END.split(generic.strip(), maxsplit=1)[0].strip()
    return clause.casefold() if len(clause) >= 3 else ""


def wording_problems(
    catalog: Catalog,
    content_dir: Path,
    renderer: Renderer,
    preview: dict[str, dict[str, Any]] | None = None,
) -> list[Problem]:
    """Step words repeating the coach's generic hints; Chinese typography slips.

    With the flows' ``preview`` facts, each Chinese template is also rendered with Chinese
    free-text answers (a startup called 深言智能) to check no space is left between a
    value and the Chinese text around it.
    """
    problems: list[Problem] = []
    chinese = _chinese_answers(catalog, preview) if preview is not None else None
    for flow in catalog.flows.values():
        for locale in flow.texts:
            file = str(content_dir / locale / f"{flow.id}.yaml")
            problems += _repeated_hints(flow, locale, file, renderer)
            if locale == "zh":
                problems += _zh_typography(file, flow.texts[locale].model_dump())
                if chinese is not None:
                    problems += _zh_value_spacing(flow, file, renderer, chinese)
    if "zh" in catalog.ui:
        problems += _zh_typography(str(content_dir / "zh" / "ui.yaml"), catalog.ui["zh"])
    return problems


def _repeated_hints(flow: Flow, locale: str, file: str, renderer: Renderer) -> list[Problem]:
    """A step whose prompt or hint says what the coach adds after it anyway (B9)."""
    problems: list[Problem] = []
    for step in flow.spec.steps:
        words = flow.texts[locale].steps.get(step.id)
        if words is None or not step.asks:
            continue
        keys = list(added_hints(step, words))
        if step.shares or step.suggest or flow.spec.prefill:  # may have an answer to keep
            keys.append(KEEP_HINT)
        for key in keys:
            try:
                generic = renderer.ui(key, locale, Target.PLAIN)
            except RenderError:
                continue  # a missing UI string is reported by validation
            signal = _signal(generic)
            for part, source in (("prompt", words.prompt), ("hint", words.hint or "")):
                if signal and signal in _JINJA.sub(" ", source).casefold():
                    if key in KIND_HINTS.values():
                        fix = (
                            ", or say it in the hint and add `covers: [answering]` so the "
                            "coach leaves its own out"
                        )
                    elif key in (SKIP_HINT, KEEP_HINT) and step.optional:
                        # said in the hint, it would contradict "/skip keeps your answer"
                        fix = ", or say it in `skip_hint:`, shown instead of the coach's own"
                    else:
                        fix = ""
                    problems.append(
                        Problem(
                            file,
                            f"step {step.id!r}: {part}",
                            f"repeats the hint the coach adds after it ({generic!r}): "
                            f"drop it here{fix}",
                        )
                    )
    return problems


CHINESE_ANSWER = "深言智能"
_HAN_SPACE_HAN = re.compile(rf"[{_HAN}][ \u00a0]+[{_HAN}]")


def _chinese_answers(
    catalog: Catalog, preview: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The preview facts with every free-text answer in Chinese (names, startup, pitch)."""
    facts = {flow_id: dict(values) for flow_id, values in preview.items()}
    for flow in catalog.flows.values():
        for step in flow.spec.steps:
            if step.kind is StepKind.TEXT and step.id in facts.get(flow.id, {}):
                facts[flow.id][step.id] = CHINESE_ANSWER
    return facts


def _zh_templates(texts: Any) -> list[tuple[str, str]]:
    """(where, source) of every Chinese template of a flow."""
    found = [(key, getattr(texts, key)) for key in ("title", "description", "intro", "done")]
    for step_id, step in texts.steps.items():
        found.append((f"step {step_id!r}: prompt", step.prompt))
        if step.hint:
            found.append((f"step {step_id!r}: hint", step.hint))
    for rule_id, rule in texts.rules.items():
        for key in ("title", "text", "why"):
            found.append((f"rule {rule_id!r}: {key}", getattr(rule, key)))
        for cid, words in rule.commitments.items():
            found.append((f"rule {rule_id!r}: commitment {cid!r}", words))
    return found


def _zh_value_spacing(
    flow: Flow, file: str, renderer: Renderer, facts: dict[str, dict[str, Any]]
) -> list[Problem]:
    """A space left between Chinese text and a Chinese value ("介绍 深言智能：")."""
    problems: list[Problem] = []
    for where, source in _zh_templates(flow.texts["zh"]):
        if "{" not in source:
            continue
        try:
            text = renderer.render(source, facts, locale="zh", target=Target.PLAIN)
        except RenderError:
            continue  # reported by the render check itself
        found = _HAN_SPACE_HAN.search(text)
        if found:
            shown = text[max(0, found.start() - 8) : found.end() + 8]
            problems.append(
                Problem(
                    file,
                    where,
                    f"a space between Chinese characters once a Chinese answer is put in "
                    f"({shown!r}): leave the spacing to the renderer",
                )
            )
    return problems


def _zh_typography(file: str, tree: Any, where: str = "") -> list[Problem]:
    """Chinese text: “” quotes, full-width parentheses, no spaces between characters."""
    if isinstance(tree, dict):
        found: list[Problem] = []
        for key, value in tree.items():
            found += _zh_typography(file, value, f"{where}.{key}" if where else str(key))
        return found
    if not isinstance(tree, str):
        return []
    text = _JINJA.sub("\x00", tree)
    found = [Problem(file, where, what) for pattern, what in _ZH_RULES if pattern.search(text)]
    return found + [
        Problem(file, where, what) for pattern, what in _ZH_SOURCE_RULES if pattern.search(tree)
    ]
