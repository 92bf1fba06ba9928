"""Loading and validating flows: every problem names its file and the step or rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.engine import load_catalog
from bot.errors import FlowDefinitionError, Problem
from tests.engine.flowkit import BASICS, PROBE, REPO, fresh, texts_for, write_catalog


def problems(root: Path, specs: list[dict[str, Any]] | None = None, **kwargs: Any) -> list:
    """Write a catalog and load it leniently; return every problem found."""
    flows_dir, content_dir = write_catalog(root, specs, **kwargs)
    return load_catalog(flows_dir, content_dir, strict=False).problems


def probe_with(change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    """BASICS and a copy of PROBE changed by ``change``."""
    probe = fresh(PROBE)
    change(probe)
    return [BASICS, probe]


def step(spec: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in spec["steps"] if s["id"] == step_id)


def probe_texts(locale: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Generated content for PROBE in one locale, changed by ``change``."""
    words = texts_for(PROBE, locale)
    change(words)
    return {f"{locale}/probe": words}


def flow_file(root: Path, flow_id: str = "probe") -> str:
    return str(root / "flows" / f"{flow_id}.yaml")


def content_file(root: Path, locale: str, name: str = "probe") -> str:
    return str(root / "content" / locale / f"{name}.yaml")


def test_the_kit_is_valid(tmp_path: Path) -> None:
    """The unchanged test flows load without problems (so each problem below is caused)."""
    assert problems(tmp_path) == []


def test_unknown_key_in_a_step(tmp_path: Path) -> None:
    """An unknown key is reported with the flow file and the step id."""
    found = problems(tmp_path, probe_with(lambda p: step(p, "cash").update(colour="red")))
    assert [(p.file, p.where) for p in found] == [(flow_file(tmp_path), "step 'cash': colour")]


def test_unknown_key_in_a_rule(tmp_path: Path) -> None:
    """An unknown key in a rule is reported with the rule id."""
    found = problems(tmp_path, probe_with(lambda p: p["rules"][1].update(weight=3)))
    assert [(p.file, p.where) for p in found] == [
        (flow_file(tmp_path), "rule 'runway_short': weight")
    ]


def test_duplicate_step_id(tmp_path: Path) -> None:
    """Two steps with the same id are reported with that id."""

    def change(spec: dict[str, Any]) -> None:
        spec["steps"].insert(4, {"id": "burn", "kind": "text"})

    found = problems(tmp_path, probe_with(change))
    assert Problem(flow_file(tmp_path), "step 'burn'", "duplicate step id") in found


@pytest.mark.parametrize("when", ["probe.nosuchstep > 1", "basics.nosuchstep == 'x'"])
def test_dangling_reference_in_when(tmp_path: Path, when: str) -> None:
    """A condition naming a step that does not exist is a dangling reference."""
    found = problems(tmp_path, probe_with(lambda p: step(p, "cash").update(when=when)))
    fact = when.split()[0]
    assert found == [
        Problem(
            flow_file(tmp_path),
            "step 'cash': when",
            f"unknown fact '{fact}' (dangling reference)",
        )
    ]


def test_unknown_flow_in_when(tmp_path: Path) -> None:
    """A condition naming a flow that does not exist is reported."""
    found = problems(
        tmp_path, probe_with(lambda p: step(p, "cash").update(when="nosuchflow.stage == 'x'"))
    )
    assert found == [
        Problem(
            flow_file(tmp_path), "step 'cash': when", "unknown name 'nosuchflow' (not a flow id)"
        )
    ]


def test_dangling_reference_in_a_rule(tmp_path: Path) -> None:
    """A rule reading a fact that does not exist is reported with the rule id."""
    found = problems(tmp_path, probe_with(lambda p: p["rules"][0].update(when="probe.roles")))
    assert [(p.file, p.where) for p in found] == [
        (flow_file(tmp_path), "rule 'grants_only': when")
    ]


def test_shares_unknown_fact(tmp_path: Path) -> None:
    """A step sharing a fact that does not exist is reported."""
    found = problems(tmp_path, probe_with(lambda p: step(p, "stage").update(shares="basics.x")))
    assert found == [
        Problem(flow_file(tmp_path), "step 'stage': shares", "unknown fact 'basics.x'")
    ]


