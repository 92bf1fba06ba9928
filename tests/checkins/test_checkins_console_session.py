"""A check-in due while the console is open is shown once (founder trial, issue 8).

The console's session with its real check-in scheduler, as ``founder-coach chat`` wires it
(:func:`bot.cli.serve_session`), on a loaded machine: the greeting takes a moment, and a
check-in already due must not be sent before it. Before, the start-up job fired first:
its send printed the check-in, and the greeting, which resumes the current question,
printed it again.
"""

from __future__ import annotations

import asyncio
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import serve_session
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.config import Settings
from bot.models import Incoming, OutMessage, UserRef
from tests.checkins.test_checkins_dispatch import ADA, _seed

QUESTION = "How did it go?"


class LoadedCoach(Coach):
    """The real coach on a busy machine: its first turn (the greeting) is slow to come."""

    greeted = False

    async def handle(self, who: UserRef, incoming: Incoming, **kwargs: object) -> list[OutMessage]:
        if not self.greeted:
            self.greeted = True
            await asyncio.sleep(0.5)  # long enough for a due job to fire meanwhile
        return await super().handle(who, incoming, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("jsonl", [False, True], ids=["console", "jsonl"])
async def test_a_due_checkin_is_shown_once_after_the_greeting(
    full_coach: Coach, clock: FrozenClock, tmp_path: Path, jsonl: bool
) -> None:
    await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))  # due an hour ago, the founder idle since
    coach = LoadedCoach(full_coach.db, full_coach.catalog, clock)
    settings = Settings(_env_file=None, founder_coach_exports=tmp_path / "exports")  # type: ignore[call-arg]
    read, write = os.pipe()
    out = io.StringIO()

    async def founder() -> None:
        """Waits for the check-in, then leaves (the input stays open until then)."""
        for _ in range(400):
            if QUESTION in out.getvalue():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything else the session would print
        os.write(write, b"/quit\n")
        os.close(write)

    with os.fdopen(read, encoding="utf-8") as stdin:
        leaving = asyncio.create_task(founder())
        status = await serve_session(coach, settings, ADA, jsonl=jsonl, stdin=stdin, stdout=out)
        await leaving
    shown = out.getvalue()
    assert status == 0
    assert shown.count(QUESTION) == 1, shown
    assert shown.index("Welcome back") < shown.index(QUESTION)
