"""Process updates of different founders concurrently, and each founder's strictly in order.

Fairness: a founder's place in line is taken *before* a processing slot. PTB's
:class:`BaseUpdateProcessor` holds its own semaphore around :meth:`do_process_update`; it is
set far above anything reached here, and the real limit (``max_concurrent_updates``) is our
own semaphore, acquired only once the founder's previous update is done. So a founder who
floods the bot holds at most one slot, and the others' updates never queue behind the flood.

A founder's backlog (updates received and not yet handled) is bounded by ``backlog``: an
update over the bound is not handled (it is marked handled in the ledger, so a restart does
not replay it), and ``on_overflow`` is told once per flood so the founder can be asked to
wait. Updates below the bound are handled in order, exactly once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.storage.locks import LocalLocks, Locks

log = logging.getLogger(__name__)

BACKLOG = 20  # a founder's updates waiting or running at once; later ones are turned away
UNBOUNDED = 1 << 30  # PTB's own semaphore: never the limit (see the module docstring)


class PerFounderProcessor(BaseUpdateProcessor):
    """One queue per founder, then a shared pool of slots for founders whose turn it is.

    PTB starts update tasks in arrival order and asyncio locks wake waiters first come,
    first served, so one founder's updates are handled in the order Telegram sent them.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        backlog: int = BACKLOG,
        on_handled: Callable[[object], None] | None = None,
        on_overflow: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__(UNBOUNDED)
        self.slots = max_concurrent_updates
        self.backlog = backlog
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._on_handled = on_handled
        self.on_overflow = on_overflow
        self.locks: Locks = LocalLocks()  # the Application's (``post_init`` may set it)
        self._overflowing: set[int] = set()  # founders told to slow down (until drained)
        self._queued: dict[int, int] = {}  # founder -> updates admitted and not yet handled
        self._refused: set[int] = set()

    def admit(self, update: object) -> bool:
        """Whether an arriving update fits its founder's backlog (False: it is turned away).

        Called by the update queue before it stores the update, so a flood past the bound
        costs neither a ledger write nor a turn. A refusal is final; an admitted update is
        checked again when its task starts (the bound is exact there).
        """
        key = founder_key(update)
        if not isinstance(update, Update) or not key:
            return True
        if update.update_id in self._refused or self._queued.get(key, 0) >= self.backlog:
            self._refused.add(update.update_id)
            return False
        return True

    def screen(self, items: Sequence[object], *, keep_last: bool = True) -> list[object]:
        """Leave out, before python-telegram-bot parses them, updates a flood put past
        their founder's backlog (issue #14: each parsed, queued and turned away cost
        about a millisecond of the loop the other founders' turns share).

        ``items`` are updates' JSON as Telegram sent them (a getUpdates result, a
        webhook's body). Per founder, those that fit the backlog are kept; past it, one
        is kept while the founder has not been told, to be turned away with the notice,
        and the rest are left out, never stored, as a turned-away update is not.
        ``keep_last``: keep a getUpdates result's last update whatever it is (turned away
        if past the backlog), for the Updater to confirm the whole batch with its id. An
        update whose founder cannot be read from its JSON is kept, for :meth:`admit`.
        """
        kept: list[object] = []
        counted: dict[int, int] = {}
        telling: set[int] = set()  # founders whose notice an update kept here will bring
        for position, item in enumerate(items):
            key = raw_founder_key(item)
            if not key:
                kept.append(item)
                continue
            seen = counted[key] = counted.get(key, self._queued.get(key, 0)) + 1
            if seen <= self.backlog:
                kept.append(item)
                continue
            last = keep_last and position == len(items) - 1
            tell = key not in self._overflowing and key not in telling
            if last or tell:
                # kept, and turned away for sure (the count here is a lower bound)
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if isinstance(update_id, int):
                    self._refused.add(update_id)
                kept.append(item)
                telling.add(key)
        return kept

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the founder's turn, then a free slot; run the handler; report it handled."""
        key = founder_key(update)
        if not self.admit(update):
            self._turn_away(key, update, coroutine)
            return
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with self.founder(key):
                try:
                    async with self._slots:
                        await coroutine
                finally:
                    if self._on_handled is not None:
                        self._on_handled(update)
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key]
                self._overflowing.discard(key)

    def _turn_away(self, key: int, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update):
            self._refused.discard(update.update_id)
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never run: no "was never awaited" warning
        if self._on_handled is not None:
            self._on_handled(update)
        if key not in self._overflowing:  # once per flood in the log and to the founder
            update_id = update.update_id if isinstance(update, Update) else None
            log.warning(
                "a founder has %d updates waiting: update %s and later ones are turned away",
                self.backlog, update_id,
            )  # fmt: skip
            self._overflowing.add(key)
            if self.on_overflow is not None:
                self.on_overflow(update)

    def founder(self, key: int) -> AbstractAsyncContextManager[None]:
        """Hold a founder's place: their turns, and anything else sent to them, one at a time.

        The founder lock of :mod:`bot.storage.locks`, which check-ins take too.
        """
        return self.locks.founder(key)

    def waiting(self, key: int) -> int:
        """How many updates of this founder are admitted and not yet handled."""
        return self._queued.get(key, 0)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def raw_founder_key(item: object) -> int:
    """:func:`founder_key` of an update's JSON, unparsed (0 when it cannot be read).

    The sender of its message or callback query (``from``), else the chat it is in.
    """
    if not isinstance(item, dict):
        return 0
    for name in ("message", "callback_query"):  # the updates the bot asks for
        body = item.get(name)
        if isinstance(body, dict):
            sender = body.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
            chat = body.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
            return 0
    return 0


def founder_key(update: object) -> int:
    """The founder an update belongs to (0 when it has none)."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0
