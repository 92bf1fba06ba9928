"""Onboarding and the three coaching flows, end to end, in both languages.

An automatic founder answers every question; each flow must end with its assessment and
advice. The same inputs then run through the real console and JSON-lines entry points.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import Said, UserRef
from bot.storage import Database
from tests.conftest import START
from tests.content.walker import answer_for

FLOWS = ["team", "funding", "marketing", "product_tech"]
WAITS = ("question", "review", "menu")


async def _walk(
    catalog: Catalog, db_path: Path, locale: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Drive a Coach through everything; return the inputs typed and every reply."""
    db = await Database.open(db_path)
    coach = Coach(db, catalog, FrozenClock(START))
    who = UserRef(channel="console", external_id="walker", language_code=locale)
    inputs: list[str] = []
    seen: list[dict[str, Any]] = []
    todo = list(FLOWS)
    try:
        replies = [r.model_dump() for r in await coach.handle(who, Said("/start"))]
        for _ in range(200):
            seen += replies
            question = [r for r in replies if r["type"] in WAITS][-1]
            if question["type"] == "menu" and not todo:
                break
            text = answer_for(question, locale, todo)
            if question["type"] == "menu":
                todo.pop(0)
            inputs.append(text)
            replies = [r.model_dump() for r in await coach.handle(who, Said(text))]
            assert not [r for r in replies if r["type"] == "error"], (text, replies)
    finally:
        await db.close()
    return inputs, seen


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_every_flow_ends_with_assessment_and_advice(
    real_catalog: Catalog, tmp_path: Path, locale: str
) -> None:
    inputs, seen = await _walk(real_catalog, tmp_path / "c.db", locale)
    for flow in FLOWS:
        kinds = [r["type"] for r in seen if r.get("flow") == flow]
        assert "assessment" in kinds, flow
        assert "advice" in kinds, flow
    assert seen[-1]["type"] == "menu"
    assert len(inputs) > 30


def _env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ["PYTHONIOENCODING"] = "utf-8"
    return environ


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_same_session_over_jsonl_and_console(
    real_catalog: Catalog, tmp_path: Path, locale: str
) -> None:
    """The inputs of the walk give the same assessments through both real entry points."""
    inputs, seen = asyncio.run(_walk(real_catalog, tmp_path / "walk.db", locale))
    script = "\n".join(inputs) + "\n"
    args = ["--user", "walker", "--lang", locale]
    jsonl = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(tmp_path / "j.db"), *args],
        input=script,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert jsonl.returncode == 0, jsonl.stderr
    replies = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r for r in replies if r["type"] == "error"] == []
    expected = [r["text"] for r in seen if r["type"] == "assessment"]
    assert [r["text"] for r in replies if r["type"] == "assessment"] == expected

    console = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "c.db"), *args],
        input=script,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )
    assert console.returncode == 0, console.stderr
    for text in expected:
        assert text in console.stdout
