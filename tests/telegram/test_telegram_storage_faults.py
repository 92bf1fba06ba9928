"""The database misbehaves: locked by another process, read-only, full.

A lock is waited out; a database that refuses writes gets a clear log line and the founder
is asked to try again later, with nothing half-written.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest

from bot.engine import Catalog
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, bot_settings, rows, running_bot, until

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""
TRY_AGAIN = "Please send it again in a moment"
COUNTS = (
    "SELECT (SELECT count(*) FROM answers), (SELECT count(*) FROM transcript), "
    "(SELECT count(*) FROM update_ledger), (SELECT count(*) FROM processed_updates), "
    "(SELECT group_concat(step_id) FROM flow_runs)"
)


async def test_a_database_locked_by_another_process_is_waited_for(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    founders = [Founder(fake, user_id) for user_id in (701, 702, 703)]
    async with running_bot(bot_settings(fake, db), real_catalog):
        for founder in founders:
            await founder.start()
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, str(db), "3", stdout=asyncio.subprocess.PIPE
        )
        assert locker.stdout is not None
        assert await locker.stdout.readline() == b"locked\n"
        for founder in founders:
            fake.user_sends(founder.user_id, f"Founder {founder.user_id}")
        released = asyncio.create_task(locker.stdout.readline())
        await until(lambda: all(any("(2/8)" in (m.text or "") for m in f.messages())
                                for f in founders), timeout=20)  # fmt: skip
        assert released.done()  # nothing moved while the other process held the lock
        assert await released == b"released\n"
        await locker.wait()
    assert sorted(rows(db, "SELECT value_json FROM answers")) == [
        ('"Founder 701"',),
        ('"Founder 702"',),
        ('"Founder 703"',),
    ]
    assert all(
        [m.text for m in f.messages()].count(
            next(m.text for m in f.messages() if "(2/8)" in (m.text or ""))
        )
        == 1
        for f in founders
    )


@pytest.mark.parametrize(
    ("fault", "undo"),
    [
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
        # no page may be added: SQLITE_FULL, as on a full disk
        ("PRAGMA max_page_count = {pages}", "PRAGMA max_page_count = 1073741823"),
    ],
    ids=["read-only", "full"],
)
async def test_a_database_that_refuses_writes_asks_the_founder_to_try_later(
    fake: FakeBotApi,
    tmp_path: Path,
    real_catalog: Catalog,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    undo: str,
) -> None:
    db = tmp_path / "bot.db"
    ada = Founder(fake, 710)
    async with running_bot(bot_settings(fake, db), real_catalog) as app:
        await ada.start()
        conn = app.bot_data["db"]._conn  # the bot's own connection, as a real fault would be
        [(pages,)] = rows(db, "PRAGMA page_count")
        before = rows(db, COUNTS)
        await conn.execute(fault.format(pages=pages))
        with caplog.at_level(logging.ERROR):
            # a message as long as Telegram allows needs new pages to be stored
            reply = await ada.send("Ada " + "x" * 4000, expect=TRY_AGAIN)
        assert "(2/8)" not in reply.text
        assert rows(db, COUNTS) == before  # nothing half-written
        logged = "\n".join(
            r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in caplog.records
        )
        assert "could not be stored" in logged
        assert "storage unavailable" in logged
        await conn.execute(undo)
        await ada.send("Ada", expect="(2/8)")
    assert rows(db, "SELECT value_json FROM answers") == [('"Ada"',)]
