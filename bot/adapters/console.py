"""The console coach: a conversation in the terminal, the same when stdin is a pipe.

Thin: each answer typed becomes a :class:`~bot.models.Said`; each reply is printed with
its options numbered. With a pipe the input lines are echoed after ``>`` so a scripted
session reads like a conversation, one line per answer.

In a terminal:

- lines that arrive together (a paste) are one answer, so extra lines never become the
  answers to questions the founder has not seen yet;
- a question that takes several lines (``OutMessage.multiline``, e.g. next week's goals)
  takes lines until an empty one;
- Ctrl-C, Ctrl-D, ``/quit`` and ``/exit`` leave at once, with one honest goodbye line.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TextIO

from bot.adapters.base import (
    MAX_LINE,
    PASTE_WINDOW,
    Interruptible,
    LineReader,
    input_problem,
    on_interrupt,
)
from bot.checkins.service import SendResult
from bot.coach import Coach
from bot.export.data import founder_folder
from bot.models import OutMessage, Said, UserRef
from bot.rendering import Target
from bot.storage.locks import LocalLocks, Locks

EXPORTS = Path("exports")
QUIT = ("/quit", "/exit")
CHECKINS_STEP = "checkins"
ASK_STEP = "ask"  # an /ask answer: its options are Telegram's "go deeper" buttons
MORE_ADVICE_STEP = "more_advice"  # its button is Telegram's; the text says /more here
WAITS = ("question", "review", "menu")


def save_file(message: OutMessage, folder: Path = EXPORTS) -> Path | None:
    """Write an export into ``folder`` (created 0700 if needed); return where it went.

    The file is new and only its owner's (``O_EXCL``, mode 0600): an export of the same
    name made earlier is never overwritten, the new one gets ``-2``, ``-3``, … before its
    extension. Sessions pass their founder's own folder
    (:func:`~bot.export.data.founder_folder`), so founders never share a file name.
    """
    if message.file is None:
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = Path(message.file.filename)
    for number in range(1, 1000):
        path = folder / (name.name if number == 1 else f"{name.stem}-{number}{name.suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(message.file.data)
        return path
    raise FileExistsError(f"{folder / name.name} and 998 numbered copies exist")


def format_message(message: OutMessage, folder: Path = EXPORTS) -> str:
    """A reply as console text: the text, numbered options, then the hint.

    The options of a /checkins entry are Telegram's buttons; in the console the entry is
    managed by its number (``/checkins later 2``, or its number alone), which the list
    explains, so they are not printed as numbers that would mean something else.
    """
    saved = save_file(message, folder)
    lines = [message.text if saved is None else f"{message.text}\n→ {saved}"]
    if message.step in (CHECKINS_STEP, ASK_STEP, MORE_ADVICE_STEP) and message.type == "message":
        pass  # Telegram's buttons; the text names the command
    elif message.options and message.type != "advice":
        for index, option in enumerate(message.options, start=1):
            mark = " ✓" if option.selected else ""
            number = f"  {index}. "
            label = option.label.replace("\n", "\n" + " " * len(number))  # goals, one a line
            lines.append(f"{number}{label}{mark}")
    elif message.options:
        lines.extend(f"  • {option.label}" for option in message.options)
    if message.hint:
        hint = message.hint.replace("\n", "\n   ")
        # Chinese text takes full-width parentheses
        lines.append(f"  （{hint}）" if message.locale == "zh" else f"  ({hint})")
    return "\n".join(lines)


class Console(Interruptible):
    """One founder's console session (see the module docstring)."""

    def __init__(
        self,
        coach: Coach,
        who: UserRef,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        exports: Path = EXPORTS,
        reader: LineReader | None = None,
        locks: Locks | None = None,
    ) -> None:
        self.coach = coach
        self.who = who
        self.locks = locks if locks is not None else LocalLocks()
        self.after_greeting = None
        self.source = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.exports = founder_folder(exports, who.channel, who.external_id)
        self.interactive = self.source.isatty()
        together = PASTE_WINDOW if self.interactive else 0
        self.reader = reader or LineReader(self.source, together=together)
        self.waiting: OutMessage | None = None  # the last reply that waits for an answer
        self.locale: str | None = None
        self.signal: signal.Signals | None = None

    # ------------------------------------------------------------ output

    def show(self, messages: list[OutMessage]) -> None:
        for message in messages:
            text = format_message(message, self.exports)
            if self.interactive and message.multiline and message.type == "question":
                text += "\n  (" + self._ui("console.multiline", message.locale) + ")"
            print(text, end="\n\n", file=self.out, flush=True)
            if message.locale:
                self.locale = message.locale
            if message.type in WAITS:
                self.waiting = message

    def _ui(self, key: str, locale: str | None, **params: object) -> str:
        locale = locale or self.locale or self.coach.default_locale
        return self.coach.renderer.ui(key, locale, Target.PLAIN, **params)

    async def send(self, who: UserRef, messages: list[OutMessage]) -> SendResult:
        """The check-in sender: this session's founder sees theirs; others wait for their own."""
        if (who.channel, who.external_id) != (self.who.channel, self.who.external_id):
            return SendResult.UNAVAILABLE
        self.show(messages)
        self._prompt()  # the founder was at "> ": it scrolled up with the check-in
        return SendResult.SENT

    # ------------------------------------------------------------ input

    def _prompt(self, more: bool = False) -> None:
        if self.interactive:
            print("… " if more else "> ", end="", file=self.out, flush=True)

    async def _answer(self) -> str | None:
        """The founder's next answer (one or several lines), or None to leave."""
        self._prompt()
        lines = await self.reader.batch()
        if lines is None:
            return None
        if not self.interactive:
            echo = lines[0].encode("utf-8", "replace").decode("utf-8")  # never a raw byte
            if len(echo) > 200:
                echo = echo[:200] + "…"
            print(f"> {echo}", file=self.out, flush=True)
            return lines[0]
        first = lines[0].strip()
        several = self.waiting is not None and self.waiting.multiline
        if first in QUIT or (several and (not first or first.startswith("/"))):
            return lines[0]
        if several:  # lines until an empty one (pasted lines count as typed ones)
            while lines[-1].strip():
                self._prompt(more=True)
                more = await self.reader.batch()
                if more is None:
                    if self.reader.interrupted:
                        return None
                    break
                lines += more
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)

    # ------------------------------------------------------------ the session

    async def run(self) -> int:
        """Talk until end of input, /quit or Ctrl-C; return the exit status."""
        with on_interrupt(self._interrupt):
            try:
                return await self._run()
            finally:
                self.reader.close()

    async def _run(self) -> int:
        self.locale = await self.coach.locale_of(self.who)
        if self.interactive:
            print(self._ui("console.banner", None, user=self.who.external_id) + "\n",
                  file=self.out, flush=True)  # fmt: skip
        self.show(await self.turn(Said("/start")))
        await self.greeted()
        while self.signal is None:
            answer = await self._answer()
            if answer is None or answer.strip() in QUIT:
                break
            problem = input_problem(answer)
            if problem is not None:  # nothing is stored; the same question waits
                print(self._ui(problem, None, limit=MAX_LINE), end="\n\n", file=self.out)
                if self.waiting is not None:
                    self.show([self.waiting])
                continue
            self.show(await self.turn(Said(answer)))
        if self.signal is not None and self.interactive:
            print(file=self.out)  # the terminal echoed ^C after the prompt
        print(await self.coach.farewell(self.who, self.locale), file=self.out, flush=True)
        return 0


async def run_console(
    coach: Coach,
    who: UserRef,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    exports: Path = EXPORTS,
) -> int:
    """Talk to the coach until end of input; return the exit status."""
    return await Console(coach, who, stdin=stdin, stdout=stdout, exports=exports).run()