def test_suggest_unknown_fact(tmp_path: Path) -> None:
    """A step suggesting a fact that does not exist is reported."""
    found = problems(tmp_path, probe_with(lambda p: step(p, "cash").update(suggest="basics.x")))
    assert found == [
        Problem(flow_file(tmp_path), "step 'cash': suggest", "unknown fact 'basics.x'")
    ]


def test_suggest_own_fact(tmp_path: Path) -> None:
    """A step suggesting a fact of its own flow is reported (prefill does that already)."""
    found = problems(tmp_path, probe_with(lambda p: step(p, "cash").update(suggest="probe.burn")))
    assert [p.where for p in found] == ["step 'cash': suggest"]


def _review_first(spec: dict[str, Any]) -> None:
    spec["steps"].insert(0, spec["steps"].pop())


def test_review_not_last(tmp_path: Path) -> None:
    """A review that is not the last step is reported for the flow file."""
    found = problems(tmp_path, probe_with(_review_first))
    assert [(p.file, p.what) for p in found] == [
        (flow_file(tmp_path), "a review step must be the last and only one")
    ]


def test_review_not_last_names_the_step(tmp_path: Path) -> None:
    """The review-not-last problem names the review step, as every problem should."""
    found = problems(tmp_path, probe_with(_review_first))
    assert [p.where for p in found] == ["step 'review'"]


def test_invalid_expression_syntax(tmp_path: Path) -> None:
    """An expression that does not parse is reported with the rule id."""
    found = problems(
        tmp_path, probe_with(lambda p: p["rules"][3].update(when="probe.confidence <="))
    )
    assert [(p.file, p.where, p.what.startswith("invalid expression")) for p in found] == [
        (flow_file(tmp_path), "rule 'low_confidence': when", True)
    ]


def test_invalid_derived_expression(tmp_path: Path) -> None:
    """A derived value that does not parse is reported with its name."""
    found = problems(tmp_path, probe_with(lambda p: p["derived"].update(runway_months="(")))
    assert [(p.file, p.where) for p in found] == [(flow_file(tmp_path), "derived 'runway_months'")]


def test_option_label_missing_in_one_locale(tmp_path: Path) -> None:
    """A missing option label is reported with the content file and the step."""
    texts = probe_texts("zh", lambda w: w["steps"]["stage"]["options"].pop("mvp"))
    found = problems(tmp_path, texts=texts)
    assert found == [
        Problem(content_file(tmp_path, "zh"), "step 'stage'", "label missing for option 'mvp'")
    ]


def test_prompt_missing_in_one_locale(tmp_path: Path) -> None:
    """A step without words in one language is reported with the content file and the step."""
    found = problems(tmp_path, texts=probe_texts("en", lambda w: w["steps"].pop("burn")))
    assert found == [
        Problem(content_file(tmp_path, "en"), "step 'burn'", "no prompt in this language")
    ]


def test_rule_without_text_in_one_locale(tmp_path: Path) -> None:
    """A rule without words in one language is reported with the content file and rule id."""
    found = problems(tmp_path, texts=probe_texts("zh", lambda w: w["rules"].pop("no_pipeline")))
    assert found == [
        Problem(content_file(tmp_path, "zh"), "rule 'no_pipeline'", "no text in this language")
    ]


def test_commitment_ids_mismatch(tmp_path: Path) -> None:
    """Commitment words that do not match the rule's commitment ids are reported."""
    texts = probe_texts(
        "en", lambda w: w["rules"]["runway_short"]["commitments"].pop("call_investors")
    )
    found = problems(tmp_path, texts=texts)
    assert found == [
        Problem(
            content_file(tmp_path, "en"),
            "rule 'runway_short'",
            "commitment texts do not match the rule's commitments",
        )
    ]


