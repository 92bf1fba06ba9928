"""Rendering content templates: escaping founder text, strict facts, the sandbox, filters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from bot.engine import Catalog
from bot.errors import RenderError
from bot.rendering import Renderer, Target
from bot.rendering import filters as fmt
from bot.rendering.markup import convert
from tests.engine.flowkit import load

HTML, PLAIN, MARKDOWN = Target.HTML, Target.PLAIN, Target.MARKDOWN

UI = {
    "en": {"greet": "Hi **{{ name }}**", "errors": {"empty": "Type something."}},
    "zh": {"greet": "你好 **{{ name }}**", "errors": {"empty": "请输入。"}},
}
FACTS: dict[str, dict[str, Any]] = {
    "basics": {"name": "Lin", "stage": "mvp"},
    "probe": {"channels": ["angel", "bank_loan"], "cash": 600_000},
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load(tmp_path_factory.mktemp("renderer"), ui=UI)


@pytest.fixture
def renderer(catalog: Catalog) -> Renderer:
    return Renderer(catalog)


def render(renderer: Renderer, source: str, locale: str = "en", target: Target = PLAIN,
           **facts: Any) -> str:  # fmt: skip
    return renderer.render(source, {**FACTS, **facts}, locale=locale, target=target)


# ---------------------------------------------------------------- founder text

FOUNDER = "<b>Al</b> & **Bo** _x_"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (HTML, "Hi <b>&lt;b&gt;Al&lt;/b&gt; &amp; **Bo** _x_</b>"),
        (MARKDOWN, r"Hi **\<b>Al\</b> & \*\*Bo\*\* \_x\_**"),
        (PLAIN, "Hi <b>Al</b> & **Bo** _x_"),
    ],
)
def test_founder_text_is_escaped_per_target(
    renderer: Renderer, target: Target, expected: str
) -> None:
    """Founder text is escaped for HTML and Markdown and shown literally in plain text."""
    source = "Hi **{{ basics.name }}**"
    assert render(renderer, source, target=target, basics={"name": FOUNDER}) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (HTML, "&lt;b&gt;Al&lt;/b&gt; &amp; **Bo** _x_"),
        (MARKDOWN, r"\<b>Al\</b> & \*\*Bo\*\* \_x\_"),
        (PLAIN, FOUNDER),
    ],
)
def test_escape_helper(renderer: Renderer, target: Target, expected: str) -> None:
    """Renderer.escape treats text assembled outside templates the same way."""
    assert renderer.escape(FOUNDER, target) == expected


def test_founder_list_items_are_escaped(renderer: Renderer) -> None:
    """Each item of a list answer is escaped too."""
    source = "{{ probe.channels | join(', ') }}"
    result = render(renderer, source, target=HTML, probe={"channels": ["<i>a</i>", "b&c"]})
    assert result == "&lt;i&gt;a&lt;/i&gt;, b&amp;c"


# ---------------------------------------------------------------- strictness and sandbox


@pytest.mark.parametrize(
    "source",
    [
        "{{ basics.missing }}",
        "{{ nosuchflow.x }}",
        "{{ basics.missing | money }}",
        "{% if basics.missing > 1 %}x{% endif %}",
        "**{{ basics.missing }}**",
    ],
)
@pytest.mark.parametrize("target", list(Target))
def test_missing_fact_raises(renderer: Renderer, source: str, target: Target) -> None:
    """Naming a fact that is not there fails loudly instead of printing a gap."""
    with pytest.raises(RenderError) as info:
        render(renderer, source, target=target)
    assert isinstance(info.value.__cause__, UndefinedError)


def test_is_defined_may_test_a_missing_fact(renderer: Renderer) -> None:
    """A template can still ask whether a fact exists."""
    source = "{% if basics.missing is defined %}yes{% else %}no{% endif %}"
    assert render(renderer, source) == "no"


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("{{ ''.__class__.__mro__ }}", SecurityError),
        ("{{ basics.name.__class__.__mro__[1].__subclasses__() }}", SecurityError),
        ("{{ basics.__class__ }}", SecurityError),
        ("{{ (1).__class__.__bases__ }}", SecurityError),
        ("{{ cycler.__init__.__globals__ }}", SecurityError),
        ("{{ lipsum.__globals__ }}", UndefinedError),
        ("{{ range(3) | list }}", UndefinedError),
        ("{{ probe.channels.append('vc') }}", SecurityError),
        ("{{ basics.name", TemplateSyntaxError),
    ],
)
@pytest.mark.parametrize("target", list(Target))
def test_sandbox_refuses(
    renderer: Renderer, source: str, cause: type[Exception], target: Target
) -> None:
    """Reaching Python internals, globals or mutators raises RenderError, never leaks."""
    with pytest.raises(RenderError) as info:
        render(renderer, source, target=target)
    assert isinstance(info.value.__cause__, cause)


def test_sandbox_does_not_change_facts(renderer: Renderer) -> None:
    """A template cannot modify the facts it renders."""
    facts = {"probe": {"channels": ["angel"]}}
    with pytest.raises(RenderError):
        renderer.render("{{ probe.channels.append('vc') }}", facts, locale="en", target=PLAIN)
    assert facts == {"probe": {"channels": ["angel"]}}


@pytest.mark.parametrize("source", ["{{ 1 / 0 }}", "{{ basics.name + 1 }}"])
def test_failing_expression_raises_render_error(renderer: Renderer, source: str) -> None:
    """Arithmetic and type errors in a template become RenderError."""
    with pytest.raises(RenderError):
        render(renderer, source)


def test_locale_is_in_the_context(renderer: Renderer) -> None:
    """Templates can read the locale they are rendered for."""
    assert render(renderer, "{{ locale }}", locale="zh") == "zh"


def test_output_is_tidied(renderer: Renderer) -> None:
    """Blank lines left by template logic are collapsed and the ends trimmed."""
    source = "\n{% if true %}\na  \n{% endif %}\n\n\n\nb\n"
    assert render(renderer, source) == "a\n\nb"


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (3_000_000, "en", "3M"),
        (3_000_000, "zh", "300万"),
        (150_000_000, "zh", "1.5亿"),
        (150_000_000, "en", "150M"),
        (2_500_000_000, "en", "2.5B"),
        (2_500_000_000, "zh", "25亿"),
        (600_000, "en", "600,000"),
        (600_000, "zh", "60万"),
        (1_234_567, "en", "1.23M"),
        (12_345, "zh", "1.2万"),
        (9_999, "zh", "9999"),
        (20_000_000, "zh", "2000万"),
        (1_234_500_000_000, "zh", "12345亿"),
        (999, "en", "999"),
        (0, "en", "0"),
        (-50_000, "en", "-50,000"),
        ("n/a", "en", "n/a"),
        (True, "en", "True"),
    ],
)
def test_money(value: Any, locale: str, expected: str) -> None:
    """Money is short and readable in each language; non-numbers pass through."""
    assert fmt.format_money(value, locale) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234, "1,234"), (1_000_000, "1,000,000"), (12.34, "12.3"), (3, "3"), (0.5, "0.5"),
     (3.0, "3"), (float("inf"), "inf"), ("x", "x")],
)  # fmt: skip
def test_num(value: Any, expected: str) -> None:
    """Numbers get thousands separators and at most one decimal."""
    assert fmt.format_num(value) == expected


def test_num_keeps_the_decimal_of_large_numbers() -> None:
    """1234.5 is shown as 1,234.5, as the README's filter table says."""
    assert fmt.format_num(1234.5) == "1,234.5"


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [(12, "en", "12 months"), (1, "en", "1 month"), (7.5, "en", "7.5 months"),
     (12, "zh", "12 个月"), (1, "zh", "1 个月"), (7.5, "zh", "7.5 个月")],
)  # fmt: skip
def test_months(value: Any, locale: str, expected: str) -> None:
    """Months read naturally in each language."""
    assert fmt.format_months(value, locale) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.25, "25%"), (0.125, "12.5%"), (1, "100%"), (0, "0%")]
)
def test_pct(value: Any, expected: str) -> None:
    """A fraction is shown as a percentage."""
    assert fmt.format_pct(value) == expected


