"""The send budget, spent on replies first: a rate limiter with a lane for cosmetic calls.

Telegram takes about 30 messages a second from a bot; we pace every call that carries a
chat id at ``TELEGRAM_MAX_RATE`` (25 by default), evenly, one at a time (a burst of one:
every rolling second stays within ``rate + 1``). Calls without a chat id
(``answerCallbackQuery``, ``getUpdates``, ``getMe``, ``setMyCommands``) are not paced:
Telegram does not count them as messages.

Two lanes share the pace:

- **replies** (the default): a turn's replies, check-ins, a multiple-choice toggle;
- **cosmetic** (``rate_limit_args=COSMETIC``): showing the tapped answer on the answered
  question, removing an old keyboard. A cosmetic call gets a slot only while no reply
  waits; it waits at most ``cosmetic_patience`` seconds and at most ``cosmetic_queue`` wait
  at once, or it is dropped (:class:`Dropped`, nothing sent). So under load a turn costs one
  paced call, and no reply ever waits behind looks.

:meth:`LaneLimiter.busy` tells a handler that replies queue (or cosmetic calls pile up), so
it skips the cosmetic edit up front and shows the chosen answer in the next reply instead:
at the limit a turn costs one paced call, below it the spare slots carry the edits.

Group chats keep PTB's own rule (20 messages a minute per group), paid broadcasts
(``allow_paid_broadcast``) their own 1 000 a second, outside the pace. A 429 is not
retried here: the caller retries that message alone (see ``TelegramTransport.call``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

if TYPE_CHECKING:
    from bot.adapters.telegram.budget import SharedPace

REPLY = "reply"
COSMETIC = "cosmetic"
COSMETIC_PATIENCE = 30.0  # seconds a cosmetic call may wait for a free slot
COSMETIC_QUEUE = 32  # cosmetic calls waiting at once; more are dropped at once
COSMETIC_BACKLOG = 8  # this many waiting: busy, new turns show the answer in the reply
GROUPS_KEPT = 256  # per-group limiters remembered (the bot only answers commands in groups)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


class Dropped(Exception):
    """A cosmetic call given up because replies needed the slots; nothing was sent."""


class Pace:
    """One slot every ``interval`` seconds, replies before cosmetic calls, FIFO in a lane."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0  # loop time at which the next slot is free
        self._queues: dict[str, deque[asyncio.Future[None]]] = {REPLY: deque(), COSMETIC: deque()}
        self._timer: asyncio.TimerHandle | None = None

    def waiting(self, lane: str) -> int:
        """How many calls of ``lane`` wait for a slot now."""
        return len(self._queues[lane])

    async def push(self, retry_after: float) -> None:
        """A 429: nothing to do in one process (the caller retries that message alone, and
        the pace already holds the limit; the shared pace pushes every worker's slots)."""

    async def take(self, lane: str, patience: float | None = None) -> None:
        """Wait for a slot (TimeoutError after ``patience`` seconds: no slot was used)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        replies = self._queues[REPLY]
        if now >= self._next and not replies and not (lane == COSMETIC and self._queues[lane]):
            self._next = now + self.interval
            return
        slot: asyncio.Future[None] = loop.create_future()
        queue = self._queues[lane]
        queue.append(slot)
        self._wake(loop)
        try:
            async with asyncio.timeout(patience):
                await slot
        except BaseException:
            with contextlib.suppress(ValueError):
                queue.remove(slot)
            raise

    def _wake(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None:
            self._timer = loop.call_at(self._next, self._grant, loop)

    def _grant(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        if now >= self._next:
            for lane in (REPLY, COSMETIC):
                queue = self._queues[lane]
                while queue:
                    slot = queue.popleft()
                    if not slot.done():  # a waiter that gave up is skipped
                        slot.set_result(None)
                        self._next = now + self.interval
                        break
                else:
                    continue
                break
        if self._queues[REPLY] or self._queues[COSMETIC]:
            self._wake(loop)


class LaneLimiter(BaseRateLimiter[str]):
    """PTB's rate limiter hook with the two lanes (see the module docstring)."""

    def __init__(
        self,
        per_second: float,
        *,
        cosmetic_patience: float = COSMETIC_PATIENCE,
        cosmetic_queue: int = COSMETIC_QUEUE,
        group_per_minute: int = 20,
        pace: Pace | SharedPace | None = None,
    ) -> None:
        # one process: its own pace; several workers: the shared one (``budget.SharedPace``)
        self.pace: Pace | SharedPace = pace if pace is not None else Pace(1 / per_second)
        self.cosmetic_patience = cosmetic_patience
        self.cosmetic_queue = cosmetic_queue
        self.group_per_minute = group_per_minute
        self._groups: OrderedDict[int | str, AsyncLimiter] = OrderedDict()
        self._paid = AsyncLimiter(1000, 1)
        self.paced: Counter[str] = Counter()  # calls sent per lane, and "dropped"

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def busy(self) -> bool:
        """Whether replies queue for the pace, or cosmetic calls pile up behind them."""
        return bool(self.pace.waiting(REPLY)) or self.pace.waiting(COSMETIC) >= COSMETIC_BACKLOG

    def _group(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._groups.pop(chat_id, None) or AsyncLimiter(self.group_per_minute, 60)
        self._groups[chat_id] = limiter
        while len(self._groups) > GROUPS_KEPT:
            self._groups.popitem(last=False)
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSON:
        """Pace a call by its chat and lane, then make it."""
        chat_id = data.get("chat_id")
        if chat_id is None:  # not a message: answerCallbackQuery, getUpdates, ...
            return await callback(*args, **kwargs)
        if data.get("allow_paid_broadcast"):
            async with self._paid:
                return await callback(*args, **kwargs)
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        if isinstance(chat_id, str) or chat_id < 0:  # a group or a channel
            async with self._group(chat_id):
                await self.pace.take(REPLY)
                return await callback(*args, **kwargs)
        lane = COSMETIC if rate_limit_args == COSMETIC else REPLY
        if lane == COSMETIC:
            if self.pace.waiting(COSMETIC) >= self.cosmetic_queue:
                self.paced["dropped"] += 1
                raise Dropped(f"{endpoint}: {self.cosmetic_queue} cosmetic calls already wait")
            try:
                await self.pace.take(COSMETIC, self.cosmetic_patience)
            except TimeoutError:
                self.paced["dropped"] += 1
                raise Dropped(f"{endpoint}: no free slot in {self.cosmetic_patience} s") from None
        else:
            await self.pace.take(REPLY)
        self.paced[lane] += 1
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:  # the budget is spent for everyone sharing the pace
            await self.pace.push(_seconds(exc.retry_after))
            raise


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
