"""The shared send budget: two workers' limiters take their slots from one GCRA row."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram.error import RetryAfter

from bot.adapters.telegram.budget import SharedPace
from bot.adapters.telegram.lanes import COSMETIC, REPLY, Dropped, LaneLimiter
from bot.clock import FrozenClock
from bot.storage import Database

RATE = 25.0  # seconds since the epoch are ~1.8e9: a double resolves them to ~2.4e-7 s


class Worker:
    """One worker's limiter on its own connection; its sleeps are recorded, not slept."""

    def __init__(self, db: Database, clock: FrozenClock) -> None:
        self.waits: list[float] = []
        self.pace = SharedPace(db, clock, RATE, sleep=self._sleep)
        self.limiter = LaneLimiter(RATE, pace=self.pace)

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def send(self, chat_id: int, *, lane: str | None = None, fail: bool = False) -> None:
        async def callback() -> bool:
            if fail:
                raise RetryAfter(2)
            return True

        await self.limiter.process_request(
            callback, (), {}, "sendMessage", {"chat_id": chat_id}, lane
        )


@pytest.fixture
async def dbs(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    one = await Database.open(tmp_path / "bot.db")
    two = await Database.open(tmp_path / "bot.db")
    try:
        yield one, two
    finally:
        await one.close()
        await two.close()


async def test_two_workers_share_one_pace(dbs: tuple[Database, Database]) -> None:
    """Slots handed to either worker are 1/R apart: together they keep the one rate."""
    clock = FrozenClock(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    one, two = Worker(dbs[0], clock), Worker(dbs[1], clock)
    await one.send(1)  # the first slot is free: no wait
    for index in range(3):
        await two.send(2 + index)
        await one.send(10 + index)
    waits = sorted([*one.waits, *two.waits])
    assert len(waits) == 6  # every call after the first waited its turn
    for k, wait in enumerate(waits, start=1):
        assert math.isclose(wait, k / RATE, abs_tol=1e-6), waits


async def test_a_429_on_one_worker_holds_back_the_other(dbs: tuple[Database, Database]) -> None:
    clock = FrozenClock(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    one, two = Worker(dbs[0], clock), Worker(dbs[1], clock)
    with pytest.raises(RetryAfter):
        await one.send(1, fail=True)
    await two.send(2)
    assert two.waits
    assert math.isclose(two.waits[-1], 2.0, abs_tol=1e-6)


async def test_a_cosmetic_call_takes_only_a_slot_that_comes_soon(
    dbs: tuple[Database, Database],
) -> None:
    clock = FrozenClock(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    one, two = Worker(dbs[0], clock), Worker(dbs[1], clock)
    one.limiter.cosmetic_patience = 0.1
    await two.send(1)
    await two.send(2)
    await two.send(3)  # the next shared slot is 0.12 s away
    with pytest.raises(Dropped):
        await one.send(4, lane=COSMETIC)
    await two.pace.push(0)  # nothing changes: a push never moves the slot earlier
    one.limiter.cosmetic_patience = 1.0
    await one.send(5, lane=COSMETIC)
    assert one.waits
    assert math.isclose(one.waits[-1], 3 / RATE, abs_tol=1e-6)
    assert one.limiter.paced[COSMETIC] == 1
    assert one.pace.waiting(REPLY) == 0
