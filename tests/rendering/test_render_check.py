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
from tests.engine.flowkit import BASICS, PROBE, REPO, fresh, texts_for, write_catalog


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
        lambda cat, folder, **kw: checks.append(folder) or real(cat, folder, **kw),
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


# ---------------------------------------------------------------- reachable states (issue #11)

EXTRA: dict[str, Any] = {
    "id": "extra",
    "menu": False,
    "steps": [{"id": "segment", "kind": "choice", "options": ["smb", "enterprise"]}],
    "preview": {"extra": {"segment": "smb"}},
}


def probe_with(**changes: Any) -> dict[str, Any]:
    """PROBE with top-level keys changed (``requires``, ``preview``...)."""
    return {**PROBE, **changes}


def found_in(root: Path, specs: list[dict[str, Any]] | None = None, **kwargs: Any) -> list[Any]:
    """(where, what) of every template problem."""
    return [(where, what) for _, where, what in template_problems(root, specs=specs, **kwargs)]


def test_a_fact_of_a_flow_not_required_is_caught(tmp_path: Path) -> None:
    """Advice reading another flow's fact unguarded fails for a founder who skipped that flow."""
    texts = en_probe(lambda w: w["rules"]["grants_only"].update(text="For {{ extra.segment }}."))
    found = found_in(tmp_path, [BASICS, PROBE, EXTRA], texts=texts)
    assert [(where, "(extra not done)" in what) for where, what in found] == [
        ("rule 'grants_only': text", True)
    ]


def test_a_required_flow_is_always_there(tmp_path: Path) -> None:
    """With `requires: [extra]` the coach runs extra first, so its facts are always given."""
    texts = en_probe(lambda w: w["rules"]["grants_only"].update(text="For {{ extra.segment }}."))
    specs = [BASICS, probe_with(requires=["extra"]), EXTRA]
    assert found_in(tmp_path, specs, texts=texts) == []


def test_a_profile_template_before_onboarding_is_caught(tmp_path: Path) -> None:
    """Issue #11: a question naming the founder fails when the profile flow is not done."""
    texts = en_probe(lambda w: w["steps"]["nickname"].update(prompt="Hi {{ basics.name }}!"))
    found = found_in(tmp_path, texts=texts)
    assert [(where, "(basics not done)" in what) for where, what in found] == [
        ("step 'nickname': prompt", True)
    ]
    fixed = found_in(tmp_path / "fixed", [BASICS, probe_with(requires=["basics"])], texts=texts)
    assert fixed == []


def test_a_skipped_optional_step_is_caught(tmp_path: Path) -> None:
    """Advice reading an optional answer unguarded fails when the founder skipped it."""
    texts = en_probe(
        lambda w: w["rules"]["grants_only"].update(why="You burn {{ probe.burn | money }}.")
    )
    found = found_in(tmp_path, texts=texts)
    assert [(where, "probe.burn skipped" in what) for where, what in found] == [
        ("rule 'grants_only': why", True)
    ]


def test_a_skipped_optional_step_guarded_with_is_defined_passes(tmp_path: Path) -> None:
    """The same words behind `is defined` are fine."""
    why = "{% if probe.burn is defined %}You burn {{ probe.burn | money }}.{% endif %}"
    texts = en_probe(lambda w: w["rules"]["grants_only"].update(why=why))
    assert found_in(tmp_path, texts=texts) == []


def test_a_conditional_step_turned_off_is_caught(tmp_path: Path) -> None:
    """`cash` is asked only at mvp or revenue: the done text cannot rely on it."""
    texts = en_probe(lambda w: w.update(done="You have {{ probe.cash | money }}."))
    found = found_in(tmp_path, texts=texts)
    assert [(where, "probe.stage = idea" in what) for where, what in found] == [("done", True)]


def test_a_question_sees_only_earlier_answers(tmp_path: Path) -> None:
    """A question cannot name an answer given after it (here: burn, asked after cash)."""
    texts = en_probe(lambda w: w["steps"]["cash"].update(prompt="Cash, at {{ probe.burn }}?"))
    found = found_in(tmp_path, texts=texts)
    assert [(where, "asking probe.cash, only the answers before it" in what)
            for where, what in found] == [("step 'cash': prompt", True)]  # fmt: skip


def test_a_rule_is_rendered_only_where_it_holds(tmp_path: Path) -> None:
    """runway_short fires only with a runway, so its words may rely on one."""
    text = "Runway: {{ probe.runway_months | months }}."
    texts = en_probe(lambda w: w["rules"]["runway_short"].update(text=text))
    assert found_in(tmp_path, texts=texts) == []


def test_a_first_run_has_no_last(tmp_path: Path) -> None:
    """`last.<flow>` is what the founder said last time: a first run has none."""
    preview = {**PROBE["preview"], "last": {"probe": {"cash": 500_000}}}
    texts = en_probe(lambda w: w.update(done="Last time: {{ last.probe.cash | money }}."))
    found = found_in(tmp_path, [BASICS, probe_with(preview=preview)], texts=texts)
    assert [(where, "first run of probe (no last.probe)" in what) for where, what in found] == [
        ("done", True)
    ]


