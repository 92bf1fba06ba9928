"""The bots the update benchmark runs, each in its own process.

    python -m bench.bots coach      our bot: ``founder-coach run``, with the rate limiter's
                                    rate taken from BENCH_MAX_RATE when set
    python -m bench.bots coach-httpx the same on PTB's default HTTPXRequest (the HTTP layer
                                    compared)
    python -m bench.bots ptb-conv   the fair peer: ConversationHandler + PicklePersistence
                                    asking the onboarding questions (bench/peer_bot.py)
    python -m bench.bots ptb        a python-telegram-bot echo bot with PTB's defaults
    python -m bench.bots ptb-ours   the same echo with our Application settings
                                    (AIORateLimiter paced at BENCH_MAX_RATE, 64 concurrent
                                    updates)
    python -m bench.bots aiogram    an aiogram 3 echo bot with aiogram's defaults

``TELEGRAM_MAX_RATE`` is capped at 30 by the settings (Telegram's limit), so a capacity
run that must not be paced passes its rate in ``BENCH_MAX_RATE`` instead; the limiter
stays in the path, built by our own ``rate_limiter()``. All read ``TELEGRAM_BOT_TOKEN``
and ``TELEGRAM_API_BASE_URL`` (``http://HOST:PORT/bot``), long-poll, and stop on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import sys


def _profile_on_signals(path: str) -> None:
    """BENCH_PROFILE: SIGUSR1 starts cProfile (main thread CPU time), SIGUSR2 stops it and
    writes ``path`` and ``path.json`` (the main thread's and the whole process's CPU
    seconds in between: the difference is aiosqlite's thread, which cProfile does not see)."""
    import cProfile
    import json
    import signal
    import time

    profiler = cProfile.Profile(time.thread_time)
    began: dict[str, float] = {}

    def start(*_: object) -> None:
        began.update(thread=time.thread_time(), process=time.process_time())
        profiler.enable()

    def stop(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(path)
        used = {
            "main_thread_cpu_s": time.thread_time() - began["thread"],
            "process_cpu_s": time.process_time() - began["process"],
        }
        with open(f"{path}.json", "w", encoding="utf-8") as out:
            json.dump(used, out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def coach(*, httpx: bool = False) -> None:
    """``founder-coach run``, the real entry point, with the limiter's rate overridden (and
    with ``httpx``, PTB's default HTTPXRequest in place of our aiohttp one)."""
    from bot.adapters.telegram import application

    if os.environ.get("BENCH_PROFILE"):
        _profile_on_signals(os.environ["BENCH_PROFILE"])
    rate = os.environ.get("BENCH_MAX_RATE")
    if rate:
        original = application.rate_limiter
        application.rate_limiter = lambda _per_second: original(float(rate))
        shared = application.SharedPace  # several workers: the budget row in PostgreSQL
        application.SharedPace = lambda db, clock, _per_second: shared(db, clock, float(rate))
    if httpx:
        from telegram.request import HTTPXRequest

        application.http_request = lambda size: HTTPXRequest(connection_pool_size=size)
    from bot.cli import main as run

    raise SystemExit(run(["run"]))


def ptb(*, our_settings: bool) -> None:
    """An Application with one MessageHandler that echoes the text back."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text)

    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
    )
    if our_settings:
        from bot.adapters.telegram.application import rate_limiter

        rate = float(os.environ.get("BENCH_MAX_RATE", "25"))
        builder = builder.rate_limiter(rate_limiter(rate)).concurrent_updates(64)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=[Update.MESSAGE])


def aiogram() -> None:
    """A Dispatcher with one message handler that echoes the text back."""
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    root = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/").removesuffix("/bot")
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        assert message.text is not None
        await message.answer(message.text)

    async def run() -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(root))
        bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=session)
        await dispatcher.start_polling(bot)

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    kind = (argv if argv is not None else sys.argv[1:])[0]
    if kind == "coach":
        coach()
    elif kind == "coach-httpx":
        coach(httpx=True)
    elif kind == "ptb-conv":
        from bench.peer_bot import main as peer

        peer()
    elif kind == "ptb":
        ptb(our_settings=False)
    elif kind == "ptb-ours":
        ptb(our_settings=True)
    elif kind == "aiogram":
        aiogram()
    else:
        raise SystemExit(
            f"unknown bot {kind!r}; known: coach, coach-httpx, ptb-conv, ptb, ptb-ours, aiogram"
        )


if __name__ == "__main__":
    main()
