"""The console coach: a conversation in the terminal, the same when stdin is a pipe.

Thin: each line typed becomes a :class:`~bot.models.Said`; each reply is printed with its
options numbered. With a pipe the input lines are echoed after ``>`` so a scripted
session reads like a conversation.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.adapters.base import read_line
from bot.checkins.service import Sender, SendResult
from bot.coach import Coach
from bot.models import OutMessage, Said, UserRef

EXPORTS = Path("exports")


def save_file(message: OutMessage, folder: Path = EXPORTS) -> Path | None:
    """Write an export into ``exports/`` (created if needed); return where it went."""
    if message.file is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / message.file.filename
    path.write_bytes(message.file.data)
    return path


def format_message(message: OutMessage) -> str:
    """A reply as console text: the text, numbered options, then the hint."""
    saved = save_file(message)
    lines = [message.text if saved is None else f"{message.text}\n→ {saved}"]
    if message.options and message.type != "advice":
        for index, option in enumerate(message.options, start=1):
            mark = " ✓" if option.selected else ""
            lines.append(f"  {index}. {option.label}{mark}")
    elif message.options:
        lines.extend(f"  • {option.label}" for option in message.options)
    if message.hint:
        lines.append(f"  ({message.hint})")
    return "\n".join(lines)


async def run_console(
    coach: Coach,
    who: UserRef,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Talk to the coach until end of input; return the exit status."""
    source = stdin or sys.stdin
    out = stdout or sys.stdout
    interactive = source.isatty()

    def show(messages: list[OutMessage]) -> None:
        for message in messages:
            print(format_message(message), end="\n\n", file=out, flush=True)

    show(await coach.handle(who, Said("/start")))
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = await read_line(source)
        if line is None:
            break
        if not interactive:
            print(f"> {line}", file=out, flush=True)
        if line.strip() in ("/quit", "/exit"):
            break
        show(await coach.handle(who, Said(line)))
    print(
        coach.renderer.ui("goodbye", await coach.locale_of(who), coach.target),
        file=out,
        flush=True,
    )
    return 0


def console_sender(session: UserRef, stdout: TextIO | None = None) -> Sender:
    """Check-ins for the founder of this session are printed; others wait for their own."""

    async def send(who: UserRef, messages: list[OutMessage]) -> SendResult:
        if (who.channel, who.external_id) != (session.channel, session.external_id):
            return SendResult.UNAVAILABLE
        out = stdout or sys.stdout
        for message in messages:
            print(format_message(message), end="\n\n", file=out, flush=True)
        return SendResult.SENT

    return send
