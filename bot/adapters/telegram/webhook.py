"""Serve Telegram's webhook ourselves: the secret is required and compared in constant time.

python-telegram-bot's built-in webhook server accepts every request when no secret is
configured and compares the secret header with ``!=``. So webhook mode refuses to start
without ``TELEGRAM_WEBHOOK_SECRET`` (:func:`check_webhook_settings`), and this small tornado
server (tornado comes with ``python-telegram-bot[webhooks]``) checks the
``X-Telegram-Bot-Api-Secret-Token`` header with :func:`hmac.compare_digest` before it reads
the body. An accepted update goes to ``Application.update_queue`` (the update ledger), and
the 200 is sent only once it is stored, as with PTB's own server. Nothing of the request's
content is logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram.health import HEALTH_PATH, HealthHandler, Worker
from bot.adapters.telegram.registration import register, wanted
from bot.config import Settings
from bot.errors import ConfigError, StorageError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY_BYTES = 1 << 20  # an update is a few KB; Telegram never posts files to a webhook
# What Telegram accepts as a webhook secret (setWebhook's secret_token)
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook_settings(settings: Settings) -> None:
    """Refuse webhook mode without a usable secret: anyone could post updates otherwise.

    Several workers on PostgreSQL need a webhook (Telegram lets one process poll at a time)
    and must not register it each (``founder-coach webhook set`` does, once per deploy).
    """
    if settings.shared_database and not settings.telegram_webhook_url:
        raise ConfigError(
            "FOUNDER_COACH_DATABASE_URL is PostgreSQL, which is for several workers behind a "
            "load balancer, and only a webhook can be shared: long polling lets one process "
            "at a time fetch updates. Set TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET "
            "(and run `founder-coach webhook set` once), or unset FOUNDER_COACH_DATABASE_URL "
            "to run one process on SQLite"
        )
    if settings.shared_database and settings.telegram_webhook_register:
        raise ConfigError(
            "TELEGRAM_WEBHOOK_REGISTER=true with PostgreSQL: workers never register the "
            "webhook (each start would call setWebhook). Unset it and run "
            "`founder-coach webhook set` once per deploy"
        )
    if not settings.telegram_webhook_url:
        return
    secret = settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigError(
            "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: without it anyone "
            "could post updates as any founder. Set TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z "
            "0-9 _ -), or unset TELEGRAM_WEBHOOK_URL to use long polling"
        )
    if not SECRET_SHAPE.fullmatch(secret.get_secret_value()):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - "
            "(what Telegram accepts)"
        )


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare the header with the secret in constant time."""
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


class UpdateHandler(tornado.web.RequestHandler):
    """POST /<path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: Application, secret: str, worker: Worker) -> None:  # type: ignore[override]
        """Tornado's per-request set-up."""
        self.app = app
        self.secret = secret
        self.worker = worker

    async def post(self) -> None:
        """Refuse while draining; check the secret; then store and queue the update."""
        if self.worker.draining:  # Telegram delivers it again, through another worker
            raise tornado.web.HTTPError(HTTPStatus.SERVICE_UNAVAILABLE)
        if not secret_matches(self.request.headers.get(SECRET_HEADER), self.secret):
            log.warning("webhook request from %s refused: wrong secret", self.request.remote_ip)
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        try:
            data = json.loads(self.request.body)
        except ValueError:  # never log the content: it is a founder's words
            log.error("webhook request is not JSON; refused")
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        note_raw = getattr(self.app.update_queue, "note_raw", None)
        # the ledger stores the body as sent, not PTB's to_dict; an update a flood put past
        # its founder's backlog is taken (200) and left unparsed, as polling leaves it
        if note_raw is not None and not note_raw([data], batch=False):
            self._taken()
            return
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # never log the content: it is a founder's words
            log.error("webhook request is not an update (%s); refused", type(exc).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is None:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        with self.worker.accepting():  # a drain starting now waits for this store
            try:
                await self.app.update_queue.put(update)  # stored in the ledger before the 200
            except StorageError:  # several workers: not stored, so not taken (logged there)
                raise tornado.web.HTTPError(HTTPStatus.SERVICE_UNAVAILABLE) from None
        self._taken()

    def _taken(self) -> None:
        self.set_status(HTTPStatus.OK)
        self.set_header("Content-Type", "application/json")
        self.finish(b"{}")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Tornado would log the request; log only what failed."""
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook request failed: %s", type(value).__name__, exc_info=value)


def webhook_app(app: Application, settings: Settings, worker: Worker) -> tornado.web.Application:
    """The tornado application: the webhook path and ``/healthz``."""
    assert settings.telegram_webhook_secret is not None
    path = settings.telegram_webhook_path.strip("/")
    secret = settings.telegram_webhook_secret.get_secret_value()
    update = {"app": app, "secret": secret, "worker": worker}
    return tornado.web.Application(
        [
            (rf"/{re.escape(path)}/?", UpdateHandler, update),
            (rf"{HEALTH_PATH}/?", HealthHandler, {"worker": worker}),
        ],
        log_function=lambda handler: None,  # no access log (it would name every request)
    )


class WebhookServer:
    """The worker's HTTP server and its drain (see :mod:`bot.adapters.telegram.health`)."""

    def __init__(self, server: tornado.httpserver.HTTPServer, worker: Worker) -> None:
        self._server = server
        self.worker = worker

    async def drain(self) -> None:
        """503 to new POSTs and health checks; return once accepted POSTs are stored."""
        self.worker.drain()
        await self.worker.accepted()

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self._server.stop()
        await self._server.close_all_connections()


async def start_webhook(
    app: Application, settings: Settings, allowed_updates: Sequence[str]
) -> WebhookServer:
    """Listen for Telegram's POSTs (and ``/healthz``); register the webhook if we are alone.

    A worker beside others (PostgreSQL, or ``TELEGRAM_WEBHOOK_REGISTER=false``) never calls
    ``setWebhook``: ``founder-coach webhook set`` does, once per deploy.
    """
    check_webhook_settings(settings)
    want = wanted(settings, allowed_updates)
    worker = Worker(app.bot_data.get("db"))
    server = tornado.httpserver.HTTPServer(
        webhook_app(app, settings, worker), max_body_size=MAX_BODY_BYTES
    )
    server.listen(settings.telegram_webhook_port, address=settings.telegram_webhook_listen)
    if settings.registers_webhook:
        try:
            await register(app.bot, want, force=True)  # a new secret cannot be seen
        except BaseException:
            server.stop()
            raise
    where = f"{settings.telegram_webhook_listen}:{settings.telegram_webhook_port}"
    if settings.registers_webhook:
        log.info("webhook listening on %s", where)
    else:
        log.info("webhook listening on %s (registered by `founder-coach webhook set`)", where)
    return WebhookServer(server, worker)
