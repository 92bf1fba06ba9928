"""Checks of the words themselves: hints said twice, and Chinese typography.

Part of ``founder-coach flows check`` (called by :func:`bot.rendering.check.check_templates`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

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
)


def _signal(generic: str) -> str:
    """What in a generic hint shows a step's words say it already (casefolded)."""
    if "/skip" in generic:
        return "/skip"
    clause = _CLAUSE_END.split(generic.strip(), maxsplit=1)[0].strip()
    return clause.casefold() if len(clause) >= 3 else ""


def wording_problems(catalog: Catalog, content_dir: Path, renderer: Renderer) -> list[Problem]:
    """Step words repeating the coach's generic hints; Chinese typography slips."""
    problems: list[Problem] = []
    for flow in catalog.flows.values():
        for locale in flow.texts:
            file = str(content_dir / locale / f"{flow.id}.yaml")
            problems += _repeated_hints(flow, locale, file, renderer)
            if locale == "zh":
                problems += _zh_typography(file, flow.texts[locale].model_dump())
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
        if step.shares:
            keys.append(KEEP_HINT)
        for key in keys:
            try:
                generic = renderer.ui(key, locale, Target.PLAIN)
            except RenderError:
                continue  # a missing UI string is reported by validation
            signal = _signal(generic)
            for part, source in (("prompt", words.prompt), ("hint", words.hint or "")):
                if signal and signal in _JINJA.sub(" ", source).casefold():
                    cover = "skip" if key in (SKIP_HINT, KEEP_HINT) else "answering"
                    fix = (
                        f", or say it in the hint and add `covers: [{cover}]` so the coach "
                        "leaves its own out"
                        if key != KEEP_HINT and (key in KIND_HINTS.values() or key == SKIP_HINT)
                        else ""
                    )
                    problems.append(
                        Problem(
                            file,
                            f"step {step.id!r}: {part}",
                            f"repeats the hint the coach adds after it ({generic!r}): "
                            f"drop it here{fix}",
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
    return [Problem(file, where, what) for pattern, what in _ZH_RULES if pattern.search(text)]
