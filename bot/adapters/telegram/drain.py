"""The ledger-ordered drain: one founder's updates in ``update_id`` order, across workers.

Several workers share one webhook behind a load balancer, and Telegram sends a chat's next
update as soon as the previous one got its 200, so update k+1 can reach another worker
while k is still being handled. Each worker therefore handles no update of its own choosing:
it stores the update in the ledger (committed before the 200), then takes the founder's
lock and handles that founder's **oldest** unfinished ledger row, its replies sent before
the row is marked finished, and loops until none is left. The worker that stored k+1 waits
for the lock, then finds k+1 (or nothing, if the first worker's loop took it already).

A worker that dies frees its locks with its database session; its unfinished rows are found
by the recovery :meth:`LedgerDrain.sweep` of any worker (every second, rows older than
``recover_after``). A database that goes away (a PostgreSQL restart) takes the founder locks
with it: the drain then stops after the row in hand, leaving the founder's later rows to a
drain with a fresh lock. That row is finished only if the founder heard back: a turn that
failed is recorded as handled before they are asked to try again (:meth:`LedgerDrain.settle`),
and a row whose handling failed otherwise stays unfinished, for the sweep to handle once
the database answers again. A row whose turn was committed but whose replies were not sent is
handled as a replay: the Coach finds its answer already stored and asks the current
question again (``resume_if_done``). The single-process replay at start-up does not run in
this mode: it would replay other workers' updates.

This is the PostgreSQL mode's processor (with advisory locks); the SQLite default keeps
:class:`~bot.adapters.telegram.processor.PerFounderProcessor`. The same code runs on SQLite
with asyncio locks, which is how the test suite checks the ordering.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from bot.adapters.telegram.processor import UNBOUNDED, founder_key
from bot.clock import Clock
from bot.errors import StorageError
from bot.storage import Database, inbox, ledger
from bot.storage.locks import LocalLocks, Locks

log = logging.getLogger(__name__)

RECOVER_AFTER = timedelta(seconds=2)  # an unfinished row this old has lost its worker
SWEEP_EVERY = timedelta(seconds=1)
STOP_GRACE_SECONDS = 10.0
# A founder's unfinished updates past this many are turned away. Looser than one process's
# 20: Telegram posts a chat's next update once the last got its 200, which here means once
# it is stored, not handled, so a quick typist's updates pile up in the ledger (50 in a
# row must all be answered, issue #15); a flood of hundreds is still cut short.
DRAIN_BACKLOG = 100
# A failed turn's record waits this long for the database (a restart takes seconds);
# after that the founder is told nothing and the sweep handles the row again later.
SETTLE_WITHIN = 120.0
# Tried this often: the sweeps of other workers (every second) may take the row first once
# the database is back, as its lock went with the database; the founder then gets their
# answer taken instead of "try again", which is as good.
SETTLE_EVERY = 0.2

Handle = Callable[[Update], Awaitable[None]]


class LedgerDrain:
    """Drains founders' unfinished ledger rows under their founder locks."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        locks: Locks,
        bot: Bot,
        handle: Handle,
        *,
        slots: int = 64,
        recover_after: timedelta = RECOVER_AFTER,
        backlog: int = DRAIN_BACKLOG,
        on_overflow: Callable[[Update], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.locks = locks
        self.bot = bot
        self.handle = handle
        self.recover_after = recover_after
        self._slots = asyncio.Semaphore(slots)  # handlers running at once, all founders
        self._draining: set[int] = set()  # founders this worker drains or waits to drain
        self._again: set[int] = set()  # founders whose updates arrived during their drain
        self._tasks: set[asyncio.Task[int]] = set()  # drains the sweep started
        self._stopping = False
        # A founder's unfinished updates past the oldest ``backlog`` are turned away, as
        # the single process does, and ``on_overflow`` tells them once per flood.
        self.backlog = backlog
        self.on_overflow = on_overflow
        self._told: set[int] = set()  # founders told to slow down (until drained)
        # rows whose handling met an unavailable database: settled (their founder was
        # asked to try again) or failed (left unfinished); either way the drain stops
        self._settled: set[int] = set()
        self._failed: set[int] = set()
        self._broken: set[int] = set()  # founders whose drain stopped early
        self._handling: set[int] = set()  # rows whose handler runs now

    async def drain(self, founder: int) -> int:
        """Handle this founder's unfinished rows, oldest first; return how many.

        One drain per founder per worker: an update arriving while this worker drains (or
        waits to drain) its founder is left to that drain, which looks again before it lets
        the lock go. So a founder's flood holds one lock request (one PostgreSQL
        connection), not one per update.
        """
        if founder in self._draining:
            self._again.add(founder)  # the running drain reads once more before it stops
            return 0
        self._draining.add(founder)
        handled = 0
        try:
            while True:
                async with self.locks.founder(founder):
                    while True:
                        self._again.discard(founder)
                        done, let_go = await self._drain_locked(founder)
                        handled += done
                        if founder in self._broken:  # the lock may have gone with the database
                            return handled
                        if let_go or founder not in self._again or self._stopping:
                            break
                # Letting a PostgreSQL lock go is a round trip: an update that arrived
                # meanwhile was left to this drain, so look once more (nothing awaits
                # between this check and leaving ``_draining``). A drain that let its
                # turn go for others (``_drain_locked``) queues again here too.
                if founder not in self._again or self._stopping:
                    return handled
        finally:
            self._draining.discard(founder)
            self._again.discard(founder)
            self._broken.discard(founder)

    async def _drain_locked(self, founder: int) -> tuple[int, bool]:
        """Handle the founder's rows oldest first until none is left; how many, and whether
        this turn ended early. It does when other founders wait for a turn at the locks:
        this drain then lets the lock go between two rows and queues again (``_again``), so
        a founder who keeps typing does not keep a lock connection from everyone else.
        Order holds: whoever holds the lock next takes the oldest row."""
        handled = 0
        while not self._stopping:
            async with self.db.reading() as conn:
                rows = await ledger.first_unfinished(conn, founder, 2)
            if not rows:
                self._told.discard(founder)
                break
            if handled and self.locks.others_waiting():
                self._again.add(founder)
                return handled, True
            update_id, payload = rows[0]
            update = self._parse(update_id, payload)
            if len(rows) > 1:  # a backlog: bound it (an ordinary turn skips this write)
                await self._bound(founder, update)
            if update is not None:
                self._handling.add(update_id)
                try:
                    async with self._slots:
                        await self.handle(update)  # commits the turn and sends its replies
                except Exception:  # a broken update must not hold the founder's others back
                    log.exception("update %s failed; marked handled", update_id)
                finally:
                    self._handling.discard(update_id)
            if update_id in self._failed:  # the founder heard nothing: handled again later
                self._failed.discard(update_id)
                log.warning("update %s left for the sweep: the database was unavailable",
                            update_id)  # fmt: skip
                self._broken.add(founder)
                return handled, False
            if not await self._finish(update_id):  # the lock may have gone with the database
                self._broken.add(founder)
                return handled + 1, False
            handled += 1
            if update_id in self._settled:  # the lock may have gone with the database
                self._settled.discard(update_id)
                self._broken.add(founder)
                return handled, False
        return handled, False

    async def _bound(self, founder: int, update: Update | None) -> None:
        """Turn away the founder's updates past the oldest ``backlog``; tell them once.
        Best effort: with the database away the turn itself finds out and says so."""
        try:
            async with self.db.transaction() as conn:
                dropped = await ledger.turn_away_beyond(
                    conn, founder, self.backlog, self.clock.now()
                )
        except StorageError:
            return
        if not dropped:
            return
        log.warning("a founder sent more than %d updates at once: %d turned away",
                    self.backlog, dropped)  # fmt: skip
        if founder not in self._told and update is not None and self.on_overflow is not None:
            self._told.add(founder)
            self.on_overflow(update)

    async def _finish(self, update_id: int) -> bool:
        """Mark the row handled: its replies went out. The database away (a restart): try
        again until it answers (up to :data:`SETTLE_WITHIN`), so that a sweep does not
        handle the row again and ask the founder the current question once more. False if
        it had to wait (the founder lock may have gone with the database)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_WITHIN
        waited = False
        while True:
            try:
                async with self.db.transaction() as conn:
                    await ledger.finish_now(conn, update_id, self.clock.now())
            except StorageError:
                if self._stopping or loop.time() > deadline:
                    raise
                waited = True
                await asyncio.sleep(SETTLE_EVERY)
                continue
            return not waited

    def unavailable(self, update_id: int) -> None:
        """The error handler: handling this update met an unavailable database and nobody
        told the founder, so its row stays unfinished (the sweep handles it again).
        Errors of the drain itself (reported with the update that started it) are not
        its handler's: only an update being handled now is noted."""
        if update_id in self._handling:
            self._failed.add(update_id)

    async def settle(self, once: str) -> bool:
        """A turn failed for want of the database: record its update as handled (``once``,
        and its ledger row finished), waiting for the database to answer again; True if
        this worker did, so the founder is asked to try again. False: another worker's turn
        took it meanwhile (its lock went with the database), and sent the replies.

        Recorded first, so a worker that drains the founder later never applies the
        update the founder was told to send again. The database still away after
        :data:`SETTLE_WITHIN`: StorageError, the founder is told nothing, the row stays.
        """
        update_id = int(once.removeprefix("tg:"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_WITHIN
        while True:
            try:
                async with self.db.transaction() as conn:
                    mine = await inbox.claim(conn, once, self.clock.now())
                    if mine:
                        await ledger.finish_now(conn, update_id, self.clock.now())
            except StorageError:
                if self._stopping or loop.time() > deadline:
                    raise
                await asyncio.sleep(SETTLE_EVERY)
                continue
            self._settled.add(update_id)
            if mine:
                log.warning("update %s: its turn failed; the founder is asked to try again",
                            update_id)  # fmt: skip
            else:
                log.warning("update %s: its turn failed, and another worker took it since",
                            update_id)  # fmt: skip
            return mine

    def _parse(self, update_id: int, payload: str) -> Update | None:
        try:
            return Update.de_json(json.loads(payload), self.bot)
        except (ValueError, TypeError, KeyError):
            log.error("stored update %s cannot be read; skipped", update_id)
            return None

    async def sweep(self) -> int:
        """Every second: drain founders whose rows waited past ``recover_after``.

        Their worker died (its locks went with its session) or its drain stopped on an
        error. A founder this worker is draining already is left to that drain.
        """
        if self._stopping:
            return 0
        cutoff = self.clock.now() - self.recover_after
        try:
            await self._adopt()
            async with self.db.reading() as conn:
                founders = await ledger.waiting_founders(conn, cutoff)
        except StorageError as exc:
            log.warning("the ledger sweep could not read the ledger: %s", exc)
            return 0
        started = 0
        for founder in founders:
            if founder in self._draining:
                continue
            task = asyncio.create_task(self._recover(founder), name=f"ledger:recover:{founder}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        if started:
            log.warning("recovering unfinished updates of %d founder(s)", started)
        return started

    async def _adopt(self) -> None:
        """Give rows stored without a founder (before several workers; copied by ``db
        copy``) their founder, read from the update itself, so the sweep drains them in
        order with that founder's others. A row that cannot be read goes to founder 0,
        whose drain marks it handled."""
        async with self.db.reading() as conn:
            orphans = await ledger.without_founder(conn)
        if not orphans:
            return
        async with self.db.transaction() as conn:
            for update_id, payload in orphans:
                update = self._parse(update_id, payload)
                await ledger.assign(conn, update_id, founder_key(update) if update else 0)
        log.warning("gave %d stored update(s) without a founder their founder", len(orphans))

    async def _recover(self, founder: int) -> int:
        try:
            return await self.drain(founder)
        except Exception as exc:  # the next sweep tries again (a lock pool's own errors too)
            log.warning("recovering a founder's updates failed: %s", type(exc).__name__)
            return 0

    def draining(self, founder: int) -> bool:
        """Whether this worker is draining (or waiting to drain) the founder now."""
        return founder in self._draining

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop taking rows; let the sweep's drains finish the row in hand (up to ``grace``)."""
        self._stopping = True
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()


class DrainProcessor(BaseUpdateProcessor):
    """PTB's update processor in the several-workers mode: an arriving update only starts
    its founder's drain (see the module docstring); the drain picks what to handle."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        on_handled: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__(UNBOUNDED)
        self.locks: Locks = LocalLocks()  # the Application's (``post_init`` sets it)
        self.slots = max_concurrent_updates
        self.drain: LedgerDrain | None = None  # set once the database is open (post_init)
        self._on_handled = on_handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Drain the update's founder; an update without a founder is handled as it is."""
        key = founder_key(update)
        if self.drain is None or not key:
            try:
                await coroutine
            finally:
                if self._on_handled is not None:  # its ledger row is marked as in one process
                    self._on_handled(update)
            return
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # the drain handles the founder's oldest row, maybe not this
        await self.drain.drain(key)

    def founder(self, key: int) -> AbstractAsyncContextManager[None]:
        """The founder's lock, for whatever else is sent to them (the outbox, check-ins)."""
        return self.locks.founder(key)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down (the drain is stopped in ``post_shutdown``)."""
