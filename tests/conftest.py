"""Fixtures shared by the whole suite: real files in tmp_path, a frozen clock, a Coach."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database

# PTB 22 warns when a time period is read as a number; the bot reads them as timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "true")

REPO = Path(__file__).resolve().parent.parent
FLOWS = REPO / "flows"
CONTENT = REPO / "content"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def copy_flows(target: Path, flow_ids: list[str]) -> tuple[Path, Path]:
    """Copy some real flows with their content and the UI strings into ``target``."""
    flows, content = target / "flows", target / "content"
    flows.mkdir(parents=True)
    for locale in ("en", "zh"):
        (content / locale).mkdir(parents=True)
        shutil.copy(CONTENT / locale / "ui.yaml", content / locale / "ui.yaml")
        for flow_id in flow_ids:
            shutil.copy(CONTENT / locale / f"{flow_id}.yaml", content / locale / f"{flow_id}.yaml")
    for flow_id in flow_ids:
        shutil.copy(FLOWS / f"{flow_id}.yaml", flows / f"{flow_id}.yaml")
    return flows, content


@pytest.fixture(scope="session")
def onboarding_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The real onboarding flow and UI strings, alone (no coaching flows)."""
    flows, content = copy_flows(tmp_path_factory.mktemp("onboarding"), ["onboarding"])
    return load_checked_catalog(flows, content)


@pytest.fixture(scope="session")
def real_catalog() -> Catalog:
    """Everything in flows/ and content/, checked as at start-up."""
    return load_checked_catalog(FLOWS, CONTENT)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "coach.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def coach(db: Database, onboarding_catalog: Catalog, clock: FrozenClock) -> Coach:
    return Coach(db, onboarding_catalog, clock)


@pytest.fixture
def full_coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every real flow and all content (the founder's whole product)."""
    return Coach(db, real_catalog, clock)
