"""The real entry point (``python -m bot run``) as a subprocess, for crash and restart tests."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN

START_TIMEOUT = 30


def env(fake: FakeBotApi, db: Path, **extra: str) -> dict[str, str]:
    """The bot's environment: this machine's, minus our settings, plus the test's."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        FOUNDER_COACH_DB=str(db),
        FOUNDER_COACH_LOG_LEVEL="DEBUG",
        PYTHONIOENCODING="utf-8",
    )
    environ.update(extra)
    return environ


@asynccontextmanager
async def bot_process(
    fake: FakeBotApi, db: Path, **extra: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        env=env(fake, db, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def stop(proc: asyncio.subprocess.Process, sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, err.decode()
