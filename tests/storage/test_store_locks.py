"""Founder locks and maintenance try-locks (SQLite mode: asyncio locks, one process)."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from bot.storage import Database
from bot.storage.locks import FOUNDER, TASK, AdvisoryLocks, LocalLocks, advisory_key, locks_for


async def test_one_founder_runs_one_block_at_a_time_in_arrival_order() -> None:
    """Three blocks for one founder, the first slowest: they never overlap and keep order."""
    locks = LocalLocks()
    inside: list[int] = []
    order: list[int] = []

    async def block(index: int, delay: float) -> None:
        async with locks.founder(7):
            inside.append(index)
            assert len(inside) == 1, f"two blocks of one founder at once: {inside}"
            await asyncio.sleep(delay)
            order.append(index)
            inside.remove(index)

    await asyncio.gather(*(block(i, d) for i, d in enumerate([0.03, 0.01, 0.0])))
    assert order == [0, 1, 2]


async def test_different_founders_do_not_wait_for_each_other() -> None:
    locks = LocalLocks()
    other_done = asyncio.Event()

    async def first() -> None:
        async with locks.founder("1"):
            await asyncio.wait_for(other_done.wait(), timeout=2)

    async def second() -> None:
        async with locks.founder("2"):
            other_done.set()

    await asyncio.gather(first(), second())


async def test_a_founders_lock_is_forgotten_when_nobody_holds_or_waits() -> None:
    locks = LocalLocks()
    async with locks.founder(1):
        assert locks.held() == 1
    assert locks.held() == 0
    # an int and its text are the same founder (Telegram ids arrive as both)
    async with locks.founder(5):
        waiter = asyncio.create_task(_hold(locks, "5"))
        await asyncio.sleep(0.01)
        assert not waiter.done()
    await waiter
    assert locks.held() == 0


async def _hold(locks: LocalLocks, key: str) -> None:
    async with locks.founder(key):
        pass


async def test_try_lock_is_granted_in_one_process() -> None:
    async with LocalLocks().try_lock("checkins:sweep") as granted:
        assert granted


async def test_each_database_gets_the_locks_that_fit_it(db: Database) -> None:
    expected = AdvisoryLocks if db.backend == "postgresql" else LocalLocks
    assert isinstance(locks_for(db), expected)


async def test_advisory_locks_on_a_real_server_exclude_and_try(db: Database) -> None:
    """Two workers' locks on one PostgreSQL: a founder's lock waits, a try-lock is refused."""
    if db.backend != "postgresql":
        return  # one process: LocalLocks, tested above
    first, second = locks_for(db), locks_for(db)
    order: list[str] = []
    inside = asyncio.Event()

    async def hold() -> None:
        async with first.founder("telegram:7"):
            inside.set()
            await asyncio.sleep(0.2)
            order.append("first out")

    async def wait() -> None:
        await inside.wait()
        async with second.founder("telegram:7"):
            order.append("second in")

    await asyncio.gather(hold(), wait())
    assert order == ["first out", "second in"]
    async with (
        first.try_lock("checkins:sweep") as granted,
        second.try_lock("checkins:sweep") as also,
    ):
        assert (granted, also) == (True, False)
    async with second.try_lock("checkins:sweep") as granted_after:
        assert granted_after


@given(st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.text(max_size=40)))
def test_advisory_keys_fit_bigint_and_are_stable(name: int | str) -> None:
    key = advisory_key(FOUNDER, name)
    assert -(2**63) <= key < 2**63
    assert key == advisory_key(FOUNDER, name)
    assert key == advisory_key(FOUNDER, str(name))  # an id as int or text: one founder


def test_advisory_keys_are_namespaced() -> None:
    assert advisory_key(FOUNDER, "sweep") != advisory_key(TASK, "sweep")
    # fixed values: every worker, every Python version computes the same key
    assert advisory_key(FOUNDER, 42) == advisory_key(FOUNDER, "42")
    assert advisory_key(FOUNDER, 42) == 7962271630708462048


class _Session:
    """Records the statements the advisory locks send (PostgreSQL itself: wt-pg's fixture)."""

    def __init__(self, log: list[str], granted: bool) -> None:
        self.log, self.granted = log, granted

    async def fetchval(self, query: str, *args: object) -> object:
        self.log.append(f"{query} {args}")
        return self.granted

    def transaction(self):  # type: ignore[no-untyped-def]
        log = self.log

        class _Tx:
            async def __aenter__(self) -> None:
                log.append("BEGIN")

            async def __aexit__(self, *exc: object) -> None:
                log.append("COMMIT")

        return _Tx()


class _Pool:
    def __init__(self, granted: bool = True) -> None:
        self.log: list[str] = []
        self.granted = granted

    def acquire(self):  # type: ignore[no-untyped-def]
        pool = self

        class _Acquire:
            async def __aenter__(self) -> _Session:
                pool.log.append("acquire")
                return _Session(pool.log, pool.granted)

            async def __aexit__(self, *exc: object) -> None:
                pool.log.append("release")

        return _Acquire()


async def test_advisory_founder_lock_is_taken_and_released_on_one_session() -> None:
    """The SQL and its order (the lock itself is tested on a real PostgreSQL after the
    merge with the PostgreSQL backend)."""
    pool = _Pool()
    key = advisory_key(FOUNDER, 42)
    async with AdvisoryLocks(pool).founder(42):
        pool.log.append("work")
    assert pool.log == [
        "acquire",
        f"SELECT pg_advisory_lock($1) ({key},)",
        "work",
        f"SELECT pg_advisory_unlock($1) ({key},)",
        "release",
    ]


async def test_advisory_try_lock_holds_its_transaction_for_the_block() -> None:
    pool = _Pool(granted=False)
    async with AdvisoryLocks(pool).try_lock("sweep") as granted:
        pool.log.append(f"work {granted}")
    key = advisory_key(TASK, "sweep")
    assert pool.log == [
        "acquire", "BEGIN", f"SELECT pg_try_advisory_xact_lock($1) ({key},)", "work False",
        "COMMIT", "release",
    ]  # fmt: skip


async def test_more_founders_locked_at_once_than_the_work_pool_holds_still_get_their_turns(
    db: Database,
) -> None:
    """Each founder's lock holds a connection while their turn needs another: with locks
    and work on one pool, 15 founders at once on a pool of 10 waited for each other forever."""
    locks = locks_for(db)

    async def turn(founder: int) -> None:
        async with locks.founder(f"telegram:{founder}"), db.transaction() as conn:
            await conn.execute("SELECT 1")

    await asyncio.wait_for(asyncio.gather(*(turn(n) for n in range(15))), timeout=60)


async def test_advisory_founders_take_turns_for_the_connections_first_come_first_served() -> None:
    """With every lock connection in use, founders get one in the order they asked, and a
    holder sees that others wait (so a drain lets its turn go between two updates). The
    pool alone let a newcomer take a connection just freed ahead of those who waited."""
    locks = AdvisoryLocks(_Pool(), connections=1)
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.founder("first"):
            order.append("first")
            await release.wait()

    async def waiter(name: str) -> None:
        async with locks.founder(name):
            order.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    assert not locks.others_waiting()
    waiting = [asyncio.create_task(waiter(name)) for name in ("second", "third")]
    await asyncio.sleep(0)
    assert locks.others_waiting()
    release.set()
    await first
    late = asyncio.create_task(waiter("late"))  # asks after the two who waited
    await asyncio.gather(*waiting, late)
    assert order == ["first", "second", "third", "late"]
    assert not locks.others_waiting()
    assert not LocalLocks().others_waiting()  # one process: nobody waits for another's turn
