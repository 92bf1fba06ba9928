"""Sandboxed expressions: conditions, derived values, rules and scores written by coaches."""

from __future__ import annotations

from typing import Any

import pytest

from bot.engine.expressions import (
    FAILED,
    condition,
    evaluate,
    json_value,
    referenced_facts,
    referenced_names,
    syntax_error,
)

FACTS: dict[str, dict[str, Any]] = {
    "probe": {"stage": "mvp", "cash": 600_000, "burn": 0, "channels": ["angel", "vc"]},
    "basics": {"name": "Lin"},
}

ESCAPES = [
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__",
    "''.__class__.__mro__[1].__subclasses__()",
    "cycler.__init__.__globals__",
    "joiner.__init__.__globals__",
    "lipsum.__globals__",
    "probe.__class__",
    "probe._private",
    "probe.stage.__class__.__init__.__globals__",
    "probe.stage | attr('__class__')",
    "(1).__class__.__subclasses__()",
    "'{0.__class__}'.format_map(probe)",
    "range(10)",
    "dict(a=1)",
    "namespace()",
    "config",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escape_evaluates_to_failed(source: str) -> None:
    """Reaching into Python internals gives FAILED instead of an object or an exception."""
    assert evaluate(source, FACTS) is FAILED


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escape_is_a_false_condition(source: str) -> None:
    """As a condition, a sandbox escape is simply false."""
    assert condition(source, FACTS) is False


@pytest.mark.parametrize(
    "source", ["probe.channels.append('grants')", "probe.update({'stage': 'idea'})"]
)
def test_expressions_cannot_change_facts(source: str) -> None:
    """Mutating methods are blocked, so evaluating never alters the founder's facts."""
    facts = {"probe": {"stage": "mvp", "channels": ["angel"]}}
    result = evaluate(source, facts)
    assert (result, facts) == (FAILED, {"probe": {"stage": "mvp", "channels": ["angel"]}})


@pytest.mark.parametrize(
    "source",
    [
        "probe.nosuch > 3",
        "probe.nosuch < 3",
        "probe.nosuch == 'x'",
        "probe.nosuch + 1 > 0",
        "'grants' in probe.nosuch",
        "probe.nosuch",
        "team.roles",
        "'ml' in team.roles",
        "team.size > 1",
        "probe.cash / probe.nosuch > 1",
    ],
)
def test_undefined_facts_make_conditions_false(source: str) -> None:
    """A condition touching a fact the founder has not given is false."""
    assert condition(source, FACTS) is False


@pytest.mark.parametrize(
    "source", ["probe.nosuch != 'idea'", "not probe.nosuch", "'grants' not in probe.nosuch"]
)
def test_negated_tests_on_undefined_facts_are_false(source: str) -> None:
    """Negating a comparison with an undefined fact does not make the condition true."""
    assert condition(source, FACTS) is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("probe.nosuch is defined", False),
        ("probe.stage is defined", True),
        ("probe.nosuch is not defined", True),
        ("probe.nosuch is defined and probe.nosuch > 3", False),
    ],
)
def test_is_defined_tests_a_missing_fact(source: str, expected: bool) -> None:
    """``is defined`` is the way to ask whether the founder gave a fact."""
    assert condition(source, FACTS) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("probe.cash / probe.burn", FAILED),
        ("probe.cash // 0", FAILED),
        ("probe.cash % 0", FAILED),
        ("probe.stage + 1", FAILED),
        ("probe.stage < 3", FAILED),
        ("probe.channels[9]", FAILED),
        ("probe.cash / 1000", 600.0),
        ("'angel' in probe.channels", True),
        ("probe.cash / probe.burn if probe.burn else none", None),
        ("[probe.cash, 10] | max", 600_000),
    ],
)
def test_evaluate(source: str, expected: Any) -> None:
    """Failures (division by zero, type errors) give FAILED; the rest gives the value."""
    assert evaluate(source, FACTS) == expected


def test_failed_is_falsy_singleton() -> None:
    """FAILED is a single falsy marker with a readable repr."""
    assert (bool(FAILED), repr(FAILED), type(FAILED)() is FAILED) == (False, "FAILED", True)


def test_missing_condition_is_true() -> None:
    """A step without ``when`` always applies."""
    assert condition(None, {}) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (True, True), ("x", "x"), (3, 3), (2.123456, 2.1235),
     (float("inf"), FAILED), (float("nan"), FAILED), ([1, "a"], [1, "a"]), ((2,), [2]),
     ([1, {"a": 1}], FAILED), ({"a": 1}, FAILED)],
)  # fmt: skip
def test_json_value(value: Any, expected: Any) -> None:
    """Derived values are JSON primitives or lists of them; anything else is FAILED."""
    assert json_value(value) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("funding.stage != 'idea'", {("funding", "stage")}),
        ("'ml_engineer' in team.roles", {("team", "roles")}),
        ("funding['cash'] > 0", {("funding", "cash")}),
        ("a.b.c > 1 and d.e", {("a", "b"), ("d", "e")}),
        ("score >= 4", set()),
        ("funding.cash / funding.burn if funding.burn else none",
         {("funding", "cash"), ("funding", "burn")}),
    ],
)  # fmt: skip
def test_referenced_facts(source: str, expected: set[tuple[str, str]]) -> None:
    """The (flow, step) pairs an expression reads, by attribute or constant subscript."""
    assert referenced_facts(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("funding.stage != 'idea'", {"funding"}),
        ("score >= 4 and team.size > none", {"score", "team"}),
        ("true and false", set()),
        ("a.x + b['y'] + c", {"a", "b", "c"}),
    ],
)
def test_referenced_names(source: str, expected: set[str]) -> None:
    """The top-level names an expression reads (constants are not names)."""
    assert referenced_names(source) == expected


def test_valid_expression_has_no_syntax_error() -> None:
    """A well-formed expression compiles."""
    assert syntax_error("probe.cash > 1 and 'vc' in probe.channels") is None


@pytest.mark.parametrize(
    "source", ["probe.cash >", "(probe.cash", "probe.cash | nosuchfilter", "probe.cash =="]
)
def test_syntax_error(source: str) -> None:
    """Bad syntax (and unknown filters) is reported as an invalid expression."""
    assert (syntax_error(source) or "").startswith(f"invalid expression {source!r}:")


@pytest.mark.parametrize("name", ["update", "items", "keys", "get", "values"])
def test_fact_names_that_are_dict_methods_read_the_fact(name: str) -> None:
    """`last.update.x` is the founder's update, not the dict method `update`."""
    facts = {"last": {name: {"metric": 400}}, name: {"metric": 360}}
    assert evaluate(f"{name}.metric - last.{name}.metric", facts) == -40