@pytest.mark.parametrize(
    ("source", "locale", "expected"),
    [
        ("{{ 3000000 | money }}", "en", "3M"),
        ("{{ 3000000 | money }}", "zh", "300万"),
        ("{{ 12 | months }}", "zh", "12 个月"),
        ("{{ 0.25 | pct }} {{ 1234 | num }}", "zh", "25% 1,234"),
        ("{{ probe.cash | money }}", "zh", "60万"),
    ],
)
def test_filters_use_the_template_locale(
    renderer: Renderer, source: str, locale: str, expected: str
) -> None:
    """Filters in templates format for the locale being rendered."""
    assert render(renderer, source, locale=locale) == expected


@pytest.mark.parametrize(
    ("source", "locale", "expected"),
    [
        ("{{ basics.stage | label('basics.stage') }}", "en", "Mvp"),
        ("{{ basics.stage | label('basics.stage') }}", "zh", "试点阶段"),
        ("{{ probe.channels | label('probe.channels') }}", "en", "Angel, Bank loan"),
        ("{{ probe.channels | label('probe.channels') }}", "zh", "天使投资、银行贷款"),
        ("{{ 'scaling' | label('basics.stage') }}", "en", "scaling"),
    ],
)
def test_label_filter(renderer: Renderer, source: str, locale: str, expected: str) -> None:
    """label() shows option labels, a list joined the way the language joins it."""
    assert render(renderer, source, locale=locale) == expected


