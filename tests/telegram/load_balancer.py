"""Telegram and the load balancer in front of real worker processes (issue #15's acceptance).

:class:`Workers` runs N real ``python -m bot run`` processes in webhook mode on one database
(each on its own port on 127.0.0.1, its log in a file: a pipe nobody reads would fill and
stall a worker), and kills and restarts them. :class:`LoadBalancer` plays Telegram and the
balancer in front of them, as SCALE.md describes the deployment:

- each update goes to a random worker, with the webhook secret;
- a request that fails (connection refused or reset, a 5xx, a time-out) is posted again
  to another worker, until one answers 200;
- the caller sends a chat's next update only after the previous one got its 200 (``post``
  returns then), as Telegram does.

Nothing here knows how the workers handle updates: the tests read the fake Bot API and the
database to see what happened. Each process gets a bot token of its own (the fake takes any),
so the fake's calls say which process made them, and :attr:`Workers.killed` says which
processes were SIGKILLed, and when.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.adapters.telegram.webhook import SECRET_HEADER
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, until
from tests.telegram.processes import env

SECRET = "acceptance-secret_15"
START_TIMEOUT = 180.0  # several workers checking their templates at once, on a shared machine
POST_TIMEOUT = 10.0  # a worker that does not answer in this long is given up for another
DELIVERY_TIMEOUT = 120.0  # no worker took the update in this long: the test fails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(port: int, database_url: str, **extra: str) -> dict[str, str]:
    """A worker's settings: the shared PostgreSQL database and its own webhook port."""
    return {
        "FOUNDER_COACH_DATABASE_URL": database_url,
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.invalid/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        "FOUNDER_COACH_LOG_LEVEL": "INFO",
        **extra,
    }


