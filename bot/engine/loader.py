"""Load ``flows/*.yaml`` and ``content/<locale>/*.yaml`` into a validated :class:`Catalog`.

The only module of the engine that reads files. Every problem found is collected and
raised together as :class:`~bot.errors.FlowDefinitionError`, each naming file and step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.engine.flow import Flow
from bot.engine.spec import FlowSpec
from bot.engine.texts import FlowTexts
from bot.engine.validate import validate_catalog
from bot.errors import FlowDefinitionError, Problem
from bot.yaml_text import safe_load

LOCALES = ("en", "zh")
UI_FILE = "ui.yaml"


@dataclass(frozen=True)
class Catalog:
    """Every flow, and the UI strings per locale."""

    flows: dict[str, Flow]
    ui: dict[str, dict[str, Any]]
    locales: tuple[str, ...] = LOCALES
    problems: list[Problem] = field(default_factory=list)

    def menu_flows(self) -> list[Flow]:
        """The flows a founder can pick in the menu, in menu order."""
        flows = [flow for flow in self.flows.values() if flow.spec.menu]
        return sorted(flows, key=lambda flow: (flow.spec.order, flow.id))

    def flows_in_order(self) -> list[Flow]:
        """Every flow as exports list them: menu order (the profile first, the weekly update
        last of the menu), then the flows outside the menu (commitments, check-ins)."""
        return sorted(
            self.flows.values(), key=lambda flow: (not flow.spec.menu, flow.spec.order, flow.id)
        )

    def required_flows(self, flow_id: str) -> tuple[str, ...]:
        """Every flow ``flow_id`` requires, directly or not, the deepest first.

        ``requires: [onboarding]`` on funding gives ``("onboarding",)``; a founder must
        have completed each of these before the flow starts.
        """
        ordered: list[str] = []

        def visit(current: str, trail: tuple[str, ...]) -> None:
            flow = self.flows.get(current)
            for required in flow.spec.requires if flow else ():
                if required in trail or required in ordered:
                    continue  # a cycle (reported by validation) or already listed
                visit(required, (*trail, required))
                ordered.append(required)

        visit(flow_id, (flow_id,))
        return tuple(flow for flow in ordered if flow != flow_id)


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Read a YAML file with ``safe_load``; record a problem instead of raising."""
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(str(path), "", f"cannot read YAML: {exc}"))
        return None
    if data is None:
        problems.append(Problem(str(path), "", "the file is empty"))
    return data


def _model(model: type[BaseModel], data: Any, file: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            where = _name_steps(where, data)
            problems.append(Problem(file, where, error["msg"]))
        return None


def _name_steps(where: str, data: Any) -> str:
    """Turn ``steps.3.kind`` into ``step 'cash' (steps.3).kind`` so the message names the step."""
    parts = where.split(".")
    if len(parts) >= 2 and parts[0] in ("steps", "rules", "assessment") and parts[1].isdigit():
        try:
            ident = data[parts[0]][int(parts[1])].get("id", "?")
        except (KeyError, IndexError, TypeError, AttributeError):
            return where
        label = {"steps": "step", "rules": "rule", "assessment": "dimension"}[parts[0]]
        rest = ".".join(parts[2:])
        return f"{label} {ident!r}" + (f": {rest}" if rest else "")
    return where


def load_catalog(flows_dir: Path, content_dir: Path, *, strict: bool = True) -> Catalog:
    """Load and validate everything; with ``strict`` raise on any problem."""
    problems: list[Problem] = []
    specs: dict[str, tuple[FlowSpec, str]] = {}
    if not flows_dir.is_dir():
        problems.append(Problem(str(flows_dir), "", "flows directory not found"))
    for path in sorted(flows_dir.glob("*.yaml")) if flows_dir.is_dir() else []:
        data = read_yaml(path, problems)
        if data is None:
            continue
        spec = _model(FlowSpec, data, str(path), problems)
        if spec is None:
            continue
        if spec.id != path.stem:
            problems.append(
                Problem(str(path), "id", f"flow id {spec.id!r} must match the file name")
            )
        if spec.id in specs:
            problems.append(
                Problem(str(path), "id", f"duplicate flow id, also in {specs[spec.id][1]}")
            )
        specs[spec.id] = (spec, str(path))

    ui: dict[str, dict[str, Any]] = {}
    texts: dict[str, dict[str, FlowTexts]] = {flow_id: {} for flow_id in specs}
    for locale in LOCALES:
        folder = content_dir / locale
        ui_path = folder / UI_FILE
        if not ui_path.is_file():
            problems.append(Problem(str(ui_path), "", "UI strings file is missing"))
            ui[locale] = {}
        else:
            data = read_yaml(ui_path, problems)
            ui[locale] = data if isinstance(data, dict) else {}
        for flow_id in specs:
            path = folder / f"{flow_id}.yaml"
            if not path.is_file():
                problems.append(Problem(str(path), "", f"content for flow {flow_id!r} is missing"))
                continue
            data = read_yaml(path, problems)
            flow_texts = _model(FlowTexts, data, str(path), problems) if data is not None else None
            if flow_texts is not None:
                texts[flow_id][locale] = flow_texts

    flows = {
        flow_id: Flow(spec=spec, texts=texts[flow_id], source=source)
        for flow_id, (spec, source) in specs.items()
    }
    catalog = Catalog(flows=flows, ui=ui)
    problems.extend(validate_catalog(catalog, content_dir))
    if strict and problems:
        raise FlowDefinitionError(problems)
    return Catalog(flows=flows, ui=ui, problems=problems)
