"""Fixtures shared by the whole suite: real files in tmp_path, a frozen clock, a Coach.

Every test that uses ``db`` runs twice: on a SQLite file and on a real PostgreSQL (a
database of its own on the session's server, :mod:`tests.postgres_server`). A test that
reads the SQLite file itself (it asks for ``db_path``) or is marked ``sqlite_only`` runs on
SQLite alone.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database
from tests import postgres_server

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


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about SQLite itself (its file, WAL, pragmas)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every database test on both backends, but those about the SQLite file."""
    if "backend" not in metafunc.fixturenames:
        return
    if "db_path" in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return  # the ``backend`` fixture: SQLite
    metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend() -> str:
    """The database backend of a test that runs on SQLite alone."""
    return "sqlite"


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.Server | None]:
    """The session's PostgreSQL server (None: there is none; the reason is kept)."""
    started = postgres_server.start()
    if isinstance(started, str):
        _why_no_postgres.append(started)
        yield None
        return
    try:
        started.prepare_template()
        yield started
    finally:
        started.stop()


_why_no_postgres: list[str] = []


@pytest.fixture
async def db(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    if backend == "sqlite":
        database = await Database.open(tmp_path / "coach.db")
        try:
            yield database
        finally:
            await database.close()
        return
    server = need_postgres(request)
    url = await server.create()
    database = await Database.open(url)
    try:
        yield database
    finally:
        await database.close()
        await server.drop(url)


def need_postgres(request: pytest.FixtureRequest) -> postgres_server.Server:
    """The session's PostgreSQL server; the test skips without one (fails in CI)."""
    server: postgres_server.Server | None = request.getfixturevalue("postgres")
    if server is None:
        reason = f"no PostgreSQL: {_why_no_postgres[0]}"
        if postgres_server.required():
            pytest.fail(f"{reason} ({postgres_server.REQUIRE_VARIABLE}=1)")
        pytest.skip(reason)
    return server


@pytest.fixture
async def empty_postgres(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database (no schema yet), dropped afterwards."""
    server = need_postgres(request)
    url = await server.create(empty=True)
    try:
        yield url
    finally:
        await server.drop(url)


@pytest.fixture
def coach(db: Database, onboarding_catalog: Catalog, clock: FrozenClock) -> Coach:
    return Coach(db, onboarding_catalog, clock)


@pytest.fixture
def full_coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every real flow and all content (the founder's whole product)."""
    return Coach(db, real_catalog, clock)


@pytest.fixture(autouse=True)
def _no_built_template_mark(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marks of ``flows check --remember`` go to an empty folder: a mark an image build (or
    a developer) left beside the code must not let a test's start skip its template check."""
    monkeypatch.setattr("bot.catalog.BUILT_MARKS", tmp_path_factory.mktemp("built-marks"))
