"""Processes of the Telegram benchmarks: the fake Bot API (with the load generator) and a bot.

Each runs in its own process on 127.0.0.1; the benchmark process only starts them, talks
to the fake's sim API over HTTP, reads CPU times from ``/proc`` and stops them again.
Logs go to files in a temporary folder and are shown when something fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT

TOKEN = "123456:BENCH-token-not-secret"
REPO = ROOT.parent
START_TIMEOUT = 60.0


class BenchError(RuntimeError):
    """A process of the benchmark failed; the message carries its log's tail."""


def code_state() -> dict[str, Any]:
    """The commit measured, and any uncommitted change to the bot's code or flows."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "bot", "flows", "content").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed}


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_seconds() -> float | None:
    """CPU time all cores spent busy so far, from ``/proc/stat`` (Linux), or None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and all its children so far (a PostgreSQL server: the
    postmaster and its backends; a backend that exited meanwhile is not counted)."""
    own = cpu_seconds(pid)
    if own is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return own
    return own + sum(process_tree_cpu_seconds(int(child)) or 0.0 for child in children)


class CpuMeter:
    """CPU used by the bot, the fake, this process and everything else, over a window.

    Other engineers' tests or builds on the same machine show up as ``other_cpu``; a
    figure measured while it is high is not comparable.
    """

    def __init__(
        self, bot_pid: int, fake_pid: int, *, more_bots: tuple[int, ...] = (),
        database_pid: int | None = None,
    ) -> None:  # fmt: skip
        self.pids = {"bot_cpu": bot_pid, "fake_cpu": fake_pid}
        self.more_bots = more_bots
        self.database_pid = database_pid
        self.start: dict[str, float | None] = {}
        self.began = 0.0

    def _sample(self) -> dict[str, float | None]:
        sample = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        for pid in self.more_bots:  # the other workers of a deployment count as the bot
            more, bot = cpu_seconds(pid), sample["bot_cpu"]
            sample["bot_cpu"] = None if more is None or bot is None else bot + more
        if self.database_pid is not None:
            sample["database_cpu"] = process_tree_cpu_seconds(self.database_pid)
        sample["bench_cpu"] = cpu_seconds(os.getpid())
        sample["system"] = system_busy_seconds()
        return sample

    def begin(self) -> None:
        self.start, self.began = self._sample(), time.monotonic()

    def end(self) -> dict[str, float | None]:
        """Cores used on average since :meth:`begin`, per process and by others."""
        stop, elapsed = self._sample(), time.monotonic() - self.began
        used: dict[str, float | None] = {}
        for name, before in self.start.items():
            after = stop[name]
            used[name] = None if before is None or after is None else (after - before) / elapsed
        system = used.pop("system")
        ours = [used[name] for name in ("bot_cpu", "fake_cpu", "bench_cpu")]
        ours.append(used.get("database_cpu", 0.0))
        used["other_cpu"] = (
            None if system is None or None in ours else max(0.0, system - sum(ours))  # type: ignore[arg-type]
        )
        return {name: None if v is None else round(v, 2) for name, v in used.items()}


async def quiet_machine(*, most: float = 0.3, patience: float = 20.0) -> dict[str, float]:
    """Wait (up to ``patience`` seconds) until other processes use under ``most`` cores.

    The machine may be shared; a benchmark started while something else is busy measures
    that too. Returns how long it waited and the load seen last.
    """
    began = time.monotonic()
    load = 0.0
    while True:
        before = system_busy_seconds()
        await asyncio.sleep(1.0)
        after = system_busy_seconds()
        load = 0.0 if before is None or after is None else after - before
        waited = time.monotonic() - began
        if load < most or waited >= patience:
            return {"waited_seconds": round(waited, 1), "load_before": round(load, 2)}


@dataclass
class Fake:
    """The fake Bot API process and a client for its sim API."""

    process: asyncio.subprocess.Process
    base_url: str  # http://127.0.0.1:PORT/bot, what a bot is given
    client: httpx.AsyncClient
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    async def sim(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a sim action; return its JSON answer."""
        response = await self.client.post(f"/_sim/{action}", json=body or {})
        if response.status_code != 200:
            raise BenchError(f"sim {action}: {response.status_code} {response.text}")
        return dict(response.json())

    async def get(self, action: str, **query: Any) -> dict[str, Any]:
        """GET a sim action; return its JSON answer."""
        response = await self.client.get(f"/_sim/{action}", params=query)
        if response.status_code != 200:
            raise BenchError(f"sim {action}: {response.status_code} {response.text}")
        return dict(response.json())


async def _stop(process: asyncio.subprocess.Process, grace: float = 30) -> int:
    """SIGTERM, then SIGKILL if it does not exit in time; return the exit status."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


@contextlib.asynccontextmanager
async def fake_server(logs: Path) -> AsyncIterator[Fake]:
    """``python -m bench.loadgen`` on a free port, until the block ends."""
    log = logs / "fake.log"
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.loadgen", "--port", "0",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            line = b""
        if not line.startswith(b"READY "):
            raise BenchError(f"the fake Bot API did not start:\n{tail(log)}")
        base_url = line.split()[1].decode()
        root = base_url.removesuffix("/bot")
        async with httpx.AsyncClient(base_url=root, timeout=300) as client:
            yield Fake(process, base_url, client, log)
    finally:
        await _stop(process)


def bot_env(fake: Fake, **extra: str) -> dict[str, str]:
    """The environment of a bot process: ours, without the caller's bot settings."""
    prefixes = ("TELEGRAM_", "FOUNDER_COACH_", "BENCH_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    environ.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        PYTHONIOENCODING="utf-8",
        **extra,
    )
    return environ


@contextlib.asynccontextmanager
async def bot_process(
    kind: str, fake: Fake, logs: Path, **extra: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bench.bots KIND`` against the fake; waits until it long-polls."""
    log = logs / f"bot-{kind}.log"
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bots", kind,
            cwd=REPO, env=bot_env(fake, **extra), stdout=out, stderr=out,
        )  # fmt: skip
    try:
        waiting = asyncio.ensure_future(fake.sim("bench_wait_poll", {"timeout": START_TIMEOUT}))
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            raise BenchError(f"{kind} exited with {process.returncode}:\n{tail(log)}")
        exited.cancel()
        waiting.result()
        yield process
        if process.returncode is not None:
            raise BenchError(f"{kind} died with {process.returncode}:\n{tail(log)}")
    finally:
        await _stop(process)


async def healthy(port: int, process: asyncio.subprocess.Process, log: Path) -> None:
    """Wait until the worker on ``port`` answers ``/healthz`` with 200."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise BenchError(f"worker exited with {process.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise BenchError(f"worker on port {port} not healthy in {START_TIMEOUT:g}s:\n{tail(log)}")


@contextlib.asynccontextmanager
async def worker_process(
    fake: Fake, logs: Path, port: int, secret: str, **extra: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Our bot as a webhook worker on ``port`` (``python -m bench.bots coach``), until the
    block ends; waits until its ``/healthz`` answers."""
    log = logs / f"worker-{port}.log"
    webhook = {
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.invalid/telegram",
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
    }
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bots", "coach",
            cwd=REPO, env=bot_env(fake, **webhook, **extra), stdout=out, stderr=out,
        )  # fmt: skip
    try:
        await healthy(port, process, log)
        yield process
        if process.returncode is not None:
            raise BenchError(f"worker died with {process.returncode}:\n{tail(log)}")
    finally:
        await _stop(process)
