"""Check-ins with several workers: claimed once by a tick, settled by a lease, upkeep by one.

Two check-in services on two connections to one SQLite file play two workers (on
PostgreSQL the claim adds ``FOR UPDATE SKIP LOCKED``; here SQLite's write lock serialises
the claims, and the claim-once logic is the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.checkins.planner import QuietHours
from bot.checkins.scheduler import CATCH_UP, SWEEP, CheckinScheduler
from bot.checkins.service import CheckinService, Policy, SendResult
from bot.clock import FrozenClock, SystemClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import OutMessage, UserRef
from bot.storage import Database, checkins
from bot.storage.locks import LocalLocks, Locks
from tests.checkins.conftest import Outbox
from tests.telegram.conftest import until
from tests.telegram.seeding import seed

NO_QUIET = QuietHours(start=time(0, 0), end=time(0, 0))
POLICY = Policy(quiet=NO_QUIET, grace=timedelta(hours=12), lease=timedelta(minutes=2))


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@contextlib.asynccontextmanager
async def worker(
    path: Path, catalog: Catalog, clock: FrozenClock, outbox: Outbox, locks: Locks
) -> AsyncIterator[CheckinService]:
    """One worker's check-in service: its own connections, the shared founder locks."""
    db = await Database.open(path)
    try:
        coach = Coach(db, catalog, clock)
        yield CheckinService(db, coach, clock, outbox, policy=POLICY, locks=locks)
    finally:
        await db.close()


