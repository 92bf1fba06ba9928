"""The JSON-lines adapter: one JSON object per reply out, one input per line in.

This is how other programs drive the coach; the protocol is documented in the README.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from bot.adapters.base import read_line
from bot.adapters.console import save_file
from bot.checkins.service import Sender, SendResult
from bot.coach import Coach
from bot.models import OutMessage, Said, UserRef


def to_json(message: OutMessage) -> dict[str, Any]:
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
    if message.hint:
        data["hint"] = message.hint
    saved = save_file(message)
    if saved is not None:
        data["path"] = str(saved)
    return data


async def run_jsonl(
    coach: Coach,
    who: UserRef,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Serve the JSON-lines protocol until end of input; return the exit status."""
    source = stdin or sys.stdin
    out = stdout or sys.stdout

    def emit(messages: list[OutMessage]) -> None:
        for message in messages:
            out.write(json.dumps(to_json(message), ensure_ascii=False) + "\n")
        out.flush()

    emit(await coach.handle(who, Said("/start")))
    while (line := await read_line(source)) is not None:
        emit(await coach.handle(who, Said(line)))
    return 0


def jsonl_sender(session: UserRef, stdout: TextIO | None = None) -> Sender:
    """Check-ins for this session's founder are written as JSON lines, like replies."""

    async def send(who: UserRef, messages: list[OutMessage]) -> SendResult:
        if (who.channel, who.external_id) != (session.channel, session.external_id):
            return SendResult.UNAVAILABLE
        out = stdout or sys.stdout
        for message in messages:
            out.write(json.dumps(to_json(message), ensure_ascii=False) + "\n")
        out.flush()
        return SendResult.SENT

    return send
