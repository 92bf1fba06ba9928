"""check_templates: every template rendered with preview facts before a founder sees it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalog import check_catalog, load_checked_catalog
from bot.engine import load_catalog
from bot.errors import FlowDefinitionError
from bot.rendering.check import check_templates, preview_facts, telegram_html_problems
from tests.engine.flowkit import BASICS, PROBE, REPO, texts_for, write_catalog


def en_probe(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """English words for PROBE, changed by ``change``."""
    words = texts_for(PROBE, "en")
    change(words)
    return {"en/probe": words}


def template_problems(root: Path, **kwargs: Any) -> list[tuple[str, str, str]]:
    """(file name, where, what) of every template problem in a written catalog."""
    flows_dir, content_dir = write_catalog(root, **kwargs)
    catalog = load_catalog(flows_dir, content_dir, strict=True)
    return [
        (str(Path(p.file).relative_to(root)), p.where, p.what)
        for p in check_templates(catalog, content_dir)
    ]


def test_the_kit_templates_render(tmp_path: Path) -> None:
    """The test flows' templates all render (so each problem below is caused)."""
    assert template_problems(tmp_path) == []


def test_undefined_variable_is_reported(tmp_path: Path) -> None:
    """A prompt naming a fact that does not exist is reported with file and step."""
    texts = en_probe(lambda w: w["steps"]["cash"].update(prompt="How much, {{ probe.nosuch }}?"))
    found = template_problems(tmp_path, texts=texts)
    assert [(file, where) for file, where, _ in found] == [
        ("content/en/probe.yaml", "step 'cash': prompt")
    ]


def test_undefined_variable_problem_says_why(tmp_path: Path) -> None:
    """The problem says the template does not render and names the missing attribute."""
    texts = en_probe(lambda w: w["steps"]["cash"].update(prompt="How much, {{ probe.nosuch }}?"))
    ((_, _, what),) = template_problems(tmp_path, texts=texts)
    assert (what.startswith("does not render: UndefinedError"), "'nosuch'" in what) == (True, True)


def test_unbalanced_html_is_reported(tmp_path: Path) -> None:
    """Bold opened inside a false condition leaves <b> unclosed; the check reports it."""
    source = "**{% if probe.cash < 1 %}none**{% endif %} left"
    texts = en_probe(lambda w: w["rules"]["runway_short"].update(text=source))
    found = template_problems(tmp_path, texts=texts)
    assert found == [("content/en/probe.yaml", "rule 'runway_short': text", "<b> is never closed")]


def test_misnested_markup_is_reported(tmp_path: Path) -> None:
    """Overlapping bold and italic produce tags Telegram would reject."""
    texts = en_probe(lambda w: w["steps"]["burn"].update(hint="**a _b** c_"))
    found = template_problems(tmp_path, texts=texts)
    assert [(where, what) for _, where, what in found] == [
        ("step 'burn': hint", "</b> does not close the open tag"),
        ("step 'burn': hint", "<b> is never closed"),
    ]


def test_assessment_reason_is_rendered_for_every_score(tmp_path: Path) -> None:
    """A reason that only breaks for some scores is still caught."""
    reason = "{% if score == 5 %}{{ probe.nosuch }}{% else %}fine{% endif %}"
    texts = en_probe(lambda w: w["assessment"]["runway"].update(reason=reason))
    found = template_problems(tmp_path, texts=texts)
    assert [(file, where) for file, where, _ in found] == [
        ("content/en/probe.yaml", "dimension 'runway': reason")
    ]


def test_broken_commitment_is_reported(tmp_path: Path) -> None:
    """Commitment words are templates too and are checked."""
    words = "Cut {{ probe.burn | nosuchfilter }}"
    texts = en_probe(lambda w: w["rules"]["runway_short"]["commitments"].update(cut_burn=words))
    found = template_problems(tmp_path, texts=texts)
    assert [where for _, where, _ in found] == ["rule 'runway_short': commitment 'cut_burn'"]


