"""Every error of the command line is one clear line and a non-zero status, never a
traceback, and never the bot token: the real entry point in a subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO

TOKEN = "123456789:AAH-the-secret-token-of-the-bot"


def environment(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8", **extra)
    return environ


def founder_coach(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# ------------------------------------------------------------ a reader that leaves early


async def _many_checkins(db: Path, count: int) -> None:
    from bot.storage import Database, checkins, users

    now = datetime.now(UTC)
    database = await Database.open(db)
    try:
        async with database.transaction() as conn:
            user, _ = await users.get_or_create(
                conn, channel="console", external_id="ada", now=now
            )
            for number in range(count):
                commitment = await checkins.add_commitment(
                    conn, user_id=user.id, topic="funding", text=f"Step {number}", now=now
                )
                await checkins.create(
                    conn, user_id=user.id, kind="commitment", due_at=now + timedelta(days=1),
                    timezone="UTC", local_intent=None, now=now, commitment_id=commitment,
                )  # fmt: skip
    finally:
        await database.close()


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path: Path) -> None:
    """`founder-coach checkins list | head -1`: no BrokenPipeError traceback."""
    db = tmp_path / "coach.db"
    asyncio.run(_many_checkins(db, 1500))  # far more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "checkins", "list", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline().split()[:2] == [b"id", b"founder"]
    proc.stdout.close()  # what `head -1` does after its line
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_head_in_a_real_shell_pipeline(tmp_path: Path) -> None:
    db = tmp_path / "coach.db"
    asyncio.run(_many_checkins(db, 1500))
    done = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m bot checkins list --db "{db}" | head -1'],
        capture_output=True, text=True, env=environment(), cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert done.stdout.split()[:2] == ["id", "founder"]
    assert done.stderr == ""


# ------------------------------------------------------------ a database that cannot be used


def _unusable(tmp_path: Path, case: str) -> Path:
    if case == "parent is a file":
        a_file = tmp_path / "notes.txt"
        a_file.write_text("not a folder\n", encoding="utf-8")
        return a_file / "coach.db"
    if case == "a folder":
        return tmp_path
    if case == "no file can be made there":
        if sys.platform != "linux":
            pytest.skip("uses /proc")
        return Path("/proc/founder-coach.db")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes in a read-only folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "coach.db"


@pytest.mark.parametrize(
    ("args", "case", "how"),
    [
        (["chat"], "parent is a file", "env"),
        (["chat"], "no file can be made there", "flag"),
        (["chat"], "a read-only folder", "env"),
        (["run"], "parent is a file", "env"),
        (["export", "--user", "ada", "--format", "md"], "no file can be made there", "env"),
        (["checkins", "list"], "a folder", "flag"),
        (["checkins", "list"], "parent is a file", "env"),
    ],
)
def test_an_unusable_database_is_one_line(
    tmp_path: Path, args: list[str], case: str, how: str
) -> None:
    db = _unusable(tmp_path, case)
    if how == "env":
        done = founder_coach(args, environment(FOUNDER_COACH_DB=str(db)), tmp_path, stdin="1\n")
    else:
        done = founder_coach([*args, "--db", str(db)], environment(), tmp_path, stdin="1\n")
    assert_one_line_error(done, str(db))
    assert done.returncode == 1


def test_telegram_with_an_unusable_database_is_one_line(tmp_path: Path) -> None:
    env = environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
        FOUNDER_COACH_DB=str(tmp_path / "notes.txt" / "coach.db"),
    )
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    line = assert_one_line_error(founder_coach(["run"], env, tmp_path), "cannot open database")
    assert TOKEN not in line


# ------------------------------------------------------------ Telegram refuses, or is not there


@pytest.fixture
def fake_bot_api(tmp_path: Path) -> Iterator[str]:
    """The fake Bot API as its own process, accepting only another token (401 to ours)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.bot_api", "--port", "0", "--token", "987:OTHER"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
        env=environment(),
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("READY "), ready
        yield ready.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_refused_token_is_one_line_without_the_token(tmp_path: Path, fake_bot_api: str) -> None:
    env = environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake_bot_api,
        FOUNDER_COACH_DB=str(tmp_path / "coach.db"),
    )
    done = founder_coach(["run"], env, tmp_path)
    line = assert_one_line_error(done, "Telegram refused the bot token", "TELEGRAM_BOT_TOKEN")
    assert done.returncode == 1
    assert TOKEN not in done.stdout + done.stderr
    assert TOKEN.split(":")[1] not in line


def test_no_network_is_one_line_without_the_token(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}",
        FOUNDER_COACH_DB=str(tmp_path / "coach.db"),
    )
    done = founder_coach(["run"], env, tmp_path)
    line = assert_one_line_error(done, "cannot reach the Telegram Bot API", f"127.0.0.1:{port}")
    assert "HTTPS_PROXY" in line
    assert TOKEN not in done.stdout + done.stderr