def test_markup_broken_in_a_reachable_state_is_caught(tmp_path: Path) -> None:
    """Bold opened inside a condition that a skipped answer turns off is reported with it."""
    text = "**{% if probe.burn is defined %}burn**{% endif %} left"
    texts = en_probe(lambda w: w["rules"]["grants_only"].update(text=text))
    assert found_in(tmp_path, texts=texts) == [
        ("rule 'grants_only': text", "<b> is never closed (probe.burn skipped)")
    ]


def test_each_template_is_reported_once(tmp_path: Path) -> None:
    """A template failing in many states is one problem (its first failing state)."""
    texts = en_probe(lambda w: w.update(done="{{ probe.cash }} {{ extra.segment }}"))
    found = found_in(tmp_path, [BASICS, PROBE, EXTRA], texts=texts)
    assert [where for where, _ in found] == ["done"]


def test_the_real_flows_require_the_profile(real_catalog: Any) -> None:
    """Every coaching conversation and the weekly update start after onboarding."""
    required = {flow_id: real_catalog.required_flows(flow_id) for flow_id in real_catalog.flows}
    assert {flow_id for flow_id, needs in required.items() if needs == ("onboarding",)} == {
        "team", "funding", "marketing", "update", "risk_legal", "business_model",
        "product_tech"
    }  # fmt: skip


def test_start_up_checks_every_template_once_and_leaves_states_to_flows_check(
    tmp_path: Path,
) -> None:
    """A template that breaks only in a state a run can reach is ``flows check``'s to find.

    Start-up renders each template with every question answered (fast, so a fresh data
    folder starts within its budget); CI's ``flows check`` walks the reachable states.
    """
    # renders with the preview's answers; fails at an idea stage, where cash is not asked
    texts = en_probe(lambda w: w.update(done="{{ probe.cash + 1 }}"))
    flows_dir, content_dir = write_catalog(tmp_path, texts=texts)
    load_checked_catalog(flows_dir, content_dir)  # starts
    _, problems = check_catalog(flows_dir, content_dir)
    assert problems, "flows check must still find it"


def test_a_score_contradicting_the_advice_is_reported(tmp_path: Path) -> None:
    """A score band and a fired rule that claim the opposite fail `flows check`."""
    probe = fresh(PROBE)
    probe["rules"][1].update(when="probe.runway_months < 24", claims=["-runway"])
    probe["assessment"][0].update(
        score="5 if probe.runway_months >= 3 else 1", claims={5: ["+runway"], 1: ["-runway"]}
    )
    found = template_problems(tmp_path, specs=[BASICS, probe])
    assert [(file, where) for file, where, _ in found] == [("flows/probe.yaml", "advice")]
    assert "score 'runway' 5/5 says +runway, rule 'runway_short' says -runway" in found[0][2]


def test_an_alternative_the_founder_chose_is_reported(tmp_path: Path) -> None:
    probe = fresh(PROBE)
    probe["rules"][0]["offers"] = {"probe.channels": ["grants"]}  # fires when grants is chosen
    found = template_problems(tmp_path, specs=[BASICS, probe])
    assert [(where, what.split(" (")[0]) for _, where, what in found] == [
        ("advice", "rule 'grants_only' offers probe.channels = 'grants', the founder's own answer")
    ]


def test_a_check_remembered_at_build_time_is_trusted_by_every_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``flows check --remember`` (the image build) marks the files beside the code; a start
    with no folder of its own (a worker on PostgreSQL) then skips the check, until a file
    changes."""
    from bot.cli import main

    flows_dir, content_dir = write_catalog(tmp_path / "kit")
    built = tmp_path / "site-packages" / "bot"
    built.mkdir(parents=True)
    monkeypatch.setattr("bot.catalog.BUILT_MARKS", built)
    monkeypatch.setenv("FOUNDER_COACH_FLOWS_DIR", str(flows_dir))
    monkeypatch.setenv("FOUNDER_COACH_CONTENT_DIR", str(content_dir))
    checks: list[Path] = []
    real = check_templates
    monkeypatch.setattr(
        "bot.catalog.check_templates",
        lambda cat, folder, **kw: checks.append(folder) or real(cat, folder, **kw),
    )
    load_checked_catalog(flows_dir, content_dir)
    assert len(checks) == 1
    assert not list(built.iterdir())  # nothing remembered by a start
    assert main(["flows", "check"]) == 0
    assert not list(built.iterdir())  # only when asked
    assert main(["flows", "check", "--remember"]) == 0
    assert len(list(built.glob(".templates-checked-*"))) == 1
    checks.clear()
    load_checked_catalog(flows_dir, content_dir)
    assert checks == []
    texts = en_probe(lambda w: w.update(intro="{{ nosuch }}"))
    write_catalog(tmp_path / "kit", texts=texts)  # a different deploy: checked again
    with pytest.raises(FlowDefinitionError):
        load_checked_catalog(flows_dir, content_dir)
    capsys.readouterr()
