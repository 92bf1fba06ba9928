"""Founder locks and maintenance try-locks: one founder's changes, one at a time, anywhere.

Everything that changes a founder's conversation (a turn, firing a check-in, a reminder,
closing a check-in run, ``/delete_my_data``) runs inside ``async with
locks.founder(key)``, and takes no other founder's lock inside it, so there is nothing to
deadlock on. Periodic upkeep that one worker should do per tick (catch-up, reminders and
missed marks, ledger housekeeping, the command menu) runs inside ``async with
locks.try_lock(name) as granted`` and skips its work when ``granted`` is False.

Two implementations behind one interface (:class:`Locks`):

- :class:`LocalLocks` (SQLite, one process): an :class:`asyncio.Lock` per founder, forgotten
  when nobody holds or waits for it; every try-lock is granted (there is no other process).
- :class:`AdvisoryLocks` (PostgreSQL, several workers): ``pg_advisory_lock`` held on a
  connection of its own for the duration (the session dies with a killed worker and its
  locks with it), and ``pg_try_advisory_xact_lock`` inside a transaction kept open while the
  upkeep runs.

Waiters are served first come, first served in both: asyncio locks wake in order, and
PostgreSQL grants a contended advisory lock in the order it was asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")

FOUNDER = "founder"  # the namespace of founder keys (see advisory_key)
TASK = "task"  # the namespace of maintenance names


def advisory_key(namespace: str, name: str | int) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks.

    The same on every worker and every Python (not ``hash()``, which is salted per process),
    and namespaced so a founder never shares a key with a maintenance task by design.
    """
    digest = hashlib.blake2b(f"{namespace}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Locks(Protocol):
    """What the coach, check-ins and the update drain hold: a founder's lock, a try-lock."""

    def founder(self, key: str | int) -> AbstractAsyncContextManager[None]:
        """Hold this founder's lock (waiting for it) for the block."""
        ...

    def try_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the named maintenance lock for the block if nobody else does (no waiting)."""
        ...

    def others_waiting(self) -> bool:
        """Whether other founders wait for a turn at the locks (a holder should let go
        between two updates, rather than keep its turn while its founder keeps typing)."""
        ...


class LocalLocks:
    """One process: asyncio locks, freed when unused; try-locks always granted."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def founder(self, key: str | int) -> AsyncIterator[None]:
        """Wait for the founder's lock, hold it for the block, forget it if nobody waits."""
        name = str(key)
        lock = self._locks.setdefault(name, asyncio.Lock())
        self._users[name] = self._users.get(name, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[name] -= 1
            if not self._users[name]:  # nobody else holds or waits: forget the lock
                del self._users[name]
                del self._locks[name]

    def held(self) -> int:
        """How many founders' locks are held or waited for now (the others are freed)."""
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def try_lock(self, name: str) -> AsyncIterator[bool]:
        """Granted: one process is the only worker (SQLite's deployment)."""
        yield True

    def others_waiting(self) -> bool:
        """Never: each founder's lock is its own, so nobody waits for another's turn."""
        return False


class AdvisorySession(Protocol):
    """The part of an asyncpg connection the advisory locks use."""

    async def fetchval(self, query: str, *args: Any) -> Any:
        """Run ``query`` and return the first column of its first row."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """A transaction, committed when the block ends."""
        ...


class AdvisoryPool(Protocol):
    """The part of an asyncpg pool the advisory locks use."""

    def acquire(self) -> AbstractAsyncContextManager[AdvisorySession]:
        """A connection of the pool's for the block."""
        ...


class AdvisoryLocks:
    """Several workers on one PostgreSQL: session advisory locks for founders, transaction
    advisory try-locks for upkeep.

    A founder's lock is held on a connection taken from ``pool`` for the whole block, and
    released on that same connection (a session lock belongs to its session). Should the
    unlock fail, the pool's reset on release (asyncpg runs ``pg_advisory_unlock_all()``)
    still frees it; a worker that dies frees it with its session.
    """

    def __init__(self, pool: AdvisoryPool, *, connections: int = 20) -> None:
        self.pool = pool
        # Founders take turns for the pool's ``connections`` first come, first served: the
        # pool itself lets a newcomer take a connection just freed ahead of one who waited,
        # and in a closed loop (a founder's next update follows each reply at once) some
        # founders then waited seconds behind others (bench/workers: p99 7 s against 1.4).
        self._turns = asyncio.Semaphore(connections)
        self._waiting = 0

    def others_waiting(self) -> bool:
        """Whether a founder waits for one of the connections held."""
        return self._waiting > 0

    @contextlib.asynccontextmanager
    async def founder(self, key: str | int) -> AsyncIterator[None]:
        """``pg_advisory_lock`` for the block, on a connection of its own."""
        lock_key = advisory_key(FOUNDER, key)
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            async with self.pool.acquire() as session:
                await session.fetchval("SELECT pg_advisory_lock($1)", lock_key)
                try:
                    yield
                finally:
                    try:
                        await session.fetchval("SELECT pg_advisory_unlock($1)", lock_key)
                    except Exception as exc:  # the pool's reset frees it on release
                        log.warning("founder lock not released explicitly: %s", type(exc).__name__)
        finally:
            self._turns.release()

    @contextlib.asynccontextmanager
    async def try_lock(self, name: str) -> AsyncIterator[bool]:
        """``pg_try_advisory_xact_lock`` in a transaction kept open for the block."""
        async with self.pool.acquire() as session, session.transaction():
            granted = bool(
                await session.fetchval(
                    "SELECT pg_try_advisory_xact_lock($1)", advisory_key(TASK, name)
                )
            )
            yield granted


def locks_for(db: object) -> Locks:
    """The locks that fit the database: advisory locks on PostgreSQL, asyncio locks on SQLite.

    A PostgreSQL :class:`~bot.storage.Database` says so by ``backend == "postgresql"`` and
    lends its asyncpg pool as ``pool``.
    """
    if getattr(db, "backend", "sqlite") == "postgresql":
        pool = db.pool  # type: ignore[attr-defined]
        return AdvisoryLocks(pool, connections=pool.get_max_size())
    return LocalLocks()


def exclusive(
    locks: Locks, name: str, work: Callable[[], Awaitable[_T]]
) -> Callable[[], Awaitable[_T | None]]:
    """``work`` run under the try-lock ``name``: skipped (None) while another worker runs it.

    For periodic upkeep: each worker's timer fires, one of them does the work.
    """

    async def run() -> _T | None:
        async with locks.try_lock(name) as granted:
            if not granted:
                log.debug("%s: another worker has it", name)
                return None
            return await work()

    return run
