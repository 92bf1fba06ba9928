"""The shape of the code: a pure engine, thin adapters, SQL only in storage."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
ENGINE_MAY_IMPORT = {"bot.engine", "bot.errors", "bot.yaml_text", "jinja2", "pydantic", "yaml",
                     "markupsafe"}  # fmt: skip
# datetime is allowed for date values; reading the clock is banned everywhere by
# test_nothing_but_the_clock_reads_the_time
IMPURE_STDLIB = {"os", "sqlite3", "aiosqlite", "asyncio", "socket", "subprocess", "time", "random",
                 "telegram", "httpx"}  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((BOT / "engine").glob("*.py")), ids=lambda p: p.name)
def test_engine_imports_nothing_impure(path: Path) -> None:
    """The engine reads no clock, opens no connection and knows no transport."""
    for name in _imports(path):
        root = name.split(".")[0]
        assert root not in IMPURE_STDLIB, f"{path.name} imports {name}"
        if root == "bot":
            assert any(
                name == allowed or name.startswith(allowed + ".") for allowed in ENGINE_MAY_IMPORT
            ), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOT)))
def test_only_the_cli_imports_adapters(path: Path) -> None:
    if "adapters" in path.relative_to(BOT).parts or path.name == "cli.py":
        return
    assert not any(name.startswith("bot.adapters") for name in _imports(path))


SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOT)))
def test_sql_lives_only_in_storage(path: Path) -> None:
    if path.parent.name == "storage":
        return
    assert not SQL.search(path.read_text(encoding="utf-8")), f"SQL in {path}"


def test_nothing_but_the_clock_reads_the_time() -> None:
    for path in BOT.rglob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            assert call not in text, f"{path} calls {call}"


@pytest.mark.parametrize(
    "package", ["bot.engine", "bot.storage", "bot.rendering", "bot.coach", "bot.knowledge"]
)
def test_public_surface_is_sorted_and_complete(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    style = sorted(exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert exported == style
    for name in exported:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


DRIVERS = {"sqlite3", "aiosqlite", "asyncpg"}


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(BOT)))
def test_database_drivers_are_imported_only_in_storage(path: Path) -> None:
    """The coach, check-ins and adapters see the storage seam, never a driver, so either
    backend can stand behind them."""
    if path.relative_to(BOT).parts[0] == "storage":
        return
    drivers = {name.split(".")[0] for name in _imports(path)} & DRIVERS
    assert not drivers, f"{path.relative_to(BOT)} imports {sorted(drivers)}"
