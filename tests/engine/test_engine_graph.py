"""The Mermaid drawing of a flow."""

from __future__ import annotations

import pytest

from bot.engine import Flow
from bot.engine.graph import mermaid
from tests.engine.flowkit import PROBE, load


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> str:
    flow: Flow = load(tmp_path_factory.mktemp("graph")).flows["probe"]
    return mermaid(flow)


def test_starts_with_flowchart(chart: str) -> None:
    """The diagram is a top-down flowchart."""
    assert chart.splitlines()[0] == "flowchart TD"


@pytest.mark.parametrize("step_id", [step["id"] for step in PROBE["steps"]])
def test_every_step_is_a_node(chart: str, step_id: str) -> None:
    """Every step id is declared as a node."""
    assert any(
        line.strip().startswith(f"{step_id}[") or line.strip().startswith(f"{step_id}{{{{")
        for line in chart.splitlines()
    )


def test_conditional_edge_carries_its_condition(chart: str) -> None:
    """The edge into a conditional step is labelled with its when (double quotes swapped)."""
    assert "    stage -->|\"when probe.stage in ['mvp', 'revenue']\"| cash" in chart.splitlines()


def test_conditional_step_can_be_passed_over(chart: str) -> None:
    """The step after a conditional one is reachable from before it and from it."""
    lines = chart.splitlines()
    assert ("    stage --> burn" in lines, "    cash --> burn" in lines) == (True, True)


def test_conditional_step_is_a_hexagon(chart: str) -> None:
    """A conditional step is drawn as a hexagon, a plain one as a box."""
    lines = chart.splitlines()
    assert ('    cash{{"cash<br/>number"}}' in lines, '    burn["burn<br/>number"]' in lines) == (
        True,
        True,
    )


def test_ends_at_done(chart: str) -> None:
    """The last step leads to the end of the flow."""
    assert "    review --> done" in chart.splitlines()
