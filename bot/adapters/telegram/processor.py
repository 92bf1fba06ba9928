"""Process updates of different founders concurrently, and each founder's strictly in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerFounderProcessor(BaseUpdateProcessor):
    """One lock per founder: their updates queue behind each other, others run alongside.

    PTB starts update tasks in arrival order and asyncio locks wake waiters first come,
    first served, so one founder's updates are handled in the order Telegram sent them.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        on_handled: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._on_handled = on_handled
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handler coroutine under the founder's lock, then report it handled."""
        key = _founder(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                try:
                    await coroutine
                finally:
                    if self._on_handled is not None:
                        self._on_handled(update)
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else waiting: forget the lock
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _founder(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return 0
