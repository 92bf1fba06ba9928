"""What every line-based adapter shares: reading input on the event loop, and Ctrl-C.

A thread blocked in ``readline()`` cannot be interrupted, and ``asyncio.run`` waits for
its executor threads on the way out: with the old ``asyncio.to_thread(readline)``,
Ctrl-C printed ``^C`` and the process stayed until Enter was pressed. Here a terminal or
a pipe is watched with ``loop.add_reader`` and read only when it has something, so the
loop is never blocked and stopping it is immediate. A regular file or ``/dev/null``
(which ``add_reader`` refuses, and which never block) is read directly.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, TextIO

from bot.storage.locks import Locks

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.models import Incoming, OutMessage, UserRef

# The longest input line read (in characters); a longer one is refused with a message.
MAX_LINE = 4096
_SURROGATE = re.compile("[\ud800-\udfff]")

# Lines that reach a terminal within this long of each other were pasted together.
PASTE_WINDOW = 0.06
# A paste is still gathered after this long at most (a huge one arrives in many reads).
PASTE_LIMIT = 1.0


class LineReader:
    """Lines from a stream, without a thread; see the module docstring.

    ``together > 0`` (a terminal): :meth:`batch` returns every line that arrived within
    ``together`` seconds of the previous one, so a pasted block comes back whole and
    never spills into the answers of questions not yet shown. ``together == 0`` (a pipe,
    a script): one line at a time, as it was written.
    """

    def __init__(self, stream: TextIO | None = None, *, together: float = 0.0) -> None:
        self._stream = stream or sys.stdin
        self._together = together
        self._lines: deque[str] = deque()
        self._text = ""  # an incomplete last line
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        # bytes that are not text stay visible as lone surrogates: see :func:`input_problem`
        self._decoder = codecs.getincrementaldecoder(encoding)("surrogateescape")
        self._eof = False
        self._interrupted = False
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self._mode = "text"  # text | direct | watch | thread
        try:
            self._fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # io.StringIO and friends
            self._fd = None

    # ------------------------------------------------------------ set-up

    def _start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if self._fd is None:
            self._mode = "text"
            return
        try:
            self._loop.add_reader(self._fd, self._readable)
            self._mode = "watch"
        except PermissionError:  # a regular file or /dev/null: reading never blocks
            self._mode = "direct"
        except (NotImplementedError, OSError, ValueError):  # e.g. Windows' proactor loop
            self._mode = "thread"
            threading.Thread(target=self._thread, name="stdin", daemon=True).start()

    def close(self) -> None:
        """Stop watching the stream (it stays open: it belongs to the caller)."""
        if self._mode == "watch" and self._loop is not None and self._fd is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._fd)
        self._mode = "closed"

    # ------------------------------------------------------------ input arriving

    def _readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._feed(data)

    def _thread(self) -> None:  # pragma: no cover - only where add_reader is missing
        assert self._fd is not None
        assert self._loop is not None
        while True:
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                data = b""
            try:
                self._loop.call_soon_threadsafe(self._feed, data)
            except RuntimeError:  # the loop is closed
                return
            if not data:
                return

    def _feed(self, data: bytes) -> None:
        if self._eof:
            return
        if data:
            self._append(self._decoder.decode(data))
        else:
            self._append(self._decoder.decode(b"", final=True))
            self._eof = True
            if self._mode == "watch":
                self.close()
                self._mode = "done"
        *complete, self._text = self._text.split("\n")
        self._lines.extend(line.rstrip("\r") for line in complete)
        if self._eof and self._text:
            self._lines.append(self._text.rstrip("\r"))
            self._text = ""
        if self._wake is not None:
            self._wake.set()

    def _append(self, text: str) -> None:
        """Add decoded input; of an over-long line keep only enough to know it is too long."""
        if len(self._text) > MAX_LINE and "\n" not in self._text:
            _, newline, rest = text.partition("\n")
            text = newline + rest
        self._text += text
        head, newline, tail = self._text.rpartition("\n")
        if len(tail) > MAX_LINE:
            self._text = head + newline + tail[: MAX_LINE + 1]

    def _read_now(self) -> None:
        """Read what a file or a text stream has, without waiting (they never block)."""
        if self._mode == "direct":
            assert self._fd is not None
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                data = b""
            self._feed(data)
        else:
            line = self._stream.readline(MAX_LINE + 2)
            if line:
                rest = line
                while len(rest) == MAX_LINE + 2 and not rest.endswith("\n"):
                    rest = self._stream.readline(MAX_LINE + 2)  # the rest of an over-long line
                self._lines.append(line.rstrip("\r\n"))
            else:
                self._eof = True

    async def _wait(self, seconds: float | None = None) -> bool:
        """Wait for more input (or the end, or an interrupt); False on timeout."""
        assert self._wake is not None
        if self._mode in ("direct", "text"):
            self._read_now()
            await asyncio.sleep(0)  # let other tasks (a check-in being printed) run
            return True
        self._wake.clear()
        if seconds is None:
            await self._wake.wait()
            return True
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------ the caller's side

    @property
    def interrupted(self) -> bool:
        """Whether :meth:`interrupt` was called (Ctrl-C)."""
        return self._interrupted

    def interrupt(self) -> None:
        """Make the current and every later :meth:`batch` return None at once."""
        self._interrupted = True
        if self._wake is not None:
            self._wake.set()

    async def batch(self) -> list[str] | None:
        """The next line, or the lines that arrived together; None at the end or on Ctrl-C."""
        self._start()
        while not self._lines:
            if self._eof or self._interrupted:
                return None
            await self._wait()
        if self._interrupted:
            return None
        if self._together <= 0:
            return [self._lines.popleft()]
        assert self._loop is not None
        deadline = self._loop.time() + PASTE_LIMIT
        while not self._eof and not self._interrupted and self._loop.time() < deadline:
            if not await self._wait(self._together):
                break
        if self._interrupted:
            return None
        lines = list(self._lines)
        self._lines.clear()
        return lines

    async def line(self) -> str | None:
        """The next line; None at the end or on Ctrl-C."""
        self._start()
        while not self._lines:
            if self._eof or self._interrupted:
                return None
            await self._wait()
        return None if self._interrupted else self._lines.popleft()

    async def ends_empty(self, wait: float) -> bool:
        """True if the input ends before any line, within ``wait`` seconds (``< /dev/null``).

        False when a line came, or nothing came yet (a pipe still open). What was read
        stays for :meth:`batch`.
        """
        self._start()
        assert self._loop is not None
        deadline = self._loop.time() + wait
        while not self._lines and not self._text and not self._eof:
            left = deadline - self._loop.time()
            if left <= 0 or not await self._wait(left):
                return False
        return self._eof and not self._lines


def input_problem(text: str) -> str | None:
    """Why an input cannot be taken (a UI key), or None: a line over :data:`MAX_LINE`
    characters, or bytes that are not valid text in the terminal's encoding (they would
    otherwise be stored as garbage, or fail to be stored at all)."""
    for line in text.split("\n"):
        if len(line) > MAX_LINE:
            return "console.too_long"
        if _SURROGATE.search(line):
            return "console.unreadable"
    return None


@contextlib.contextmanager
def on_interrupt(handler: Callable[[signal.Signals], None]) -> Iterator[None]:
    """Call ``handler`` (on the loop) for Ctrl-C (SIGINT) and SIGTERM while inside.

    Where the loop cannot take signal handlers (Windows), Ctrl-C stays a
    KeyboardInterrupt, which the command line turns into a quiet exit.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, handler, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