def test_unknown_key_in_content(tmp_path: Path) -> None:
    """An unknown key in a content step is reported with the content file and the step."""
    texts = probe_texts("zh", lambda w: w["steps"]["cash"].update(promt="typo"))
    found = problems(tmp_path, texts=texts)
    assert [(p.file, p.where) for p in found] == [
        (content_file(tmp_path, "zh"), "steps.cash.promt")
    ]


def test_flow_id_must_match_file_name(tmp_path: Path) -> None:
    """A flow whose id differs from its file name is reported."""
    flows_dir, content_dir = write_catalog(tmp_path)
    (flows_dir / "probe.yaml").rename(flows_dir / "probing.yaml")
    found = load_catalog(flows_dir, content_dir, strict=False).problems
    assert (
        Problem(str(flows_dir / "probing.yaml"), "id", "flow id 'probe' must match the file name")
        in found
    )


def _real_ui(locale: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "content" / locale / "ui.yaml").read_text(encoding="utf-8"))


def test_ui_key_missing_in_one_locale(tmp_path: Path) -> None:
    """A UI string present in one language only is reported for the other's ui.yaml."""
    zh = _real_ui("zh")
    del zh["errors"]["empty"]
    found = problems(tmp_path, ui={"zh": zh})
    assert found == [
        Problem(
            str(tmp_path / "content" / "zh" / "ui.yaml"),
            "errors.empty",
            "missing in this language",
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "where", "what"),
    [
        (True, "Yes", "question.<True>",
         "key is not text (YAML reads yes/no/on/off as booleans: quote it)"),
        ("retries", 3, "question.retries", "must be a text (a template)"),
    ],
)  # fmt: skip
def test_ui_entries_must_be_text(
    tmp_path: Path, key: Any, value: Any, where: str, what: str
) -> None:
    """A UI key that YAML read as a boolean, or a value that is not text, is reported."""
    ui = {locale: _real_ui(locale) for locale in ("en", "zh")}
    for strings in ui.values():
        strings["question"][key] = value
    found = problems(tmp_path, ui=ui)
    assert [(Path(p.file).parent.name, p.where, p.what) for p in found] == [
        ("en", where, what),
        ("zh", where, what),
    ]


def test_missing_content_file(tmp_path: Path) -> None:
    """A flow without a content file in one language is reported."""
    flows_dir, content_dir = write_catalog(tmp_path)
    (content_dir / "zh" / "probe.yaml").unlink()
    found = load_catalog(flows_dir, content_dir, strict=False).problems
    assert found == [
        Problem(content_file(tmp_path, "zh"), "", "content for flow 'probe' is missing")
    ]


def test_empty_content_file_is_a_problem(tmp_path: Path) -> None:
    """An empty content file is reported rather than silently leaving a language out."""
    flows_dir, content_dir = write_catalog(tmp_path)
    (content_dir / "zh" / "probe.yaml").write_text("", encoding="utf-8")
    found = load_catalog(flows_dir, content_dir, strict=False).problems
    assert [p.file for p in found] == [content_file(tmp_path, "zh")]


def test_broken_yaml_is_a_problem(tmp_path: Path) -> None:
    """A file that is not valid YAML is reported, not raised."""
    flows_dir, content_dir = write_catalog(tmp_path)
    (flows_dir / "probe.yaml").write_text("id: probe\nsteps: [\n", encoding="utf-8")
    found = load_catalog(flows_dir, content_dir, strict=False).problems
    assert [(p.file, p.what.startswith("cannot read YAML")) for p in found] == [
        (flow_file(tmp_path), True)
    ]


def test_strict_load_raises_with_every_problem(tmp_path: Path) -> None:
    """load_catalog(strict=True) raises FlowDefinitionError listing all problems together."""

    def change(spec: dict[str, Any]) -> None:
        step(spec, "cash").update(when="probe.nosuchstep > 1")
        spec["rules"][3].update(when="probe.confidence <=")

    zh = _real_ui("zh")
    del zh["errors"]["empty"]
    flows_dir, content_dir = write_catalog(tmp_path, probe_with(change), ui={"zh": zh})
    with pytest.raises(FlowDefinitionError) as info:
        load_catalog(flows_dir, content_dir, strict=True)
    assert [(Path(p.file).name, p.where) for p in info.value.problems] == [
        ("probe.yaml", "step 'cash': when"),
        ("probe.yaml", "rule 'low_confidence': when"),
        ("ui.yaml", "errors.empty"),
    ]


