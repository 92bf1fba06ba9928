"""The small content markup, converted per target before templates are compiled."""

from __future__ import annotations

import pytest

from bot.rendering.markup import Target, convert, escape_markdown, tidy

HTML, PLAIN, MARKDOWN = Target.HTML, Target.PLAIN, Target.MARKDOWN


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("**bold**", HTML, "<b>bold</b>"),
        ("**bold**", PLAIN, "bold"),
        ("**bold**", MARKDOWN, "**bold**"),
        ("_italic_", HTML, "<i>italic</i>"),
        ("_italic_", PLAIN, "italic"),
        ("_italic_", MARKDOWN, "_italic_"),
        ("- one\n- two", HTML, "• one\n• two"),
        ("- one\n- two", PLAIN, "• one\n• two"),
        ("- one\n- two", MARKDOWN, "- one\n- two"),
        ("a **b** and _c_", HTML, "a <b>b</b> and <i>c</i>"),
        ("**two\nlines**", HTML, "<b>two\nlines</b>"),
        ("R&D <team>", HTML, "R&amp;D &lt;team&gt;"),
        ("R&D <team>", PLAIN, "R&D <team>"),
        ("snake_case_ids stay", HTML, "snake_case_ids stay"),
        ("2 * 3 ** 4", HTML, "2 * 3 ** 4"),
        ("** not bold **", HTML, "** not bold **"),
        ("a - b", HTML, "a - b"),
    ],
)
def test_convert(source: str, target: Target, expected: str) -> None:
    """Bold, italic and bullets become the target's markup; HTML escapes the source text."""
    assert convert(source, target) == expected


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("**{{ onboarding.team_size }}**", HTML, "<b>{{ onboarding.team_size }}</b>"),
        ("**{{ onboarding.team_size }}**", PLAIN, "{{ onboarding.team_size }}"),
        ("_Why: {{ why }}_", HTML, "<i>Why: {{ why }}</i>"),
        ("{{ a_b_c }} and {{ x_y }}", HTML, "{{ a_b_c }} and {{ x_y }}"),
        ("{{ team.roles | label('team.roles') }}", HTML,
         "{{ team.roles | label('team.roles') }}"),
        ("{% if x < 3 and y > 1 %}**a**{% endif %}", HTML,
         "{% if x < 3 and y > 1 %}<b>a</b>{% endif %}"),
        ("{# _note_ & **x** #}", HTML, "{# _note_ & **x** #}"),
        ("{{ '**' }}", PLAIN, "{{ '**' }}"),
    ],
)  # fmt: skip
def test_convert_leaves_jinja_tags_alone(source: str, target: Target, expected: str) -> None:
    """Underscores, asterisks and < inside jinja tags are not markup and not escaped."""
    assert convert(source, target) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("**x**", r"\*\*x\*\*"),
        ("_x_", r"\_x\_"),
        ("<b>", r"\<b>"),
        ("[link](http://x)", r"\[link\](http://x)"),
        ("# title", r"\# title"),
        ("- item", r"\- item"),
        ("a\\b", "a\\b"),  # a backslash before a letter escapes nothing
        ("a\\*", r"a\\\*"),
        ("plain words", "plain words"),
        ("mid-size, 2.5M (vertical AI) #1 + C++", "mid-size, 2.5M (vertical AI) #1 + C++"),
        ("snake_case", "snake_case"),
        ("1. first\n> quote", "1\\. first\n\\> quote"),
    ],
)
def test_escape_markdown(value: str, expected: str) -> None:
    """Founder text cannot add Markdown formatting, links or headings."""
    assert escape_markdown(value) == expected


def test_escape_markdown_escapes_entities() -> None:
    """An HTML entity typed by a founder stays literal in Markdown."""
    assert escape_markdown("&copy;") == r"\&copy;"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a  \nb", "a\nb"), ("a\n\n\n\nb", "a\n\nb"), ("\n a \n", "a"), ("a\tb", "a\tb")],
)
def test_tidy(text: str, expected: str) -> None:
    """Trailing spaces and extra blank lines left by template logic are removed."""
    assert tidy(text) == expected


def test_format_text_escapes_before_adding_markup() -> None:
    """Python-built text with founder words: escaped for Telegram, its **bold** kept."""
    from bot.rendering.markup import format_text

    text = "**Asks**\n- Intros to <CTO> candidates & angels"
    assert (
        format_text(text, Target.HTML)
        == "<b>Asks</b>\n• Intros to &lt;CTO&gt; candidates &amp; angels"
    )
    assert format_text(text, Target.PLAIN) == "Asks\n• Intros to <CTO> candidates & angels"
