"""Load the catalog the coach runs on: flows, content, and every template checked."""

from __future__ import annotations

from pathlib import Path

from bot.engine.loader import Catalog, load_catalog
from bot.errors import FlowDefinitionError, Problem
from bot.rendering.check import check_templates


def check_catalog(flows_dir: Path, content_dir: Path) -> tuple[Catalog, list[Problem]]:
    """Load without raising; return the catalog and every problem found."""
    catalog = load_catalog(flows_dir, content_dir, strict=False)
    problems = list(catalog.problems)
    problems.extend(check_templates(catalog, content_dir))
    return catalog, problems


def load_checked_catalog(flows_dir: Path, content_dir: Path) -> Catalog:
    """The catalog, or :class:`FlowDefinitionError` listing every problem."""
    catalog, problems = check_catalog(flows_dir, content_dir)
    if problems:
        raise FlowDefinitionError(problems)
    return catalog
