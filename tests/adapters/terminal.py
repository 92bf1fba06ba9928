"""The real entry point in a pseudo-terminal: what a founder at a keyboard does.

``pty.fork`` gives the child the terminal as its controlling terminal, so Ctrl-C
(``\\x03`` typed into it) is turned into SIGINT by the line discipline, as in a real
terminal, and stdin ``isatty()``. Everything the child prints (and the terminal echo of
what is typed) is read from the master side.
"""

from __future__ import annotations

import functools
import os
import pty
import select
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.catalog import load_checked_catalog
from bot.engine import Catalog
from tests.conftest import REPO

CTRL_C = "\x03"
CTRL_D = "\x04"


class Terminal:
    """``python -m bot ARGS`` in a pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the coach
            try:
                os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "bot", *args], env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.output = b""
        self.status: int | None = None

    @property
    def text(self) -> str:
        """Everything shown so far (CRLF as the terminal sends it, made plain)."""
        return self.output.decode("utf-8", "replace").replace("\r\n", "\n")

    def _pump(self, seconds: float) -> bool:
        """Read what is there within ``seconds``; False once the terminal is closed."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed its side
            return False
        if not chunk:
            return False
        self.output += chunk
        return True

    def read_until(self, marker: str, *, after: int = 0, timeout: float = 30) -> str:
        """Read until ``marker`` shows (past character ``after``); the text so far."""
        deadline = time.monotonic() + timeout
        while marker not in self.text[after:]:
            if time.monotonic() > deadline or not self._pump(0.1):
                raise AssertionError(f"{marker!r} never showed; the screen:\n{self.text[-3000:]}")
        return self.text

    def wait_for_prompt(self, *, after: int = 0, prompt: str = "> ", timeout: float = 30) -> None:
        """Until the coach waits for input (the prompt is the last thing on screen)."""
        deadline = time.monotonic() + timeout
        while not self.text[after:].rstrip(" ").endswith(prompt.rstrip(" ")):
            if time.monotonic() > deadline or not self._pump(0.1):
                raise AssertionError(f"no prompt {prompt!r}; the screen:\n{self.text[-3000:]}")

    def type(self, keys: str) -> int:
        """Send keys as typed (or pasted, when several lines go at once); return the mark."""
        mark = len(self.text)
        os.write(self.fd, keys.encode())
        return mark

    def exit_status(self, timeout: float) -> int | None:
        """The exit status if the child ends within ``timeout`` seconds, else None."""
        deadline = time.monotonic() + timeout
        while self.status is None and time.monotonic() < deadline:
            self._pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        if self.status is not None:
            while self._pump(0.05):  # the last words
                pass
        return self.status

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except ProcessLookupError:
                pass
        os.close(self.fd)


@functools.cache
def _catalog() -> Catalog:
    return load_checked_catalog(REPO / "flows", REPO / "content")


def seed_founder(db: Path, name: str = "ada", *, locale: str = "en") -> None:
    """A founder who agreed and finished onboarding (Toronto): the Coach the command line
    runs, fed the answers a founder types, in this process (a subprocess costs seconds)."""
    import asyncio

    from bot.clock import SystemClock
    from bot.coach import Coach
    from bot.models import Said, UserRef
    from bot.storage import Database

    script = ["/start", "1", "Ada", "Ledgerly AI", "An LLM agent that reconciles invoices",
              "3", "4", "4", "Toronto", "1" if locale == "en" else "2", "1"]  # fmt: skip
    who = UserRef(channel="console", external_id=name, display_name=name)

    async def seed() -> None:
        database = await Database.open(db)
        try:
            coach = Coach(database, _catalog(), SystemClock())
            for text in script:
                replies = await coach.handle(who, Said(text))
            assert replies[-1].type == "menu", replies[-1]
        finally:
            await database.close()

    asyncio.run(seed())


def seed_checkins(db: Path, commitments: list[tuple[str, int]], name: str = "ada") -> list[int]:
    """Commitments with a check-in each, due in so many days (09:00 Toronto); the check-in
    ids, in the order given."""
    import asyncio

    from bot.storage import Database, checkins, users

    async def seed() -> list[int]:
        now = datetime.now(UTC)
        database = await Database.open(db)
        ids = []
        try:
            async with database.transaction() as conn:
                user = await users.find(conn, channel="console", external_id=name)
                assert user is not None
                for text, days in commitments:
                    commitment = await checkins.add_commitment(
                        conn, user_id=user.id, topic="funding", text=text, now=now
                    )
                    due = (now + timedelta(days=days)).replace(
                        hour=14, minute=0, second=0, microsecond=0
                    )
                    checkin = await checkins.create(
                        conn, user_id=user.id, kind="commitment", due_at=due,
                        timezone="America/Toronto", local_intent=None, now=now,
                        commitment_id=commitment,
                    )  # fmt: skip
                    ids.append(checkin)
        finally:
            await database.close()
        return ids

    return asyncio.run(seed())
