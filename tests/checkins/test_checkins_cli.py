"""`founder-coach checkins list` for operators; check-ins shown in an open console."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import FlowState, RunStatus
from bot.storage import Database, checkins, runs, users


async def _seed(db_path: Path, *, due: datetime) -> None:
    db = await Database.open(db_path)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as conn:
            user, _ = await users.get_or_create(
                conn, channel="console", external_id="ada", now=now
            )
            await users.update(
                conn, user.id, now, consented_at=now.isoformat(), timezone="Asia/Shanghai"
            )
            onboarded = FlowState(flow_id="onboarding", status=RunStatus.COMPLETED)
            await runs.create(conn, user.id, onboarded, now - timedelta(days=1))
            commitment = await checkins.add_commitment(
                conn,
                user_id=user.id,
                topic="funding",
                text="Send the deck to five angels",
                now=now,
            )
            await checkins.create(
                conn, user_id=user.id, kind="commitment", due_at=due, timezone="Asia/Shanghai",
                local_intent=None, now=now, commitment_id=commitment,
            )  # fmt: skip
    finally:
        await db.close()


def test_checkins_list_shows_utc_and_local(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "coach.db"
    asyncio.run(_seed(db, due=datetime(2026, 3, 9, 1, 0, tzinfo=UTC)))
    assert main(["checkins", "list", "--db", str(db), "--user", "ada"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["id", "founder", "kind"]
    assert "2026-03-09 01:00 2026-03-09 09:00 Asia/Shanghai" in out[1]
    assert out[1].rstrip().endswith("Send the deck to five angels")
    assert main(["checkins", "list", "--db", str(db), "--user", "nobody"]) == 1


def _read_until(proc: subprocess.Popen[bytes], marker: str, *, timeout: float) -> bool:
    """Read the child's stdout (raw, unbuffered) until ``marker`` shows or ``timeout`` passes."""
    import selectors
    import time

    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.2):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return False
            seen += chunk
            if marker.encode() in seen:
                return True
    return False


def test_a_due_checkin_appears_in_the_open_console(tmp_path: Path) -> None:
    """With the session open (input still coming), the due check-in is printed."""
    db = tmp_path / "coach.db"
    asyncio.run(_seed(db, due=datetime.now(UTC) - timedelta(minutes=1)))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(FOUNDER_COACH_QUIET_HOURS="00:00-00:00", PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "ada"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environ,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        assert _read_until(proc, "Send the deck to five angels", timeout=30)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
    with __import__("sqlite3").connect(db) as conn:
        assert conn.execute("SELECT status FROM checkins").fetchone() == ("sent",)
