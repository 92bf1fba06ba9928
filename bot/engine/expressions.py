"""Sandboxed jinja2 expressions: step conditions, derived values, rules and scores.

Expressions are data written by coaches, so they run in jinja2's ``SandboxedEnvironment``:
no attribute starting with ``_``, no calls into Python internals. Missing facts are
*undefined*; any evaluation that touches one, or fails, gives :data:`FAILED` and the
caller decides what that means (a false condition, a left-out value).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.engine.inputs import split_items

Facts = Mapping[str, Mapping[str, Any]]
"""Facts grouped by flow id: ``{"funding": {"cash": 600000}}``."""


class _Failed:
    """Marker for an expression that could not be evaluated."""

    _instance: _Failed | None = None

    def __new__(cls) -> _Failed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "FAILED"

    def __bool__(self) -> bool:
        return False


FAILED: Any = _Failed()


class _MissingFact(ChainableUndefined):
    """An unknown fact: ``is defined`` is false, and any other use fails the expression.

    Chainable, so ``funding.cash is defined`` is simply false for a founder who never
    started funding; but comparing, negating or searching it fails, so that
    ``'ml_engineer' not in team.roles`` is not true merely because the team is unknown.
    """

    __slots__ = ()

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        self._fail_with_undefined_error()

    __eq__ = __ne__ = __bool__ = __contains__ = __iter__ = __len__ = _fail
    __hash__ = ChainableUndefined.__hash__


class FactsEnvironment(ImmutableSandboxedEnvironment):
    """A sandbox where ``a.b`` on a dict means the item ``b`` first.

    Facts are dicts, and a flow or step id may be a dict method's name: without this,
    ``last.update`` would be ``dict.update`` rather than the founder's weekly update.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Items of a mapping win over its attributes."""
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = FactsEnvironment(undefined=_MissingFact)
_ENV.globals.clear()
_ENV.globals.update({"none": None, "true": True, "false": False})
# split_items: goals typed as one text ("a; b", "1. a 2. b", one per line) as a list
_ENV.filters.update({"min": min, "max": max, "split_items": split_items})


def _compile(source: str) -> Any:
    return _ENV.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Any:
    """Compile an expression once; raises ``TemplateSyntaxError`` on bad syntax."""
    return _compile(source)


def syntax_error(source: str) -> str | None:
    """Return why ``source`` is not a valid expression, or None if it is."""
    try:
        compile_expression(source)
    except TemplateSyntaxError as exc:
        return f"invalid expression {source!r}: {exc.message}"
    return None


@lru_cache(maxsize=4096)
def referenced_facts(source: str) -> frozenset[tuple[str, str]]:
    """The ``(flow, step)`` pairs an expression reads as ``flow.step`` or ``flow['step']``."""
    tree = _ENV.parse("{{ " + source + " }}")
    found: set[tuple[str, str]] = set()
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            found.add((node.node.name, node.attr))
    for node in tree.find_all(nodes.Getitem):
        if isinstance(node.node, nodes.Name) and isinstance(node.arg, nodes.Const):
            found.add((node.node.name, str(node.arg.value)))
    return frozenset(found)


def referenced_names(source: str) -> set[str]:
    """Top-level names an expression reads (flow ids, ``score``, ...)."""
    tree = _ENV.parse("{{ " + source + " }}")
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}


def evaluate(source: str, facts: Facts, **extra: Any) -> Any:
    """Evaluate an expression over facts; :data:`FAILED` if it cannot be evaluated."""
    try:
        result = compile_expression(source)(**facts, **extra)
    except (
        UndefinedError,
        SecurityError,
        TypeError,
        ValueError,
        ZeroDivisionError,
        ArithmeticError,
        AttributeError,
        KeyError,
        IndexError,
    ):
        return FAILED
    if _is_undefined(result):
        return FAILED
    return result


def condition(source: str | None, facts: Facts) -> bool:
    """Evaluate a condition: true only when it evaluates to a truthy value."""
    if source is None:
        return True
    return bool(evaluate(source, facts))


def json_value(value: Any) -> Any:
    """Coerce an expression result to a JSON primitive, or :data:`FAILED`."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else FAILED
    if isinstance(value, list | tuple):
        items = [json_value(item) for item in value]
        return FAILED if any(item is FAILED for item in items) else items
    return FAILED


def _is_undefined(value: Any) -> bool:
    from jinja2 import Undefined

    return isinstance(value, Undefined)