def test_preview_facts_merge_every_flow(tmp_path: Path) -> None:
    """Preview facts of all flows are merged into one founder who answered everything."""
    flows_dir, content_dir = write_catalog(tmp_path)
    facts = preview_facts(load_catalog(flows_dir, content_dir))
    assert (sorted(facts), facts["basics"]["stage"], facts["probe"]["cash"]) == (
        ["basics", "probe"],
        "mvp",
        600_000,
    )


def test_own_preview_wins(tmp_path: Path) -> None:
    """Another flow's preview of basics fills gaps but cannot change basics' own preview."""
    probe = {**PROBE, "preview": {**PROBE["preview"], "basics": {"stage": "idea", "city": "x"}}}
    flows_dir, content_dir = write_catalog(tmp_path, [BASICS, probe])
    facts = preview_facts(load_catalog(flows_dir, content_dir))
    assert facts["basics"] == {"name": "Lin", "stage": "mvp", "city": "x"}


def test_check_catalog_adds_template_problems(tmp_path: Path) -> None:
    """check_catalog reports load problems and template problems together."""
    texts = en_probe(lambda w: w.update(done="Bye {{ probe.nosuch }}"))
    flows_dir, content_dir = write_catalog(tmp_path, texts=texts)
    _, found = check_catalog(flows_dir, content_dir)
    assert [(Path(p.file).name, p.where) for p in found] == [("probe.yaml", "done")]


def test_load_checked_catalog_raises_on_template_problems(tmp_path: Path) -> None:
    """The coach refuses to start when a template does not render."""
    texts = en_probe(lambda w: w.update(intro="{{ nosuch }}"))
    flows_dir, content_dir = write_catalog(tmp_path, texts=texts)
    with pytest.raises(FlowDefinitionError) as info:
        load_checked_catalog(flows_dir, content_dir)
    assert [p.where for p in info.value.problems] == ["intro"]


def test_a_passed_check_is_remembered_until_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart with the same flows and content skips rendering; a change checks again."""
    flows_dir, content_dir = write_catalog(tmp_path / "kit")
    state = tmp_path / "data"
    state.mkdir()
    checks: list[Path] = []
    real = check_templates
    monkeypatch.setattr(
        "bot.catalog.check_templates",
        lambda cat, folder: checks.append(folder) or real(cat, folder),
    )
    load_checked_catalog(flows_dir, content_dir, remember_in=state)
    load_checked_catalog(flows_dir, content_dir, remember_in=state)
    assert len(checks) == 1
    assert len(list(state.glob(".templates-checked-*"))) == 1
    texts = en_probe(lambda w: w.update(intro="{{ nosuch }}"))
    write_catalog(tmp_path / "kit", texts=texts)  # a broken deploy over a checked one
    with pytest.raises(FlowDefinitionError):
        load_checked_catalog(flows_dir, content_dir, remember_in=state)
    assert len(checks) == 2


def test_ui_template_syntax_error_is_reported(tmp_path: Path) -> None:
    """A UI string that is not a valid template is caught before the coach starts."""
    ui = yaml.safe_load((REPO / "content" / "en" / "ui.yaml").read_text(encoding="utf-8"))
    ui["goodbye"] = "See you {{ name"
    found = template_problems(tmp_path, ui={"en": ui})
    assert [(file, where) for file, where, _ in found] == [("content/en/ui.yaml", "goodbye")]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>ok</b> and <i>fine</i>", []),
        ('<a href="https://example.com">x</a> <code>y</code>', []),
        ("a &amp; b &lt;c&gt;", []),
        ("<b>x", ["<b> is never closed"]),
        ("x</b>", ["</b> does not close the open tag"]),
        ("<b><i>x</b></i>", ["</b> does not close the open tag", "<b> is never closed"]),
        ("<div>x</div>", ["<div> is not allowed by Telegram"]),
        ("<blockquote><s>x</s></blockquote>", []),
        ("<script>x</script>", ["<script> is not allowed by Telegram"]),
    ],
)  # fmt: skip
def test_telegram_html_problems(html: str, expected: list[str]) -> None:
    """Unknown tags, stray closing tags and unclosed tags are each reported."""
    assert telegram_html_problems(html) == expected
