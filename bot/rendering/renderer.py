"""Render content templates for a locale and a target, in a jinja2 sandbox.

Templates are strings from ``content/``; each is converted for its target
(:mod:`bot.rendering.markup`) and compiled once. Variables are strict: a template that
names a fact the founder has not given fails loudly (:class:`~bot.errors.RenderError`)
instead of printing an empty gap. HTML output autoescapes every value; Markdown output
escapes values with :func:`~bot.rendering.markup.escape_markdown`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, pass_context
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.runtime import Context
from markupsafe import Markup, escape

from bot.engine.expressions import FactsEnvironment
from bot.errors import RenderError
from bot.rendering import filters
from bot.rendering.markup import Target, convert, escape_markdown, tidy
from bot.rendering.spacing import CLOSE, OPEN, mark, space_values

if TYPE_CHECKING:
    from bot.engine.loader import Catalog


def _finalize_markdown(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return escape_markdown(value)
    return value


def _marked(finalize: Any) -> Any:
    """A finalize that also marks each value for :func:`~bot.rendering.spacing.space_values`."""

    def apply(value: Any) -> Any:
        value = finalize(value) if finalize else value
        if isinstance(value, Markup):
            return escape(OPEN) + value + escape(CLOSE)  # already safe HTML
        return mark(str(value))

    return apply


CJK_LOCALES = frozenset({"zh"})
"""Locales whose templates get spaces around values only next to Latin text."""


_JINJA_SYNTAX = re.compile(r"\{[{%#]")


class _Constant:
    """A template without jinja syntax renders to its own text, as jinja would render it.

    Compiling costs about a millisecond a string; start-up checks some 3 000 of them.
    """

    def __init__(self, text: str) -> None:
        # jinja drops a single trailing newline (keep_trailing_newline=False)
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, *_: Any, **__: Any) -> str:
        return self.text


class Renderer:
    """Renders every string the founder sees, for one catalog."""

    def __init__(self, catalog: Catalog, *, default_locale: str = "en") -> None:
        self.catalog = catalog
        self.default_locale = default_locale
        self._envs = {
            (target, cjk): self._make_env(target, cjk=cjk)
            for target in Target
            for cjk in (False, True)
        }
        self._cache: dict[tuple[Target, bool, str], Any] = {}

    def _make_env(self, target: Target, *, cjk: bool) -> FactsEnvironment:
        finalize = _finalize_markdown if target is Target.MARKDOWN else None
        env = FactsEnvironment(
            undefined=StrictUndefined,
            autoescape=target is Target.HTML,
            finalize=_marked(finalize) if cjk else finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.globals.clear()

        def localised(fn: Any) -> Any:
            @pass_context
            def apply(context: Context, value: Any) -> str:
                return str(fn(value, context.get("locale", self.default_locale)))

            return apply

        @pass_context
        def money(context: Context, value: Any) -> str:
            locale = context.get("locale", self.default_locale)
            return filters.format_money(value, locale, context.get("currency"))

        env.filters.update(
            money=money,
            num=localised(filters.format_num),
            day=localised(filters.format_day),
            zone=localised(filters.zone_label),
            months=localised(filters.format_months),
            pct=localised(filters.format_pct),
            label=self._label_filter(),
            phrase=self._phrase_filter(),
        )
        return env

    def _label_filter(self) -> Any:
        @pass_context
        def label(context: Context, value: Any, key: str) -> str:
            locale = context.get("locale", self.default_locale)
            return self.option_label(key, value, locale)

        return label

    def _phrase_filter(self) -> Any:
        @pass_context
        def phrase(context: Context, value: Any, key: str) -> str:
            locale = context.get("locale", self.default_locale)
            return self.option_phrase(key, value, locale)

        return phrase

    def option_phrase(self, key: str, value: Any, locale: str) -> str:
        """An option value (or a list) as words inside a sentence: ``angels, VCs and grants``."""
        step_texts = self._step_texts(key, locale, "phrase")
        values = value if isinstance(value, list | tuple) else [value]
        found = [
            step_texts.phrases.get(str(item)) or step_texts.options.get(str(item), str(item))
            for item in values
        ]
        return filters.join_phrases(found, locale)

    def _step_texts(self, key: str, locale: str, name: str) -> Any:
        flow_id, _, step_id = key.partition(".")
        flow = self.catalog.flows.get(flow_id)
        if flow is None:
            raise RenderError(f"{name}(): unknown flow in {key!r}")
        texts = flow.texts.get(locale) or flow.texts.get(self.default_locale)
        if texts is None:
            raise RenderError(f"{name}(): flow {flow_id!r} has no words in {locale!r}")
        step_texts = texts.steps.get(step_id)
        if step_texts is None:
            raise RenderError(f"{name}(): unknown step in {key!r}")
        return step_texts

    def option_label(self, key: str, value: Any, locale: str) -> str:
        """The label of an option value (or a list of them) of step ``flow.step``."""
        step_texts = self._step_texts(key, locale, "label")
        values = value if isinstance(value, list | tuple) else [value]
        labels = [step_texts.options.get(str(item), str(item)) for item in values]
        return filters.join_labels(labels, locale)

    def compile(self, source: str, target: Target, *, locale: str | None = None) -> Any:
        """The compiled template for a source (cached); :class:`RenderError` on bad syntax."""
        cjk = locale in CJK_LOCALES
        key = (target, cjk, source)
        template = self._cache.get(key)
        if template is None:
            converted = convert(source, target)
            if not _JINJA_SYNTAX.search(converted):
                template = _Constant(converted)  # most strings: no need to compile them
            else:
                try:
                    template = self._envs[target, cjk].from_string(converted)
                except TemplateError as exc:
                    raise RenderError(f"{type(exc).__name__}: {exc}") from exc
            self._cache[key] = template
        return template

    def render(
        self,
        source: str,
        context: Mapping[str, Any],
        *,
        locale: str,
        target: Target,
        currency: str | None = None,
    ) -> str:
        """Render one template source; raises :class:`RenderError` on any failure.

        ``currency``: the founder's working currency, for the ``money`` filter.
        """
        template = self.compile(source, target, locale=locale)
        extra = (
            {"locale": locale} if currency is None else {"locale": locale, "currency": currency}
        )
        try:
            text = template.render({**context, **extra})
            return tidy(space_values(text) if locale in CJK_LOCALES else text)
        except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc

    def ui_source(self, key: str, locale: str) -> str:
        """The template source of a UI string such as ``errors.empty``."""
        node: Any = self.catalog.ui.get(locale) or self.catalog.ui[self.default_locale]
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise RenderError(f"UI string {key!r} is missing for {locale!r}")
            node = node[part]
        if not isinstance(node, str):
            raise RenderError(f"UI string {key!r} is not a string")
        return node

    def ui(self, key: str, locale: str, target: Target, **context: Any) -> str:
        """Render a UI string."""
        return self.render(self.ui_source(key, locale), context, locale=locale, target=target)

    def escape(self, value: str, target: Target) -> str:
        """Escape founder text for a target (for text assembled outside templates)."""
        if target is Target.HTML:
            return str(Markup.escape(value))
        if target is Target.MARKDOWN:
            return escape_markdown(value)
        return value