class Interruptible:
    """A session that a first Ctrl-C (or SIGTERM) ends after the turn under way.

    The signal is remembered and the blocked line read is woken; a second one while a turn
    is still running raises at once. Console and JSON lines share it.

    Its turns hold the founder's lock that check-ins take (``locks``, given to the check-in
    service too), so a check-in never lands inside a turn; and ``after_greeting`` (the
    check-in scheduler's start) runs once the greeting is shown, so a check-in already due
    is sent after it. Before, one that fired first was printed by its send and then again
    by the greeting, which resumes the current question (founder trial).
    """

    signal: signal.Signals | None
    reader: LineReader
    coach: Coach
    who: UserRef
    locks: Locks
    after_greeting: Callable[[], Awaitable[object]] | None

    async def turn(self, incoming: Incoming) -> list[OutMessage]:
        """One input handled under the founder's lock."""
        async with self.locks.founder(self.who.external_id):
            return await self.coach.handle(self.who, incoming)

    async def greeted(self) -> None:
        """The greeting is out: now check-ins may be sent (see the class docstring)."""
        if self.after_greeting is not None:
            await self.after_greeting()

    def _interrupt(self, signum: signal.Signals) -> None:
        if self.signal is not None:  # a second Ctrl-C while a turn is still running
            raise KeyboardInterrupt
        self.signal = signum
        self.reader.interrupt()