class WorkerProcess:
    """One worker: a port, and the process behind it now (restarted after a kill)."""

    def __init__(self, name: str, port: int, environ: dict[str, str], logs: Path) -> None:
        self.name = name
        self.port = port
        self.environ = environ
        self.logs = logs
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.log: Path | None = None
        self.ready = False  # healthy since its last start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def token(self) -> str:
        """This process's bot token: the test's, marked with the worker and its start, so
        the fake's calls say which process made them (the fake takes any token)."""
        return f"{TOKEN}-{self.name}-{self.starts}"

    async def start(self) -> None:
        self.ready = False
        self.starts += 1
        self.log = self.logs / f"{self.name}-{self.starts}.log"
        with self.log.open("wb") as out:  # the child keeps its own descriptor
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                env={**self.environ, "TELEGRAM_BOT_TOKEN": self.token},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    async def healthy(self, client: httpx.AsyncClient, timeout: float = START_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until this worker listens and says it is healthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited while starting:\n{self.tail()}")
            try:
                answer = await client.get(f"{self.url}/healthz", timeout=5)
                if answer.status_code == 200:
                    self.ready = True
                    return
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{self.name} not healthy within {timeout}s:\n{self.tail()}")
            await asyncio.sleep(0.1)

    async def kill(self) -> float:
        """SIGKILL: no drain, no goodbye. Returns when it happened (``time.monotonic()``)."""
        assert self.proc is not None
        self.ready = False
        self.proc.send_signal(signal.SIGKILL)
        at = time.monotonic()
        await self.proc.wait()
        return at

    async def stop(self) -> None:
        """SIGTERM (the drain), or SIGKILL if it does not end in time."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def tail(self, chars: int = 3000) -> str:
        if self.log is None or not self.log.exists():
            return "(no log)"
        return self.log.read_text(errors="replace")[-chars:]


class Workers:
    """N workers on one database, started together, each killed and restarted at will."""

    def __init__(
        self, fake: FakeBotApi, database_url: str, logs: Path, count: int = 3, **extra: str
    ) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.all: list[WorkerProcess] = []
        for n in range(count):
            port = free_port()
            environ = env(fake, logs / "unused.db", **webhook_env(port, database_url, **extra))
            self.all.append(WorkerProcess(f"worker{n + 1}", port, environ, logs))
        # the token of each process SIGKILLed, and when (time.monotonic(), as the fake's calls)
        self.killed: dict[str, float] = {}
        self._client = httpx.AsyncClient()

    @property
    def ports(self) -> list[int]:
        return [w.port for w in self.all]

    async def __aenter__(self) -> Workers:
        try:
            for worker in self.all:
                await worker.start()
            await asyncio.gather(*(w.healthy(self._client) for w in self.all))
        except BaseException:  # none left running
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(w.stop() for w in self.all))
        await self._client.aclose()

    async def kill_and_restart(self, worker: WorkerProcess) -> None:
        """SIGKILL the worker and start a new process on its port (healthy when this returns)."""
        self.killed[worker.token] = await worker.kill()
        await worker.start()
        await worker.healthy(self._client)

    async def kill_at_random(
        self, rng: random.Random, kills: int, pause: tuple[float, float]
    ) -> None:
        """SIGKILL a healthy worker chosen at random ``kills`` times, ``pause`` seconds apart
        (uniformly drawn), each restarted at once; at least one worker stays up."""
        restarts: list[asyncio.Task[None]] = []
        try:
            for _ in range(kills):
                await asyncio.sleep(rng.uniform(*pause))
                await until(lambda: sum(w.ready for w in self.all) >= 2, START_TIMEOUT)
                victim = rng.choice([w for w in self.all if w.ready])
                self.killed[victim.token] = await victim.kill()
                await victim.start()
                restarts.append(asyncio.create_task(victim.healthy(self._client)))
            await asyncio.gather(*restarts)
        finally:
            for task in restarts:
                task.cancel()

    def logs(self) -> str:
        """Every worker's latest log tail, for a failure message."""
        return "\n".join(f"--- {w.name} ---\n{w.tail()}" for w in self.all)


@dataclass
class Attempt:
    """One POST of an update to one worker, as the balancer saw it."""

    update_id: int
    port: int
    outcome: str  # "200", "503", "ConnectError", …


@dataclass
class LoadBalancer:
    """Posts updates to random workers, again to another one when a request fails."""

    ports: list[int]
    rng: random.Random
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self._client = httpx.AsyncClient(timeout=POST_TIMEOUT, limits=limits)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, update: dict[str, Any], port: int | None = None) -> int:
        """Deliver one update; return the port of the worker that answered 200.

        ``port``: the worker to try first (else a random one). A failed request goes again
        to another worker, chosen at random among the others; once all have failed the
        round starts over after a short pause (they may all be restarting).
        """
        body = json.dumps(update)
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DELIVERY_TIMEOUT
        first = port if port is not None else self.rng.choice(self.ports)
        while True:
            others = [p for p in self.ports if p != first]
            self.rng.shuffle(others)
            for target in [first, *others]:
                outcome = await self._try(target, body, headers)
                self.attempts.append(Attempt(update["update_id"], target, outcome))
                if outcome == "200":
                    return target
                if outcome.startswith("4"):  # our request is wrong: retrying cannot help
                    raise AssertionError(f"update {update['update_id']}: {outcome}")
            if loop.time() > deadline:
                raise TimeoutError(f"no worker took update {update['update_id']}")
            await asyncio.sleep(0.2)
            first = self.rng.choice(self.ports)

    async def _try(self, port: int, body: str, headers: dict[str, str]) -> str:
        try:
            answer = await self._client.post(
                f"http://127.0.0.1:{port}/telegram", content=body, headers=headers
            )
        except httpx.TransportError as exc:  # refused, reset, timed out: another worker
            return type(exc).__name__
        return str(answer.status_code)

    def failed(self) -> list[Attempt]:
        """The attempts that did not get a 200 (each was posted again elsewhere)."""
        return [a for a in self.attempts if a.outcome != "200"]


def take_one(fake: FakeBotApi) -> dict[str, Any]:
    """The update the fake queued just now (call right after ``user_sends``/``user_taps``,
    with no ``await`` between: nobody else can have queued one meanwhile)."""
    [update] = fake.take_updates()
    return update


SENDS = ("send", "edit")  # what Telegram counts as messages (and the fake's 429 counts)


def busiest_second(fake: FakeBotApi) -> int:
    """The most send*/edit* calls the fake received within any one second (a sliding
    window over their arrival times)."""
    times = sorted(c.time for c in fake.calls if c.method.lower().startswith(SENDS))
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most
