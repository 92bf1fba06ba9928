"""Chinese text: a value gets spaces only where it meets Latin letters or digits (issue #11).

A zh template writes ``用一句话介绍 **{{ onboarding.startup }}**：``; a Chinese startup name
must then read ``用一句话介绍深言智能：`` and a Latin one ``用一句话介绍 Ledgerly AI：``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine import Catalog
from bot.rendering import Renderer, Target
from bot.rendering.spacing import mark, space_values
from tests.engine.flowkit import load


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load(tmp_path_factory.mktemp("spacing"))


@pytest.fixture(scope="module")
def renderer(catalog: Catalog) -> Renderer:
    return Renderer(catalog)


def zh(renderer: Renderer, source: str, target: Target = Target.PLAIN, **values: object) -> str:
    return renderer.render(source, values, locale="zh", target=target)


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("用一句话介绍 **{{ n }}**：面向谁？", "深言智能", "用一句话介绍深言智能：面向谁？"),
        (
            "用一句话介绍 **{{ n }}**：面向谁？",
            "Ledgerly AI",
            "用一句话介绍 Ledgerly AI：面向谁？",
        ),
        ("用一句话介绍**{{ n }}**：面向谁？", "Ledgerly AI", "用一句话介绍 Ledgerly AI：面向谁？"),
        ("{{ n }} 目前处在哪个阶段？", "深言智能", "深言智能目前处在哪个阶段？"),
        ("{{ n }}目前处在哪个阶段？", "Ledgerly AI", "Ledgerly AI 目前处在哪个阶段？"),
        ("先确认一下 {{ n }} 目前所处的阶段。", "深言智能", "先确认一下深言智能目前所处的阶段。"),
        ("在{{ n }}阶段", "MVP/试点", "在 MVP/试点阶段"),
        ("约 {{ n }}，比较宽裕", "12个月", "约 12个月，比较宽裕"),
        ("约{{ n }}，比较宽裕", "12个月", "约 12个月，比较宽裕"),
        ("已暂停“{{ n }}”。", "Marketing", "已暂停“Marketing”。"),
        ("已暂停“ {{ n }} ”。", "市场与获客", "已暂停“市场与获客”。"),
        ("第 {{ n }} 题", "3", "第 3 题"),
        ("（{{ n }}）", "3/8", "（3/8）"),
        ("我不认识 {{ n }} 这个命令", "/foo", "我不认识 /foo 这个命令"),
        # a value that starts a line keeps its line (the investor draft's signoff, #13)
        ("感谢各位的支持！\n{{ n }}", "林", "感谢各位的支持！\n林"),
        ("感谢各位的支持！\n{{ n }}", "Ada", "感谢各位的支持！\nAda"),
        ("第一行\n\n{{ n }} 的目标", "深言智能", "第一行\n\n深言智能的目标"),
    ],
)
def test_values_are_spaced_only_next_to_latin_text(
    renderer: Renderer, source: str, name: str, expected: str
) -> None:
    """Chinese next to Chinese or to Chinese punctuation: no space; next to Latin: one."""
    assert zh(renderer, source, n=name) == expected


@pytest.mark.parametrize(
    ("target", "name", "expected"),
    [
        (Target.HTML, "深言智能", "用一句话介绍<b>深言智能</b>：面向谁？"),
        (Target.HTML, "Ledgerly AI", "用一句话介绍 <b>Ledgerly AI</b>：面向谁？"),
        (Target.MARKDOWN, "深言智能", "用一句话介绍**深言智能**：面向谁？"),
        (Target.MARKDOWN, "Ledgerly AI", "用一句话介绍 **Ledgerly AI**：面向谁？"),
    ],
)
def test_the_space_goes_outside_the_markup(
    renderer: Renderer, target: Target, name: str, expected: str
) -> None:
    """Bold stays tight around the name; the space (if any) sits outside it."""
    assert zh(renderer, "用一句话介绍 **{{ n }}**：面向谁？", target, n=name) == expected


def test_english_text_is_left_as_written(renderer: Renderer) -> None:
    """Only Chinese templates are respaced."""
    source = "Which stage is {{ n }} at?"
    assert renderer.render(source, {"n": "深言智能"}, locale="en", target=Target.PLAIN) == (
        "Which stage is 深言智能 at?"
    )


def test_founder_text_inside_a_value_is_untouched(renderer: Renderer) -> None:
    """Only the edges of a value are settled: what the founder typed stays as typed."""
    assert (
        zh(renderer, "卡点：{{ n }}。", n="和 两家律所 谈 SOC 2") == "卡点：和 两家律所 谈 SOC 2。"
    )


def test_the_real_pitch_prompt_reads_naturally(real_catalog: Catalog) -> None:
    """The zh onboarding pitch prompt with a Chinese startup name has no stray spaces."""
    renderer = Renderer(real_catalog)
    source = real_catalog.flows["onboarding"].texts["zh"].steps["pitch"].prompt
    facts = {"onboarding": {"startup": "深言智能"}}
    text = renderer.render(source, facts, locale="zh", target=Target.PLAIN)
    assert text == "用一句话介绍深言智能：面向谁，帮他们解决什么问题？"


@given(st.text(alphabet=st.sampled_from("ab 中文。，“”<>*_1\n"), max_size=12))
def test_marks_never_leak(value: str) -> None:
    """Whatever a value holds, no mark is left in the text."""
    text = space_values(f"前{mark(value)}后 x{mark(value)}")
    assert ("\ue000" in text, "\ue001" in text) == (False, False)