def test_strict_error_message_lists_every_problem(tmp_path: Path) -> None:
    """The error message has one line per problem, each with file and place."""
    texts = {
        **probe_texts("zh", lambda w: w["rules"].pop("no_pipeline")),
        **probe_texts("en", lambda w: w["steps"].pop("burn")),
    }
    flows_dir, content_dir = write_catalog(tmp_path, texts=texts)
    with pytest.raises(FlowDefinitionError) as info:
        load_catalog(flows_dir, content_dir, strict=True)
    assert str(info.value).splitlines() == [
        f"{content_file(tmp_path, 'en')}: step 'burn': no prompt in this language",
        f"{content_file(tmp_path, 'zh')}: rule 'no_pipeline': no text in this language",
    ]


# ---------------------------------------------------------------- requires (issue #11)


def test_requires_is_read_and_listed_deepest_first(tmp_path: Path) -> None:
    """A flow names the flows it needs completed first; the catalog lists them in order."""
    middle = {**fresh(BASICS), "id": "middle", "requires": ["basics"]}
    middle["preview"] = {"middle": {"name": "Lin", "stage": "mvp"}}
    probe = {**fresh(PROBE), "requires": ["middle"]}
    flows_dir, content_dir = write_catalog(tmp_path, [BASICS, middle, probe])
    catalog = load_catalog(flows_dir, content_dir, strict=True)
    assert (
        catalog.flows["probe"].spec.requires,
        catalog.required_flows("probe"),
        catalog.required_flows("basics"),
    ) == (("middle",), ("basics", "middle"), ())


def test_requires_an_unknown_flow(tmp_path: Path) -> None:
    """Requiring a flow that does not exist is reported for the flow file."""
    found = problems(tmp_path, probe_with(lambda p: p.update(requires=["nosuch"])))
    assert found == [Problem(flow_file(tmp_path), "requires", "unknown flow 'nosuch'")]


def test_requires_itself(tmp_path: Path) -> None:
    """A flow cannot require itself."""
    found = problems(tmp_path, probe_with(lambda p: p.update(requires=["probe"])))
    assert found == [Problem(flow_file(tmp_path), "requires", "a flow cannot require itself")]


def test_requires_in_a_circle(tmp_path: Path) -> None:
    """Two flows requiring each other are reported once, naming the circle."""
    basics = {**fresh(BASICS), "requires": ["probe"]}
    probe = {**fresh(PROBE), "requires": ["basics"]}
    found = problems(tmp_path, [basics, probe])
    assert [(Path(p.file).name, p.where, p.what) for p in found] == [
        (
            "basics.yaml",
            "requires",
            "flows require each other in a circle: basics → probe → basics",
        )
    ]


def test_requires_is_a_list_of_ids(tmp_path: Path) -> None:
    """A required flow must be named by a snake_case id."""
    found = problems(tmp_path, probe_with(lambda p: p.update(requires=["Basics"])))
    assert [(p.where, "snake_case" in p.what) for p in found] == [("requires", True)]


# ---------------------------------------------------------------- step words (issue #11)


def test_an_asking_step_without_a_short_label(tmp_path: Path) -> None:
    """Without `short:` a review shows the prompt cut off: every asking step needs one."""
    texts = probe_texts("zh", lambda w: w["steps"]["cash"].pop("short"))
    found = problems(tmp_path, texts=texts)
    assert [(p.file, p.where, "short" in p.what) for p in found] == [
        (content_file(tmp_path, "zh"), "step 'cash'", True)
    ]


