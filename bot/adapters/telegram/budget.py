"""One send budget for all workers: the lanes' pace, taken from the shared GCRA row.

With several workers each process's own pace (:class:`~bot.adapters.telegram.lanes.Pace`)
would let N workers send N times the rate. :class:`SharedPace` takes every slot from the
``send_budget`` row instead (:mod:`bot.storage.send_budget`): slots are ``1/R`` apart
whichever worker asks, and a 429 pushes the next slot past ``retry_after`` for everyone.
Per-chat order needs nothing shared: only the founder lock's holder sends to a founder.

Replies still go before cosmetic calls, within this worker: a cosmetic call takes a slot
only while no reply of this worker waits, and only one that starts within its patience
(else it is dropped, as with the in-process pace). A reply of another worker can still take
the slot just before it; looks are all that is lost.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from bot.adapters.telegram.lanes import REPLY
from bot.clock import Clock
from bot.storage import Database, send_budget

Sleep = Callable[[float], Awaitable[None]]

# A slot missed by more than this (the process had no CPU for a moment: a neighbour starting,
# a busy machine) is given up for a fresh one, once: sent late, this worker's backlog went
# out at once beside the other workers' on-time messages, over 30 in one second at 25/s.
LATE = 0.1  # seconds


class SharedPace:
    """The lanes' pace (``take``, ``waiting``, ``push``) over the shared GCRA row."""

    def __init__(
        self, db: Database, clock: Clock, per_second: float, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.db = db
        self.clock = clock
        self.interval = 1 / per_second
        self._sleep = sleep
        self._waiting: Counter[str] = Counter()

    def waiting(self, lane: str) -> int:
        """How many calls of ``lane`` of this worker wait for a slot now."""
        return self._waiting[lane]

    async def take(self, lane: str, patience: float | None = None) -> None:
        """Wait for the next shared slot (TimeoutError: a cosmetic call found none soon)."""
        cosmetic = lane != REPLY and patience is not None
        if cosmetic and self._waiting[REPLY]:
            raise TimeoutError("replies of this worker wait for the budget")
        self._waiting[lane] += 1
        try:
            for last in (False, True):
                start = await self._reserve(patience if cosmetic else None)
                delay = start - self._now()
                if delay > 0:
                    await self._sleep(delay)
                if last or self._now() - start <= LATE:
                    return
        finally:
            self._waiting[lane] -= 1

    async def _reserve(self, within: float | None) -> float:
        """Take the next shared slot; when it starts (seconds since the epoch).

        The time the statement and the commit took (three round trips, more under load) is
        not waited again: slept from after the commit, every send went out that much late,
        by a different amount in each worker, and late sends bunched up with on-time ones.
        """
        async with self.db.transaction() as conn:
            now = self._now()
            wait = await send_budget.reserve(conn, self.interval, now=now, within=within)
        if wait is None:
            raise TimeoutError(f"no shared slot within {within} s")
        return now + wait

    async def push(self, retry_after: float) -> None:
        """A 429: every worker's next slot waits ``retry_after`` seconds."""
        async with self.db.transaction() as conn:
            await send_budget.push(conn, retry_after, now=self._now())

    def _now(self) -> float:
        return self.clock.now().timestamp()