@pytest.mark.parametrize(
    "source",
    ["{{ basics.stage | label('nosuch.stage') }}", "{{ basics.stage | label('basics.nosuch') }}"],
)
def test_label_filter_with_unknown_key_raises(renderer: Renderer, source: str) -> None:
    """label() with a key naming no flow or step is a content bug and raises."""
    with pytest.raises(RenderError):
        render(renderer, source)


@pytest.mark.parametrize(("labels", "locale", "expected"), [
    (["a", "b"], "en", "a, b"), (["a", "b"], "zh", "a、b"), (["a"], "zh", "a"), ([], "en", ""),
])  # fmt: skip
def test_join_labels(labels: list[str], locale: str, expected: str) -> None:
    """Labels are joined with ', ' in English and '、' in Chinese."""
    assert fmt.join_labels(labels, locale) == expected


# ---------------------------------------------------------------- UI strings


@pytest.mark.parametrize(
    ("locale", "target", "expected"),
    [("en", HTML, "Hi <b>&lt;Al&gt;</b>"), ("zh", PLAIN, "你好 <Al>"),
     ("en", MARKDOWN, r"Hi **\<Al>**")],
)  # fmt: skip
def test_ui_string(renderer: Renderer, locale: str, target: Target, expected: str) -> None:
    """UI strings render with their parameters, escaped like facts."""
    assert renderer.ui("greet", locale, target, name="<Al>") == expected


@pytest.mark.parametrize("key", ["nosuch", "errors.nosuch", "greet.deeper", "errors"])
def test_missing_ui_string_raises(renderer: Renderer, key: str) -> None:
    """Asking for a UI string that is not there (or not a string) raises RenderError."""
    with pytest.raises(RenderError):
        renderer.ui(key, "en", PLAIN)


@settings(max_examples=300, deadline=None)
@given(
    source=st.text(alphabet=st.sampled_from("ab 中<>&*_`\n\t{}%#\\[]()!."), max_size=60),
    target=st.sampled_from(list(Target)),
)
def test_a_string_without_jinja_syntax_renders_as_jinja_would(
    catalog: Catalog, source: str, target: Target
) -> None:
    """Such strings skip compiling; what they render to must not change."""
    renderer = Renderer(catalog)
    converted = convert(source, target)
    assume(not re.search(r"\{[{%#]", converted))
    compiled = renderer._envs[target, False].from_string(converted)
    assert renderer.compile(source, target).render({}) == compiled.render({})
