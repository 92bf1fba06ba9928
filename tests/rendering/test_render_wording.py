"""flows check on the words: hints said twice, and Chinese typography (issue #11)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine import load_catalog
from bot.rendering import Renderer
from bot.rendering.wording import wording_problems
from tests.engine.flowkit import BASICS, PROBE, texts_for, write_catalog


def problems(
    root: Path, locale: str, change: Callable[[dict[str, Any]], None], *, prefill: bool = False
) -> list:
    """(file name, where, what) of every wording problem after changing PROBE's words."""
    words = texts_for(PROBE, locale)
    change(words)
    specs = [BASICS, {**PROBE, "prefill": True}] if prefill else None
    flows_dir, content_dir = write_catalog(root, specs, texts={f"{locale}/probe": words})
    catalog = load_catalog(flows_dir, content_dir, strict=True)
    return [
        (Path(p.file).relative_to(root).as_posix(), p.where, p.what)
        for p in wording_problems(catalog, content_dir, Renderer(catalog))
    ]


def test_the_kit_words_are_fine(tmp_path: Path) -> None:
    """The generated words repeat nothing (so each problem below is caused)."""
    assert problems(tmp_path, "en", lambda w: None) == []


@pytest.mark.parametrize(
    ("locale", "prompt"),
    [("en", "Which channels? Pick all that apply."), ("zh", "哪些渠道？可多选。")],
)
def test_a_prompt_repeating_the_multiple_choice_hint(
    tmp_path: Path, locale: str, prompt: str
) -> None:
    """B9: "Pick all that apply." in the question, and again in the coach's hint."""
    found = problems(tmp_path, locale, lambda w: w["steps"]["channels"].update(prompt=prompt))
    assert [(file, where, "repeats the hint" in what) for file, where, what in found] == [
        (f"content/{locale}/probe.yaml", "step 'channels': prompt", True)
    ]


def test_a_hint_saying_how_to_skip(tmp_path: Path) -> None:
    """B9: an optional step whose hint says /skip gets the coach's /skip hint too."""
    found = problems(
        tmp_path, "en", lambda w: w["steps"]["burn"].update(hint="Type /skip if unsure.")
    )
    assert [(where, "skip_hint" in what) for _, where, what in found] == [
        ("step 'burn': hint", True)
    ]


def test_skip_hint_tells_the_coach_to_leave_its_hint_out(tmp_path: Path) -> None:
    """With `skip_hint` the step's own words are the only /skip hint: no problem."""
    found = problems(
        tmp_path,
        "en",
        lambda w: w["steps"]["burn"].update(hint="Monthly.", skip_hint="Type /skip if unsure."),
    )
    assert found == []


def test_a_skip_in_the_hint_of_a_step_with_an_answer_to_keep(tmp_path: Path) -> None:
    """On a re-run the keep hint says /skip keeps the answer: the step's hint may not say
    /skip leaves it blank (founder trial), even where the coach's skip hint is left out."""
    found = problems(
        tmp_path,
        "en",
        lambda w: w["steps"]["cash"].update(hint="Type /skip if unsure."),
        prefill=True,
    )
    assert ("step 'cash': hint", True) in [
        (where, "repeats the hint" in what) for _, where, what in found
    ]


def test_covers_answering_for_a_multiple_choice_step(tmp_path: Path) -> None:
    """A multi step that says how to answer in its own hint may leave the generic one out."""
    hint = "Pick all that apply, separated by commas, e.g. 1, 2."
    found = problems(
        tmp_path,
        "en",
        lambda w: w["steps"]["channels"].update(hint=hint, covers=["answering"]),
    )
    assert found == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("已暂停「{{ probe.nickname }}」。", "use “” for quotes"),
        ("回复数字即可(可多选)。", "use full-width （） around Chinese text"),
        ("写城市名，比如 上海、深圳。", "no space between Chinese characters"),
        # issue #13: one quotation style, a coach's word, no English to type, native amounts
        ('他说"可以"就行。', "use “” for quotes, not straight"),
        ("查看回访安排。", "say 跟进 or 进展确认"),
        ("回复 keep 保持原样。", "a Chinese founder never has to type an English word"),
        ("想自己写就回复“none”。", "a Chinese founder never has to type an English word"),
        ("目标是融 2,000万。", "no thousands separator before 万 or 亿"),
        ("目标是融 {{ probe.cash | num }}万。", "write a Chinese amount with `| money`"),
    ],
)
def test_chinese_typography(tmp_path: Path, text: str, what: str) -> None:
    """zh: “” not 「」, （） around Chinese, and no space between two characters."""
    found = problems(tmp_path, "zh", lambda w: w.update(intro=text))
    assert [(where, found_what.startswith(what)) for _, where, found_what in found] == [
        ("intro", True)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "{{ probe.nickname }} 目前处在哪个阶段？",  # a value: spaced by the renderer
        "比如 Asia/Shanghai 或 UTC+8。",  # Chinese next to Latin text
        "（例如 1, 3）",
        "回复“不变”或发 /skip 就保持原样。",  # a Chinese word, or a /command
        "目标是融 {{ probe.cash | money }}。",
        "查看跟进安排。",
        "他说“可以”就行。",
    ],
)
def test_chinese_typography_that_is_fine(tmp_path: Path, text: str) -> None:
    """Spaces next to values or Latin text, and full-width parentheses, are fine."""
    assert problems(tmp_path, "zh", lambda w: w.update(intro=text)) == []


def spacing_problems(root: Path, intro: str) -> list[tuple[str, str]]:
    """(where, what) of the rendered-spacing problems of a zh intro, with the preview."""
    from bot.rendering.check import preview_facts

    words = texts_for(PROBE, "zh")
    words["intro"] = intro
    flows_dir, content_dir = write_catalog(root, texts={"zh/probe": words})
    catalog = load_catalog(flows_dir, content_dir, strict=True)
    found = wording_problems(catalog, content_dir, Renderer(catalog), preview_facts(catalog))
    return [(p.where, p.what) for p in found]


def test_a_chinese_answer_never_sits_behind_a_space(tmp_path: Path) -> None:
    """Rendered with Chinese answers, a value built in the template keeps no space (§3 zh 2)."""
    found = spacing_problems(tmp_path, "你好，{{ probe.nickname ~ ' 同学' }}。")
    assert [(where, what.split(" (")[0]) for where, what in found] == [
        ("intro", "a space between Chinese characters once a Chinese answer is put in")
    ]
    assert "深言智能 同学" in found[0][1]


@pytest.mark.parametrize(
    "intro",
    ["用一句话介绍 {{ probe.nickname }}：", "{{ probe.nickname }} 目前处在哪个阶段？",
     "你好，{{ probe.nickname }}。"],
)  # fmt: skip
def test_values_spaced_by_the_renderer_are_fine(tmp_path: Path, intro: str) -> None:
    assert spacing_problems(tmp_path, intro) == []
