"""A long history's export stays small and stalls nobody (audit finding 8).

The audit's case: one founder with 40 000 transcript rows of 4 000 characters (a 165 MB
database) asks for ``/export transcript`` as HTML. Before: 1.4 GB peak memory, and every
other founder's turn waited the 3.3 s the export took (it ran in the write transaction, on
the event loop). Now the file is built after the turn's transaction, on a read connection
of its own and in a worker thread, and its transcript holds only the latest messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.coach.exporting import MAX_TRANSCRIPT_CHARS, MAX_TRANSCRIPT_MESSAGES
from bot.engine import Catalog
from bot.models import UserRef
from bot.storage import Database
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say
from tests.conftest import REPO, START

ROWS = 40_000
ROW_CHARS = 4_000
BOB = UserRef(channel="console", external_id="bob", display_name="Bob")

MEASURE = """
import asyncio, json, resource, sys
from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.models import Said, UserRef
from bot.storage import Database
from tests.conftest import CONTENT, FLOWS, START

async def main(path):
    db = await Database.open(path)
    coach = Coach(db, load_checked_catalog(FLOWS, CONTENT), FrozenClock(START))
    ada = UserRef(channel="console", external_id="ada", display_name="Ada")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await coach.handle(ada, Said("/export transcript"))
    replies = await coach.handle(ada, Said("2"))
    await db.close()
    [file] = [r.file for r in replies if r.file is not None]
    html = file.data.decode()
    print(json.dumps({
        "before_mb": before / 1024,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "caption": file.caption,
        "bytes": len(file.data),
        "first": "msg-00000 " in html,
        "last": "msg-39999 " in html,
    }))

asyncio.run(main(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory, real_catalog: Catalog) -> Path:
    """Ada, onboarded, with 40 000 messages of 4 000 characters; Bob, asked for consent."""
    path = tmp_path_factory.mktemp("long-history") / "coach.db"

    async def people() -> None:
        db = await Database.open(path)
        try:
            coach = Coach(db, real_catalog, FrozenClock(START))
            await onboard(coach)
            await say(coach, BOB, "/start")
        finally:
            await db.close()

    asyncio.run(people())
    with sqlite3.connect(path) as conn:
        [(ada,)] = conn.execute("SELECT id FROM users WHERE external_id = 'ada'").fetchall()
        conn.executemany(
            "INSERT INTO transcript (user_id, direction, text, created_at) VALUES (?, ?, ?, ?)",
            (
                (
                    ada,
                    "in" if i % 2 else "out",
                    f"msg-{i:05d} " + "x" * (ROW_CHARS - 10),
                    "2026-03-01T12:00:00+00:00",
                )
                for i in range(ROWS)
            ),
        )
    assert path.stat().st_size > 150 * 1024 * 1024
    return path


def test_a_long_export_stays_under_200_mb_and_says_what_it_left_out(long_history: Path) -> None:
    """Peak memory (ru_maxrss) of a process that builds the export: under 200 MB."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(long_history)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["peak_mb"] < 200, result
    assert result["last"]  # the latest messages, not the earliest
    assert not result["first"]
    # the latest 500 long rows fill the 2 000 000 characters, plus the short /export turn
    found = re.search(r"latest (\d+) messages; the (\d+) before them", result["caption"])
    assert found, result["caption"]
    kept, left_out = int(found[1]), int(found[2])
    assert MAX_TRANSCRIPT_CHARS // ROW_CHARS <= kept <= MAX_TRANSCRIPT_CHARS // ROW_CHARS + 5
    assert kept + left_out > ROWS


async def test_other_founders_are_not_kept_waiting_by_a_long_export(
    long_history: Path, real_catalog: Catalog
) -> None:
    """Bob's turns while Ada's export is built: each well under half a second."""
    db = await Database.open(long_history)
    try:
        coach = Coach(db, real_catalog, FrozenClock(START))
        assert last_question(await say(coach, ADA, "/export transcript")).step == "export"
        began = time.perf_counter()
        export = asyncio.create_task(say(coach, ADA, "3"))  # JSON
        await asyncio.sleep(0)  # Ada's turn starts first
        waits: list[float] = []
        texts = ["1", "/help", "/privacy"]
        while not export.done() or not waits:
            started = time.perf_counter()
            await say(coach, BOB, texts[min(len(waits), 2)])
            waits.append(time.perf_counter() - started)
        replies = await export
        took = time.perf_counter() - began
        assert max(waits) < 0.5, (took, waits)
        [file] = [r.file for r in replies if r.file is not None]
        data = json.loads(file.data)
        assert data["transcript_left_out"] > ROWS - MAX_TRANSCRIPT_MESSAGES
    finally:
        await db.close()
