"""Worker processes on one PostgreSQL behind a pretend load balancer (issue #15's acceptance
tests): real ``python -m bot run`` processes in webhook mode, each on its own port.

Their logs go to files, not pipes: a long run would fill a pipe nobody reads and stop the
worker mid-write. The test plays Telegram: it posts an update with the secret and, as
Telegram does, posts it again (to another worker) until one answers 200.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import httpx

from bot.adapters.telegram.webhook import SECRET_HEADER
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.processes import env

SECRET = "fleet-secret_15"
START = 120.0  # three processes starting at once on a shared machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WorkerProcess:
    """One ``founder-coach run`` worker on ``url``; started, killed and started again."""

    def __init__(self, fake: FakeBotApi, url: str, logs: Path, name: str, **extra: str) -> None:
        self.port = free_port()
        self.name = name
        self.logs = logs
        self.starts = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.environ = env(
            fake,
            logs / "unused.db",
            FOUNDER_COACH_DATABASE_URL=url,
            FOUNDER_COACH_LOG_LEVEL="INFO",
            TELEGRAM_WEBHOOK_URL="https://coach.example.invalid/telegram",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=str(self.port),
            **extra,
        )

    @property
    def log(self) -> Path:
        return self.logs / f"{self.name}-{self.starts}.log"

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                env=self.environ, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    async def kill(self) -> None:
        """SIGKILL: no drain, no goodbye; its sessions (and advisory locks) die with it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int | None:
        """SIGTERM (the drain), or a kill if it does not end in time; its exit code."""
        if self.proc is None or self.proc.returncode is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout=60)
        except TimeoutError:
            await self.kill()
            return None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def health(self, client: httpx.AsyncClient) -> int | None:
        """``/healthz``'s status code, or None if nothing answers."""
        try:
            answer = await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
        except httpx.TransportError:
            return None
        return answer.status_code

    async def healthy(self, client: httpx.AsyncClient, timeout: float = START) -> None:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.health(client) != 200:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            if loop.time() > deadline:
                raise TimeoutError(f"{self.name} not healthy within {timeout}s")
            await asyncio.sleep(0.2)

    async def post(self, client: httpx.AsyncClient, update: dict[str, Any]) -> int | None:
        """POST one update as Telegram would; the status code (None: no answer)."""
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        try:
            answer = await client.post(
                f"http://127.0.0.1:{self.port}/telegram",
                content=json.dumps(update),
                headers=headers,
                timeout=30,
            )
        except httpx.TransportError:
            return None
        return answer.status_code

    def log_text(self) -> str:
        return "\n".join(
            (self.logs / f"{self.name}-{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
        )
