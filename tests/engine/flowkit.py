"""Build small flows on disk for the engine and rendering tests (not a test module).

``write_catalog`` writes ``flows/<id>.yaml``, ``content/{en,zh}/<id>.yaml`` and copies the
real ``ui.yaml`` files into a directory; ``load`` reads them back with ``load_catalog``.
The flows here are made up for the tests, so the suite does not depend on the real
coaching flows, which change often.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.engine import Catalog, load_catalog

REPO = Path(__file__).resolve().parents[2]
LOCALES = ("en", "zh")

ZH_LABELS = {
    "idea": "想法阶段",
    "mvp": "试点阶段",
    "revenue": "有收入",
    "angel": "天使投资",
    "vc": "风险投资",
    "grants": "政府补助",
    "bank_loan": "银行贷款",
}

# A flow whose facts another flow reads and shares (``probe.stage`` shares ``basics.stage``).
BASICS: dict[str, Any] = {
    "id": "basics",
    "menu": False,
    "order": 0,
    "steps": [
        {"id": "name", "kind": "text", "max_length": 40, "profile": "name"},
        {"id": "stage", "kind": "choice", "options": ["idea", "mvp", "revenue"]},
    ],
    "preview": {"basics": {"name": "Lin", "stage": "mvp"}},
}

# Every step kind, a conditional step, an optional step, a shared step, a derived value,
# advice rules, an assessment and a review.
PROBE: dict[str, Any] = {
    "id": "probe",
    "version": 2,
    "order": 10,
    "top_advice": 2,
    "steps": [
        {"id": "nickname", "kind": "text", "min_length": 2, "max_length": 20},
        {
            "id": "stage",
            "kind": "choice",
            "options": ["idea", "mvp", "revenue"],
            "shares": "basics.stage",
        },
        {
            "id": "cash",
            "kind": "number",
            "unit": "money",
            "min": 0,
            "max": 1_000_000_000,
            "when": "probe.stage in ['mvp', 'revenue']",
        },
        {"id": "burn", "kind": "number", "unit": "money", "min": 1, "optional": True},
        {
            "id": "channels",
            "kind": "multi",
            "options": ["angel", "vc", "grants", "bank_loan"],
            "max_choices": 2,
        },
        {"id": "pipeline", "kind": "yesno"},
        {"id": "confidence", "kind": "scale"},
        {"id": "city", "kind": "timezone", "profile": "timezone"},
        {"id": "review", "kind": "review"},
    ],
    "derived": {"runway_months": "probe.cash / probe.burn if probe.burn else none"},
    "rules": [
        {"id": "grants_only", "when": "'grants' in probe.channels", "priority": 40},
        {
            "id": "runway_short",
            "when": "probe.runway_months < 6",
            "priority": 90,
            "commitments": ["cut_burn", "call_investors"],
        },
        {"id": "no_pipeline", "when": "probe.pipeline == false", "priority": 40},
        {"id": "low_confidence", "when": "probe.confidence <= 2", "priority": 70},
    ],
    "assessment": [
        {"id": "runway", "score": "probe.runway_months / 3"},
        {"id": "confidence", "score": "probe.confidence * 2 - 4"},
    ],
    "preview": {
        "probe": {
            "nickname": "Lin",
            "stage": "mvp",
            "cash": 600000,
            "burn": 50000,
            "channels": ["angel", "grants"],
            "pipeline": False,
            "confidence": 2,
            "city": "Asia/Shanghai",
            "runway_months": 12.0,
        }
    },
}


def label(option: str, locale: str) -> str:
    """The made-up label of an option: ``Bank loan`` / ``银行贷款``."""
    if locale == "zh":
        return ZH_LABELS.get(option, f"{option}（中）")
    return option.replace("_", " ").capitalize()


def texts_for(spec: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Complete, valid content for a flow spec in one locale."""
    mark = "中" if locale == "zh" else "en"
    steps: dict[str, Any] = {}
    for step in spec["steps"]:
        words: dict[str, Any] = {"prompt": f"{mark} prompt for **{step['id']}**"}
        if step["kind"] != "review":
            words["short"] = f"{mark} {step['id']}"
        if step.get("options"):
            words["options"] = {option: label(option, locale) for option in step["options"]}
        steps[step["id"]] = words
    rules = {
        rule["id"]: {
            "title": f"{mark} {rule['id']}",
            "text": f"{mark} advice {rule['id']}",
            "why": f"{mark} why {rule['id']}",
            "commitments": {cid: f"{mark} {cid}" for cid in rule.get("commitments", [])},
        }
        for rule in spec.get("rules", [])
    }
    assessment = {
        dim["id"]: {"name": f"{mark} {dim['id']}", "reason": f"{mark} scored {{{{ score }}}}"}
        for dim in spec.get("assessment", [])
    }
    return {
        "title": f"{mark} {spec['id']}",
        "description": f"{mark} about {spec['id']}",
        "intro": f"{mark} intro",
        "done": f"{mark} done",
        "steps": steps,
        "rules": rules,
        "assessment": assessment,
    }


def dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_catalog(
    root: Path,
    specs: list[Mapping[str, Any]] | None = None,
    texts: Mapping[str, Mapping[str, Any]] | None = None,
    ui: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write flows (default: BASICS and PROBE), their words and the UI strings under ``root``.

    ``texts`` maps ``"<locale>/<flow>"`` to content that replaces the generated one; ``ui``
    maps a locale to UI strings that replace the real ``ui.yaml``.
    """
    flows_dir, content_dir = root / "flows", root / "content"
    flows_dir.mkdir(parents=True, exist_ok=True)
    specs = [BASICS, PROBE] if specs is None else specs
    texts = texts or {}
    for spec in specs:
        dump(flows_dir / f"{spec['id']}.yaml", spec)
        for locale in LOCALES:
            words = texts.get(f"{locale}/{spec['id']}", texts_for(spec, locale))
            dump(content_dir / locale / f"{spec['id']}.yaml", words)
    for locale in LOCALES:
        target = content_dir / locale / "ui.yaml"
        if ui is not None and locale in ui:
            dump(target, ui[locale])
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / "content" / locale / "ui.yaml", target)
    return flows_dir, content_dir


def load(root: Path, specs: list[Mapping[str, Any]] | None = None, **kwargs: Any) -> Catalog:
    """Write a catalog and load it strictly (raises if the files have problems)."""
    flows_dir, content_dir = write_catalog(root, specs, **kwargs)
    return load_catalog(flows_dir, content_dir, strict=True)


def fresh(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a flow spec to change in one test."""
    return copy.deepcopy(dict(spec))
