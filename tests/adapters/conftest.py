"""Fixtures for end-to-end tests that run the real entry point in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import copy_flows


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment pointing the coach at a copy of the onboarding flow."""
    flows, content = copy_flows(tmp_path / "catalog", ["onboarding"])
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(
        FOUNDER_COACH_FLOWS_DIR=str(flows),
        FOUNDER_COACH_CONTENT_DIR=str(content),
        PYTHONIOENCODING="utf-8",
    )
    return environ
