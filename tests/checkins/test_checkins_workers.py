"""Check-ins with several workers: claimed once by a tick, settled by a lease, upkeep by one.

Two check-in services on two connections to one SQLite file play two workers (on
PostgreSQL the claim adds ``FOR UPDATE SKIP LOCKED``; here SQLite's write lock serialises
the claims, and the claim-once logic is the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.checkins.planner import QuietHours
from bot.checkins.scheduler import CATCH_UP, SWEEP, CheckinScheduler
from bot.checkins.service import CheckinService, Policy
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database, checkins
from bot.storage.locks import LocalLocks, Locks
from tests.checkins.conftest import Outbox
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
