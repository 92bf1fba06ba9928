"""Start and stop the bot: start-up calls that survive a transient fault, and a clean stop.

A single 429 or 5xx on ``getMe``, ``setMyCommands`` or ``setWebhook`` while starting is not
a reason to exit: :func:`with_retries` tries again a few times with backoff (a 429 after the
``retry_after`` Telegram asks for). A refused token, a bad request or a conflict is not
transient and ends the start at once.

:func:`serve` runs the Application as ``run_polling`` would (long polling, or our own webhook
server), and whatever ends it (SIGTERM, SIGINT, a fatal error) it drains: the webhook turns
new updates away with 503, the updates already accepted are handled and answered, check-in
sends under way finish (``post_stop``), and only then ``post_shutdown`` closes the database,
so the process exits 0 instead of hanging on aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

START_ATTEMPTS = 5
START_BACKOFF_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 60.0


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def transient(exc: BaseException) -> bool:
    """A fault worth another try: a 429, a time-out, or a 5xx answer from the server.

    Not a refused token, a bad request, or a connection that could not be made at all (a
    wrong address, no network): those are said at once, in one line.
    """
    if isinstance(exc, RetryAfter | TimedOut):
        return True
    return (
        isinstance(exc, NetworkError)
        and not isinstance(exc, BadRequest)
        and exc.__cause__ is None  # raised on an HTTP answer, not by the HTTP client
    )


async def with_retries(
    what: str,
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = START_ATTEMPTS,
    backoff: float = START_BACKOFF_SECONDS,
) -> T:
    """``call()``, tried again after a transient fault, up to ``attempts`` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TelegramError as exc:
            if attempt == attempts or not transient(exc):
                raise
            if isinstance(exc, RetryAfter):
                wait = min(_seconds(exc.retry_after), MAX_RETRY_AFTER_SECONDS) + 0.1
            else:
                wait = backoff * 2 ** (attempt - 1)
            log.warning(
                "%s failed (%s); trying again in %.1f s (%d/%d)",
                what, exc.message, wait, attempt, attempts - 1,
            )  # fmt: skip
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


async def serve(
    app: Application,
    settings: Settings,
    allowed_updates: Sequence[str],
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve updates until SIGTERM/SIGINT (or ``stop``); always shut down and close."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    server = None
    try:
        await with_retries("getMe", app.initialize)
        if app.post_init is not None:
            await app.post_init(app)
        if settings.telegram_webhook_url:
            from bot.adapters.telegram.webhook import start_webhook

            server = await start_webhook(app, settings, allowed_updates)
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                allowed_updates=list(allowed_updates), bootstrap_retries=START_ATTEMPTS - 1
            )
        await app.start()
        await stop.wait()
        log.info("stopping: updates already accepted are handled first")
    finally:
        if server is not None:
            await server.drain()  # 503 to new POSTs and /healthz; accepted ones are stored
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # the updates accepted are handled and answered
            if app.post_stop is not None:
                await app.post_stop(app)  # check-in sends under way finish
        if server is not None:
            await server.close()
        await app.shutdown()
        await app.bot.request.shutdown()  # also when initialize failed (shutdown skips it then)
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