async def test_two_workers_ticking_at_once_send_each_due_checkin_once(
    tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    now = datetime.now(UTC)
    await seed(db, range(1000, 1040), due=now - timedelta(minutes=1))
    clock, locks = FrozenClock(now), LocalLocks()
    first, second = Outbox(), Outbox()
    async with (
        worker(db, real_catalog, clock, first, locks) as one,
        worker(db, real_catalog, clock, second, locks) as two,
    ):
        handled = await asyncio.gather(one.tick(), two.tick())
        assert await one.tick() == await two.tick() == 0  # nothing left
    sends = Counter(who for who, _ in [*first.sent, *second.sent])
    assert sends == Counter(str(i) for i in range(1000, 1040))  # each founder exactly once
    assert sum(handled) == 40
    assert rows(db, "SELECT DISTINCT status FROM checkins") == [("sent",)]
    claimers = {by for (by,) in rows(db, "SELECT claimed_by FROM checkins")}
    assert claimers <= {one.instance, two.instance}


async def test_a_dead_workers_claim_is_settled_by_its_lease_not_counted_as_sent(
    tmp_path: Path, real_catalog: Catalog
) -> None:
    """A row left ``sending`` by a dead worker: untouched while its lease holds (even by a
    worker starting up), then sent again once, recorded as interrupted."""
    db = tmp_path / "bot.db"
    now = datetime.now(UTC)
    await seed(db, range(1100, 1101), due=now - timedelta(minutes=1))
    clock, outbox = FrozenClock(now), Outbox()
    async with worker(db, real_catalog, clock, outbox, LocalLocks()) as live:
        async with live.db.transaction() as conn:
            claimed = await checkins.claim_due(
                conn, now, since=now - POLICY.grace, limit=10,
                until=now + POLICY.lease, by="dead-worker",
            )  # fmt: skip
        assert [status for _, status in claimed] == ["scheduled"]
        await live.recover()  # a worker starting meanwhile: the row is not settled as sent
        assert await live.tick() == 0  # the lease still holds
        assert rows(db, "SELECT status, claimed_by FROM checkins") == [("sending", "dead-worker")]
        clock.advance(POLICY.lease)
        assert await live.tick() == 1
    assert len(outbox.sent) == 1
    assert rows(db, "SELECT status, attempts FROM checkins") == [("sent", 2)]
    assert rows(db, "SELECT result FROM checkin_attempts ORDER BY id") == [
        ("interrupted",),
        ("sent",),
    ]


async def test_the_tick_leaves_checkins_past_the_grace_to_the_catch_up(
    tmp_path: Path, real_catalog: Catalog
) -> None:
    """Thirteen hours late: no tick sends it; the catch-up (one worker) marks it missed."""
    db = tmp_path / "bot.db"
    now = datetime.now(UTC)
    await seed(db, range(1200, 1201), due=now - timedelta(hours=13))
    clock, outbox = FrozenClock(now), Outbox()
    async with worker(db, real_catalog, clock, outbox, LocalLocks()) as live:
        assert await live.tick() == 0
        scheduler = CheckinScheduler(live, claim_tick=True)
        await scheduler._sweep()
    assert outbox.sent == []
    assert rows(db, "SELECT status FROM checkins") == [("missed",)]


class Busy(LocalLocks):
    """Another worker holds every maintenance lock (founders' locks work as usual)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    @contextlib.asynccontextmanager
    async def try_lock(self, name: str) -> AsyncIterator[bool]:
        self.asked.append(name)
        yield False


async def test_catch_up_and_sweep_run_only_under_their_try_lock(
    tmp_path: Path, real_catalog: Catalog
) -> None:
    """While another worker holds the catch-up and sweep locks, this one neither marks the
    late check-in missed nor sweeps; when it gets the lock, it does."""
    db = tmp_path / "bot.db"
    now = datetime.now(UTC)
    await seed(db, range(1300, 1301), due=now - timedelta(hours=13))
    clock, outbox, busy = FrozenClock(now), Outbox(), Busy()
    async with worker(db, real_catalog, clock, outbox, busy) as live:
        scheduler = CheckinScheduler(live, claim_tick=True)
        await scheduler.start()
        await scheduler._sweep()
        await scheduler.stop()
    assert busy.asked == [CATCH_UP, CATCH_UP, SWEEP]
    assert rows(db, "SELECT status FROM checkins") == [("scheduled",)]
    async with worker(db, real_catalog, clock, outbox, LocalLocks()) as live:
        scheduler = CheckinScheduler(live, claim_tick=True)
        await scheduler.start()
        await scheduler.stop()
    assert rows(db, "SELECT status FROM checkins") == [("missed",)]
    assert outbox.sent == []


class SlowOutbox(Outbox):
    """Telegram taking its time: each check-in send lasts ``seconds``."""

    seconds: float = 1.2

    async def __call__(self, who: UserRef, messages: list[OutMessage]) -> SendResult:
        await asyncio.sleep(self.seconds)
        return await super().__call__(who, messages)


async def test_a_long_tick_is_neither_run_twice_nor_warned_about_every_second(
    tmp_path: Path, real_catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    """Many check-ins due at once keep one tick sending for minutes. The next seconds' ticks
    leave it to that one, quietly: before, APScheduler logged a warning each second that the
    job was still running (hundreds of lines for a normal morning's check-ins)."""
    db = tmp_path / "bot.db"
    now = datetime.now(UTC)
    await seed(db, range(1400, 1402), due=now - timedelta(minutes=1))
    outbox = SlowOutbox()
    policy = Policy(quiet=NO_QUIET, grace=timedelta(hours=12), in_flight=1)
    live_db = await Database.open(db)
    try:
        service = CheckinService(live_db, Coach(live_db, real_catalog, SystemClock()),
                                 SystemClock(), outbox, policy=policy)  # fmt: skip
        scheduler = CheckinScheduler(service, claim_tick=True)
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            await scheduler.start()
            # one at a time, 1.2 s each: the tick runs over two seconds
            await until(lambda: len(outbox.sent) == 2)
            await scheduler.stop()
    finally:
        await live_db.close()
    assert sorted(who for who, _ in outbox.sent) == ["1400", "1401"]  # each once
    assert not [r for r in caplog.records if "maximum number of running" in r.getMessage()]
