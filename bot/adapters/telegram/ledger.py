"""The update queue, backed by the database: no update is lost to a crash.

python-telegram-bot's Updater puts every fetched update into ``Application.update_queue``
and only then confirms the batch to Telegram (the next ``getUpdates`` offset); the webhook
handler answers 200 only after the same ``put``. :class:`LedgerQueue` is that queue: its
``put`` commits the update to the ``update_ledger`` table first. So an update Telegram
considers delivered is always in our database. At start-up :meth:`LedgerQueue.replay` puts
back every stored update that was not handled before the process died, oldest first, and
updates Telegram delivers again are dropped. Handling is still exactly once: the Coach
records each update id in the same transaction as the answer it carries (``inbox``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, Update

from bot.adapters.telegram.processor import founder_key, raw_founder_key
from bot.clock import Clock
from bot.errors import StorageError
from bot.storage import Database, inbox, ledger

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(days=2)  # Telegram keeps an unconfirmed update for a day
# Handled marks ride with the next update's store; written alone only after this lull.
# Marks not yet written when the process dies only mean those updates are replayed (and
# found already answered: the founder is asked the current question again).
FLUSH_AFTER = 0.2  # seconds
RAW_KEPT = 1000  # updates' JSON kept from arrival to store (a getUpdates batch is ≤ 100)


class LedgerQueue(asyncio.Queue[object]):
    """``Application.update_queue`` that stores each update before accepting it."""

    def __init__(self, *, drained: bool = False) -> None:
        super().__init__()
        # several workers: updates are handled by the ledger-ordered drain, not replayed here
        self.drained = drained
        self._db: Database | None = None
        self._clock: Clock | None = None
        self.replayed: set[int] = set()
        self._handled: list[int] = []
        self._flushing: asyncio.Task[None] | None = None
        self._draining = asyncio.Event()
        # the processor's backlog bound: an update it turns away is queued but not stored
        self.admit: Callable[[object], bool] | None = None
        self._raw: OrderedDict[int, dict[str, Any]] = OrderedDict()
        # the processor's screen: updates past their founder's backlog, left out unparsed
        self.screen: Callable[..., list[object]] | None = None
        # the last getUpdates result's ids not stored yet: stored together at the first put
        self._batch: list[int] = []
        # what storing them together found, for their own puts: new (True) or known (False)
        self._early: OrderedDict[int, bool] = OrderedDict()

    def note_raw(self, items: list[object], *, batch: bool = True) -> list[object]:
        """Keep updates' JSON as Telegram sent it (getUpdates' result, a webhook's body);
        return those to parse and queue (a flood's updates past its founder's backlog are
        left out first, see :meth:`PerFounderProcessor.screen`; ``batch``: a getUpdates
        result, whose last update is always kept for its id to confirm the batch).

        The ledger stores that JSON instead of rebuilding it with PTB's ``to_dict``, which
        took about a tenth of an update's CPU (issue #14). PTB's ``de_json`` never alters
        its input. An update whose JSON was not kept is stored from ``to_dict`` as before.
        """
        if self.screen is not None:
            items = self.screen(items, keep_last=batch)
        noted = []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("update_id"), int):
                self._raw[item["update_id"]] = item
                noted.append(item["update_id"])
        while len(self._raw) > RAW_KEPT:
            self._raw.popitem(last=False)
        if batch:
            self._batch = noted
        return items

    async def attach(self, db: Database, clock: Clock, bot: Bot) -> int:
        """Start storing into ``db``; queue the updates a crash left unhandled.

        Returns how many were replayed. Called before polling (or the webhook) starts.
        """
        self._db, self._clock = db, clock
        if self.drained:  # the drain's sweep takes them (they may be another worker's)
            return 0
        async with db.reading() as conn:
            stored = await ledger.unfinished(conn)
        replayed = 0
        for update_id, payload in stored:
            try:
                update = Update.de_json(json.loads(payload), bot)
            except (ValueError, TypeError, KeyError):
                log.error("stored update %s cannot be read; skipped", update_id)
                self._handled.append(update_id)
                continue
            self.replayed.add(update_id)
            await super().put(update)
            replayed += 1
        if stored:
            log.warning("replaying %d update(s) left unhandled by the last run", replayed)
            await self._flush()
        return replayed

    async def put(self, item: object) -> None:
        """Commit an update to the ledger, then queue it; drop one that is already known.

        An update over its founder's backlog is queued unstored and turned away (with a
        notice) when its turn comes. An update the ledger cannot store for any reason but an
        unusable database (a lone surrogate in its text or a name, which SQLite cannot
        encode; an integrity error) is a *poison* update: it is recorded as failed and
        skipped. Nothing escapes into python-telegram-bot's polling loop (which would stop
        for good) or the webhook handler, and Telegram is told it arrived, so it is not
        fetched again. Except with several workers (``drained``): an unusable database
        raises :class:`StorageError`, for the webhook to answer 503 and Telegram to deliver
        the update again.
        """
        if self.admit is not None and not self.admit(item):  # over its founder's backlog
            if isinstance(item, Update):
                self._raw.pop(item.update_id, None)
                self._early.pop(item.update_id, None)  # stored with its batch: finished when
            await super().put(item)  # turned away (with a notice) when its turn comes
            return
        if isinstance(item, Update):
            stored = await self._store(item)
            if stored is None:
                return
            if not stored:
                log.info("update %s was delivered again; dropped", item.update_id)
                return
        await super().put(item)

    async def _store(self, update: Update) -> bool | None:
        """True: stored (or to be handled anyway); False: known already; None: poison."""
        if self._db is None or self._clock is None:
            raise RuntimeError("the update ledger is not attached to a database yet")
        try:
            early = self._early.pop(update.update_id, None)
            if early is None and update.update_id in self._batch:
                early = await self._store_batch(update.update_id)
            if early is not None:
                return early
            raw = self._raw.pop(update.update_id, None)
            data = raw if raw is not None else update.to_dict()
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            done, self._handled = self._handled, []
            try:
                async with self._db.transaction() as conn:
                    return await ledger.store(
                        conn, update.update_id, payload, self._clock.now(), finish=done,
                        founder=founder_key(update) or None,
                    )  # fmt: skip
            except BaseException:
                self._handled[:0] = done  # not written: they go with the next write
                raise
        except StorageError as exc:
            if self.drained:
                # Several workers handle only what the ledger holds: "handling it anyway"
                # would answer 200 for an update no worker will ever see. Refused instead
                # (the webhook answers 503), Telegram delivers it again later.
                log.error("update %s could not be stored (%s); refused", update.update_id, exc)
                raise
            # Handling needs the same database: it will fail too and tell the founder to
            # try again later, which is better than holding every founder's updates back.
            log.error(
                "update %s could not be stored (%s); handling it anyway", update.update_id, exc
            )
            return True
        except Exception as exc:  # the update itself cannot be stored: never its content
            reason = type(exc).__name__
            log.error("update %s cannot be stored (%s); recorded as failed and skipped",
                      update.update_id, reason)  # fmt: skip
            try:
                async with self._db.transaction() as conn:
                    await ledger.fail(conn, update.update_id, reason, self._clock.now())
            except Exception as again:
                log.error("update %s: not even its failure could be recorded (%s)",
                          update.update_id, type(again).__name__)  # fmt: skip
            return None

    async def _store_batch(self, first: int) -> bool | None:
        """Store the rest of a getUpdates result with its first update, in one transaction.

        python-telegram-bot puts a batch's updates one after the other, each put waiting
        for its store; one store each kept the next getUpdates waiting about 8 ms an
        update, and every update that arrived meanwhile waited too (issue #14: the p99 at
        100 updates a second). The others' outcomes wait here for their own puts. Returns
        the first update's outcome, or None to store it alone: an update of the batch
        could not be stored (a poison update), so each is stored alone and the poison one
        is recorded as failed by itself. An unusable database raises as a single store
        does.
        """
        assert self._db is not None
        assert self._clock is not None
        ids, self._batch = self._batch, []
        rows = []
        for update_id in ids:
            raw = self._raw.get(update_id)
            if raw is None:
                continue
            payload = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
            rows.append((update_id, payload, raw_founder_key(raw) or None))
        if len(rows) < 2 or all(update_id != first for update_id, _, _ in rows):
            return None
        done, self._handled = self._handled, []
        try:
            async with self._db.transaction() as conn:
                new = await ledger.store_many(conn, rows, self._clock.now(), finish=done)
        except StorageError:
            self._handled[:0] = done
            raise
        except Exception as exc:  # one of them cannot be stored: each alone, as before
            self._handled[:0] = done
            log.info("a batch of %d updates could not be stored together (%s); one by one",
                     len(rows), type(exc).__name__)  # fmt: skip
            return None
        for update_id, _, _ in rows:
            self._raw.pop(update_id, None)
            self._early[update_id] = update_id in new
        while len(self._early) > RAW_KEPT:
            self._early.popitem(last=False)
        return self._early.pop(first)

    def handled(self, update: object) -> None:
        """Note that an update's handler finished; written in batches, off the hot path.

        The marks go with the next update's store (no transaction of their own), or alone
        after a lull of :data:`FLUSH_AFTER`. If the process dies before they are written,
        those updates are replayed: the Coach sees it already has their answers and asks
        the current question again.
        """
        if not isinstance(update, Update):
            return
        self._handled.append(update.update_id)
        self.replayed.discard(update.update_id)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_soon(), name="ledger:flush")

    async def _flush_soon(self) -> None:
        with contextlib.suppress(TimeoutError):  # drain() does not wait for the lull
            await asyncio.wait_for(self._draining.wait(), FLUSH_AFTER)
        await self._flush()

    async def _flush(self) -> None:
        while self._handled and self._db is not None and self._clock is not None:
            batch, self._handled = self._handled, []
            try:
                async with self._db.transaction() as conn:
                    await ledger.finish(conn, batch, self._clock.now())
            except StorageError as exc:
                log.warning("could not mark %d update(s) handled: %s", len(batch), exc)
                return

    async def drain(self) -> None:
        """Write the last handled marks (at shutdown)."""
        self._draining.set()
        if self._flushing is not None:
            await self._flushing
        await self._flush()

    async def forget_old(self) -> int:
        """Drop handled updates and exactly-once records past re-delivery, batch by batch.

        Runs in the background (hourly): a week of them takes seconds to delete, which a
        start-up should not wait for, and each batch lets founders' turns in between.
        """
        if self._db is None or self._clock is None:
            return 0
        cutoff = self._clock.now() - KEEP_HANDLED
        dropped = 0
        for forget in (ledger.forget_before, inbox.forget_before):
            while True:
                async with self._db.transaction() as conn:
                    batch = await forget(conn, cutoff)
                dropped += batch
                if batch == 0:
                    break
                await asyncio.sleep(0)
        if dropped:
            log.info("forgot %d handled update record(s) older than %s", dropped, KEEP_HANDLED)
        return dropped

    def is_replay(self, update: Any) -> bool:
        """Whether this update came from the ledger after a restart.

        Drained (several workers): any row may have been committed by a worker that died
        before sending its replies, so each is handled as a possible replay (the Coach then
        asks the current question again instead of saying nothing).
        """
        if not isinstance(update, Update):
            return False
        return self.drained or update.update_id in self.replayed
