"""Build the python-telegram-bot Application and run it (long polling or a webhook).

Flow state lives in our database, not in PTB's ConversationHandler or persistence, so
any restart resumes every conversation. Updates of different founders run concurrently,
each founder's in order (:class:`PerFounderProcessor`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, timedelta

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.adapters.telegram import handlers
from bot.adapters.telegram.budget import SharedPace
from bot.adapters.telegram.drain import DRAIN_BACKLOG, SWEEP_EVERY, DrainProcessor, LedgerDrain
from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.lanes import LaneLimiter
from bot.adapters.telegram.ledger import LedgerQueue
from bot.adapters.telegram.menus import set_commands
from bot.adapters.telegram.processor import BACKLOG, PerFounderProcessor, founder_key
from bot.adapters.telegram.startup import serve
from bot.adapters.telegram.transport import Blocked, TelegramTransport, Uncertain
from bot.adapters.telegram.webhook import check_webhook_settings
from bot.checkins.scheduler import CheckinScheduler
from bot.checkins.service import Sender, SendResult
from bot.clock import SystemClock
from bot.coach import Coach
from bot.config import Settings
from bot.engine import Catalog
from bot.knowledge import load_knowledge
from bot.models import OutMessage, UserRef
from bot.rendering import Target
from bot.runtime import checkin_service
from bot.storage import Database
from bot.storage.locks import Locks, exclusive, locks_for

log = logging.getLogger(__name__)

HOUSEKEEPING = timedelta(hours=1)
OUTBOX_DRAIN = timedelta(seconds=2)
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def api_base_url(value: str) -> str:
    """PTB wants ``…/bot``; accept the server's root too (``http://127.0.0.1:8081``)."""
    value = value.rstrip("/")
    return value if value.endswith("/bot") else f"{value}/bot"


def rate_limiter(per_second: float) -> LaneLimiter:
    """Every message paced evenly at ``per_second``, replies before cosmetic edits.

    A burst of one keeps every rolling second at most ``per_second + 1`` (aiolimiter's
    default burst let a "30 per second" limit put 40 messages into one second and draw
    429s). A 429 is retried by the caller, that message alone (``TelegramTransport.call``
    waits ``retry_after`` and sends it again), not by the limiter: PTB's AIORateLimiter
    paused every request on a 429 but kept handing out slots, and when the pause ended all
    it admitted went out at once, over the limit again (see bench/checkins_bench.py).
    See :mod:`bot.adapters.telegram.lanes` for the lanes.
    """
    return LaneLimiter(per_second)


def http_request(connection_pool_size: int) -> BaseRequest:
    """PTB's HTTP client for our calls: aiohttp, lighter than PTB's default httpx (issue #14)."""
    return AiohttpRequest(connection_pool_size)


def updates_request(queue: LedgerQueue) -> BaseRequest:
    """The getUpdates client: its results' JSON goes to the ledger as Telegram sent it."""
    request = http_request(1)
    if isinstance(request, AiohttpRequest):
        request.on_updates = queue.note_raw
    return request


def several_workers(settings: Settings) -> bool:
    """Whether this worker shares its database with others: a PostgreSQL URL is set."""
    return settings.shared_database


def build_application(
    settings: Settings,
    catalog: Catalog,
    *,
    workers: bool | None = None,
    locks: Locks | None = None,
) -> Application:
    """The Application with our handlers; the database opens in ``post_init``.

    ``workers``: handle updates with the ledger-ordered drain (PostgreSQL, several workers;
    the default follows :func:`several_workers`). ``locks``: the founder locks to use (by
    default those that fit the database, :func:`~bot.storage.locks.locks_for`); tests give
    two Applications on one SQLite file the same ones, as two workers share PostgreSQL's.
    """
    assert settings.telegram_bot_token is not None
    workers = several_workers(settings) if workers is None else workers
    queue = LedgerQueue(drained=workers)
    processor: PerFounderProcessor | DrainProcessor = (
        DrainProcessor(64, on_handled=queue.handled)
        if workers
        else PerFounderProcessor(64, on_handled=queue.handled)
    )
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .request(http_request(256))  # PTB's default pool sizes
        .get_updates_request(updates_request(queue))
        .rate_limiter(rate_limiter(settings.telegram_max_rate))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=UTC,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .update_queue(queue)
        .concurrent_updates(processor)
        .post_init(_post_init(settings, catalog, locks))
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if settings.telegram_api_base_url:
        base = api_base_url(settings.telegram_api_base_url)
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    app = builder.build()
    if isinstance(processor, PerFounderProcessor):  # the drain bounds it in the ledger
        processor.on_overflow = _overflow_notice(app, processor.backlog)
        queue.admit = processor.admit
        queue.screen = processor.screen
    private = filters.ChatType.PRIVATE
    app.add_handler(CallbackQueryHandler(handlers.on_callback))  # private chats: checked there
    # New messages only: an edited message is never taken as a new answer
    new_message = filters.UpdateType.MESSAGE
    # A text is never a service message: checked first, it spares the ~30 status filters
    # on nearly every update (issue #14); anything else still goes through them.
    founder_message = filters.TEXT | ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(new_message & private & founder_message, handlers.on_message))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED & private, handlers.on_edited))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, handlers.on_group))
    app.add_error_handler(handlers.on_error)
    return app


