"""Render every template in every locale with each flow's ``preview`` facts.

Catches what loading cannot: a template naming a fact that does not exist, a filter
misused, markup that Telegram would reject. Used by ``founder-coach flows check`` and
at start-up, so a broken template stops the coach before a founder meets it.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from bot.errors import Problem, RenderError
from bot.rendering.markup import Target
from bot.rendering.renderer import Renderer

if TYPE_CHECKING:
    from pathlib import Path

    from bot.engine.loader import Catalog

TELEGRAM_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "strong", "em", "ins", "del",
                 "strike", "tg-spoiler", "blockquote", "span"}  # fmt: skip


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


def check_templates(catalog: Catalog, content_dir: Path) -> list[Problem]:
    """Render each template of each flow and the UI in each locale and target."""
    renderer = Renderer(catalog)
    facts = preview_facts(catalog)
    problems: list[Problem] = []

    def attempt(file: str, where: str, source: str, locale: str, **extra: Any) -> None:
        for target in (Target.HTML, Target.PLAIN):
            try:
                text = renderer.render(source, {**facts, **extra}, locale=locale, target=target)
            except RenderError as exc:
                problems.append(Problem(file, where, f"does not render: {exc}"))
                return
            if target is Target.HTML:
                for bad in telegram_html_problems(text):
                    problems.append(Problem(file, where, bad))

    for locale, strings in catalog.ui.items():
        for key, source in _strings(strings):
            try:
                renderer.compile(source, Target.HTML)
            except RenderError as exc:
                problems.append(Problem(str(content_dir / locale / "ui.yaml"), key, str(exc)))

    for flow in catalog.flows.values():
        for locale, texts in flow.texts.items():
            file = str(content_dir / locale / f"{flow.id}.yaml")
            for key in ("title", "description", "intro", "done"):
                attempt(file, key, getattr(texts, key), locale)
            for step_id, step in texts.steps.items():
                attempt(file, f"step {step_id!r}: prompt", step.prompt, locale)
                if step.hint:
                    attempt(file, f"step {step_id!r}: hint", step.hint, locale)
            for rule_id, rule in texts.rules.items():
                for key in ("title", "text", "why"):
                    attempt(file, f"rule {rule_id!r}: {key}", getattr(rule, key), locale)
                for cid, words in rule.commitments.items():
                    attempt(file, f"rule {rule_id!r}: commitment {cid!r}", words, locale)
            for dim_id, dim in texts.assessment.items():
                for score in range(1, 6):
                    attempt(file, f"dimension {dim_id!r}: reason", dim.reason, locale, score=score)
    return problems
