"""The JSON-lines adapter: one JSON object per reply out, one input per line in.

This is how other programs drive the coach; the protocol is documented in the README.
Input is read on the event loop (:class:`~bot.adapters.base.LineReader`), so SIGINT or
SIGTERM ends the session at once (exit status 130 or 143).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.adapters.base import MAX_LINE, Interruptible, LineReader, input_problem, on_interrupt
from bot.adapters.console import CHECKINS_STEP, EXPORTS, QUIT, WAITS, save_file
from bot.checkins.service import SendResult
from bot.coach import Coach
from bot.export.data import founder_folder
from bot.models import Incoming, OutMessage, Said, Tapped, UserRef
from bot.rendering import Target
from bot.storage.locks import LocalLocks, Locks


def to_json(message: OutMessage, folder: Path = EXPORTS) -> dict[str, Any]:
    """The wire form of a reply: ``type`` and ``text`` always, the rest when it applies."""
    data: dict[str, Any] = {"type": message.type}
    for key in ("flow", "step", "kind"):
        value = getattr(message, key)
        if value is not None:
            data[key] = value
    data["text"] = message.text
    if message.options:
        data["options"] = [
            {"id": o.id, "label": o.label, **({"selected": True} if o.selected else {})}
            for o in message.options
        ]
    if message.progress is not None:
        data["progress"] = list(message.progress)
        if message.progress_open:
            data["progress_open"] = True  # the total is an upper bound
    if message.keep_label:
        data["keep"] = message.keep_label  # /skip (or "keep") keeps the answer it names
    elif message.skip_label:
        data["skip"] = message.skip_label  # what /skip means here ("Not now": declining)
    if message.hint:
        data["hint"] = message.hint
    if message.multiline:
        data["multiline"] = True
    saved = save_file(message, folder)
    if saved is not None:
        data["path"] = str(saved)
    return data


class JsonLines(Interruptible):
    """One founder's JSON-lines session."""

    def __init__(
        self,
        coach: Coach,
        who: UserRef,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        exports: Path = EXPORTS,
        locks: Locks | None = None,
    ) -> None:
        self.coach = coach
        self.who = who
        self.locks = locks if locks is not None else LocalLocks()
        self.after_greeting = None
        self.reader = LineReader(stdin or sys.stdin)
        self.out = stdout or sys.stdout
        self.exports = founder_folder(exports, who.channel, who.external_id)
        self.signal: signal.Signals | None = None
        self.locale: str | None = None
        # the ids of the check-in entries last listed: sending one back is a tap on it
        self.checkin_ids: set[str] = set()
        self.waiting: OutMessage | None = None  # the last reply that waits for an input

    def emit(self, messages: list[OutMessage]) -> None:
        for message in messages:
            self.out.write(json.dumps(to_json(message, self.exports), ensure_ascii=False) + "\n")
            if message.locale:
                self.locale = message.locale
            if message.type in WAITS:
                self.waiting = message
            if message.step == CHECKINS_STEP:
                self.checkin_ids.update(option.id for option in message.options)
        self.out.flush()

    async def send(self, who: UserRef, messages: list[OutMessage]) -> SendResult:
        """Check-ins for this session's founder are written as JSON lines, like replies."""
        if (who.channel, who.external_id) != (self.who.channel, self.who.external_id):
            return SendResult.UNAVAILABLE
        self.emit(messages)
        return SendResult.SENT

    def incoming(self, line: str) -> Incoming:
        """A line as the Coach's input: an option id of a listed check-in is a tap on it."""
        if line.strip() in self.checkin_ids:
            return Tapped(run_id=None, step=CHECKINS_STEP, option_ids=(line.strip(),))
        return Said(line)

    def _refusal(self, problem: str) -> OutMessage:
        locale = self.locale or self.coach.default_locale
        text = self.coach.renderer.ui(problem, locale, Target.PLAIN, limit=MAX_LINE)
        waiting = self.waiting
        if waiting is None:
            return OutMessage(type="error", text=text)
        return OutMessage(type="error", text=text, flow=waiting.flow, step=waiting.step)

    async def run(self) -> int:
        """Serve the protocol until end of input, /quit, SIGINT or SIGTERM."""
        with on_interrupt(self._interrupt):
            try:
                self.emit(await self.turn(Said("/start")))
                await self.greeted()
                while self.signal is None:
                    line = await self.reader.line()
                    if line is None or line.strip() in QUIT:
                        break
                    problem = input_problem(line)
                    if problem is not None:  # an error, then the same question again
                        again = [self.waiting] if self.waiting is not None else []
                        self.emit([self._refusal(problem), *again])
                        continue
                    self.emit(await self.turn(self.incoming(line)))
            finally:
                self.reader.close()
        if self.signal is None:
            return 0
        # a person pressed Ctrl-C in a terminal: one line for them, never on stdout
        farewell = await self.coach.farewell(self.who, self.locale)
        lead = "\n" if sys.stderr.isatty() else ""  # after the ^C the terminal echoed
        print(lead + farewell, file=sys.stderr, flush=True)
        return 128 + int(self.signal)


async def run_jsonl(
    coach: Coach,
    who: UserRef,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    exports: Path = EXPORTS,
) -> int:
    """Serve the JSON-lines protocol until end of input; return the exit status."""
    return await JsonLines(coach, who, stdin=stdin, stdout=stdout, exports=exports).run()