def test_the_review_needs_no_short_label(tmp_path: Path) -> None:
    """A review step asks nothing, so it needs no short label."""
    texts = probe_texts("en", lambda w: w["steps"]["review"].pop("short", None))
    assert problems(tmp_path, texts=texts) == []


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda s: s.update(short="{{ probe.cash }}"), "short is shown as it is"),
        (lambda s: s["options"].update(vc="{{ x }} VC"), "label of option 'vc' is shown"),
        (lambda s: s.update(scale_low="low"), "scale_low and scale_high belong to scale steps"),
        (lambda s: s.update(skip_hint="Type /skip."), "skip_hint, but the step is not optional"),
    ],
)
def test_step_words_that_cannot_work(tmp_path: Path, change: Any, what: str) -> None:
    """Plain-text words with template syntax, and keys a step cannot use, are reported."""
    texts = probe_texts("en", lambda w: change(w["steps"]["channels"]))
    found = problems(tmp_path, texts=texts)
    assert [(p.where, p.what.startswith(what)) for p in found] == [("step 'channels'", True)]


def test_covers_answering_on_a_step_without_a_generic_hint(tmp_path: Path) -> None:
    """A text step gets no generic hint on how to answer, so it cannot cover one."""
    texts = probe_texts("en", lambda w: w["steps"]["nickname"].update(covers=["answering"]))
    found = problems(tmp_path, texts=texts)
    assert [(p.where, "covers: answering" in p.what) for p in found] == [("step 'nickname'", True)]


def _phrased_why(words: dict[str, Any]) -> None:
    words["steps"]["channels"]["phrases"] = {o: o for o in ("angel", "vc", "grants", "bank_loan")}
    words["rules"]["grants_only"]["why"] = "From {{ probe.channels | label('probe.channels') }}."


def test_a_why_line_pasting_option_labels_is_reported(tmp_path: Path) -> None:
    """With phrases for a step, a "why" line must use them, not the button labels."""
    found = problems(tmp_path, texts=probe_texts("en", _phrased_why))
    assert [(p.file, p.where) for p in found] == [
        (content_file(tmp_path, "en"), "rule 'grants_only': why")
    ]
    assert "use phrase" in found[0].what


def test_offers_and_echoes_must_name_real_things(tmp_path: Path) -> None:
    def change(probe: dict[str, Any]) -> None:
        probe["rules"][0]["offers"] = {"probe.channels": ["crypto"]}
        probe["rules"][0]["echoes"] = ["basics.no_such_rule"]

    found = problems(tmp_path, probe_with(change))
    assert [(p.where, p.what) for p in found] == [
        ("rule 'grants_only': offers", "'crypto' is not an option of probe.channels"),
        ("rule 'grants_only': echoes", "'basics.no_such_rule' is not a rule of another flow"),
    ]


def test_an_echo_must_be_mutual(tmp_path: Path) -> None:
    """Whichever of two flows a founder does second refers to the first: both say so."""
    probe, other = fresh(PROBE), fresh(PROBE)
    other["id"] = "other"
    other.pop("preview", None)
    probe["rules"][0]["echoes"] = ["other.grants_only"]
    found = problems(tmp_path, [BASICS, probe, other])
    assert [(p.where, p.what) for p in found] == [
        (
            "rule 'grants_only': echoes",
            "'other.grants_only' does not echo 'probe.grants_only' back",
        )
    ]
    other["rules"][0]["echoes"] = ["probe.grants_only"]
    assert problems(tmp_path / "both", [BASICS, probe, other]) == []


def test_a_horizon_for_a_commitment_no_rule_suggests(tmp_path: Path) -> None:
    """ "How long it takes" only for commitments the flow's rules suggest (a typo is caught)."""
    found = problems(tmp_path, probe_with(lambda p: p.update(horizons={"cut_brun": "month"})))
    assert [(p.file, p.where, p.what) for p in found] == [
        (flow_file(tmp_path), "horizon 'cut_brun'", "no rule suggests this commitment")
    ]
    assert problems(tmp_path, probe_with(lambda p: p.update(horizons={"cut_burn": "month"}))) == []


def test_a_horizon_is_one_of_the_named_ones(tmp_path: Path) -> None:
    found = problems(tmp_path, probe_with(lambda p: p.update(horizons={"cut_burn": "soon"})))
    assert [p.where for p in found] == ["horizons.cut_burn"]