def _post_init(settings: Settings, catalog: Catalog, locks: Locks | None):  # type: ignore[no-untyped-def]
    async def post_init(app: Application) -> None:
        db = await Database.open(settings.database)
        processor = app.update_processor
        assert isinstance(processor, PerFounderProcessor | DrainProcessor)
        processor.locks = shared = locks if locks is not None else locks_for(db)
        coach = Coach(
            db,
            catalog,
            SystemClock(),
            target=Target.HTML,
            default_locale=settings.founder_coach_locale,
            admins=frozenset(f"telegram:{admin}" for admin in settings.admin_ids),
            knowledge=load_knowledge(settings.founder_coach_content_dir),
            llm=settings.llm,
        )
        app.bot_data["db"] = db
        app.bot_data["ledger"] = queue = _ledger(app)
        await queue.attach(db, SystemClock(), app.bot)
        app.bot_data["coach"] = coach
        transport = TelegramTransport(
            app.bot, coach, founder_lock=processor.founder,
            shared=isinstance(processor, DrainProcessor),
        )  # fmt: skip
        await transport.load_pending()
        app.bot_data["transport"] = transport
        if settings.registers_webhook or not settings.telegram_webhook_url:
            async with shared.try_lock("commands") as granted:  # one worker per start
                if granted:
                    await set_commands(app.bot, coach.renderer)  # workers: `webhook set`
        service = checkin_service(coach, settings, _sender(transport), locks=shared)
        scheduler = CheckinScheduler(service, claim_tick=isinstance(processor, DrainProcessor))
        app.bot_data["checkins"] = scheduler
        await scheduler.start()
        forget_old = exclusive(shared, "ledger:housekeeping", queue.forget_old)
        scheduler.every(HOUSEKEEPING, forget_old, job="housekeeping", first=timedelta(minutes=1))
        # never answered the consent question: 30 days
        unconsented = exclusive(shared, "consents", coach.forget_unconsented)
        scheduler.every(HOUSEKEEPING, unconsented, job="consents", first=timedelta(minutes=2))
        scheduler.every(OUTBOX_DRAIN, transport.drain, job="outbox", first=OUTBOX_DRAIN)
        if isinstance(processor, DrainProcessor):
            limiter = app.bot.rate_limiter
            if isinstance(limiter, LaneLimiter):  # one send budget for every worker
                limiter.pace = SharedPace(db, SystemClock(), settings.telegram_max_rate)
            processor.drain = drain = LedgerDrain(
                db, SystemClock(), shared, app.bot, app.process_update, slots=processor.slots,
                on_overflow=_overflow_notice(app, DRAIN_BACKLOG),
            )  # fmt: skip
            app.bot_data["drain"] = drain
            coach.settle_failed = drain.settle  # recorded before "try again" goes out
            scheduler.every(SWEEP_EVERY, drain.sweep, job="ledger:sweep", first=SWEEP_EVERY)
        # What start-up loaded (catalog, compiled templates, PTB, check-in rows) lives as
        # long as the process: take it out of the collector's sight. Full collections over
        # it paused the loop 45-80 ms, enough to overrun a send pace set at Telegram's limit.
        gc.freeze()
        log.info("Telegram bot ready as @%s", app.bot.username)

    return post_init


def _overflow_notice(app: Application, kept: int = BACKLOG):  # type: ignore[no-untyped-def]
    """Tell a founder over their backlog (``kept`` updates), once per flood, that later
    messages were not read."""
    tasks: set[asyncio.Task[None]] = set()

    async def tell(update: Update) -> None:
        transport: TelegramTransport | None = app.bot_data.get("transport")
        if transport is None or update.effective_user is None:
            return
        who = handlers.founder(update)
        locale = await transport.coach.locale_of(who)
        text = transport.coach.renderer.ui("notices.too_fast", locale, Target.HTML, kept=kept)
        try:
            await transport.call(who, app.bot.send_message, chat_id=founder_key(update), text=text)
        except (TelegramError, Blocked, Uncertain) as exc:
            log.info("could not tell chat %s to slow down: %s", founder_key(update), exc)

    def notice(update: object) -> None:
        if isinstance(update, Update):
            task = asyncio.create_task(tell(update), name="founder:too-fast")
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    return notice


def _sender(transport: TelegramTransport) -> Sender:
    """Check-ins out through the transport; the check-in service holds the founder's lock."""

    async def send(who: UserRef, messages: list[OutMessage]) -> SendResult:
        try:
            await transport.send(who, int(who.external_id), messages, strict=True)
        except Blocked:
            return SendResult.BLOCKED
        except Uncertain:
            log.warning("a check-in to %s may not have arrived (time-out)", who.external_id)
            return SendResult.UNKNOWN
        except TelegramError:
            log.exception("a check-in to %s could not be sent", who.external_id)
            return SendResult.ERROR
        return SendResult.SENT

    return send


def _ledger(app: Application) -> LedgerQueue:
    queue = app.update_queue
    assert isinstance(queue, LedgerQueue)
    return queue


async def _post_stop(app: Application) -> None:
    """Updates are handled: let drains and check-in sends under way finish while HTTP is up."""
    drain = app.bot_data.get("drain")
    if drain is not None:
        await drain.stop()
    scheduler = app.bot_data.get("checkins")
    if scheduler is not None:
        await scheduler.stop()


async def _post_shutdown(app: Application) -> None:
    await _post_stop(app)  # when the Application never started
    queue = app.bot_data.get("ledger")
    if queue is not None:
        await queue.drain()
    db = app.bot_data.get("db")
    if db is not None:
        await db.close()
        log.info("database closed")


def run_telegram(settings: Settings, catalog: Catalog) -> int:
    """Serve Telegram until SIGTERM/SIGINT: long polling, or a webhook when configured."""
    check_webhook_settings(settings)  # before anything starts
    app = build_application(settings, catalog)
    asyncio.run(serve(app, settings, ALLOWED_UPDATES))
    return 0
