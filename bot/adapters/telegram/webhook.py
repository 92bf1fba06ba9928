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

from bot.adapters.telegram.startup import with_retries
from bot.config import Settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY_BYTES = 1 << 20  # an update is a few KB; Telegram never posts files to a webhook
# What Telegram accepts as a webhook secret (setWebhook's secret_token)
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook_settings(settings: Settings) -> None:
    """Refuse webhook mode without a usable secret: anyone could post updates otherwise."""
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

    def initialize(self, app: Application, secret: str) -> None:  # type: ignore[override]
        """Tornado's per-request set-up."""
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        """Check the secret first, then store and queue the update."""
        if not secret_matches(self.request.headers.get(SECRET_HEADER), self.secret):
            log.warning("webhook request from %s refused: wrong secret", self.request.remote_ip)
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # never log the content: it is a founder's words
            log.error("webhook request is not an update (%s); refused", type(exc).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is None:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        note_raw = getattr(self.app.update_queue, "note_raw", None)
        if note_raw is not None:  # the ledger stores the body as sent, not PTB's to_dict
            note_raw([data])
        await self.app.update_queue.put(update)  # stored in the ledger before the 200
        self.set_status(HTTPStatus.OK)
        self.set_header("Content-Type", "application/json")
        self.finish(b"{}")

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Tornado would log the request; log only what failed."""
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook request failed: %s", type(value).__name__, exc_info=value)


def webhook_app(app: Application, settings: Settings) -> tornado.web.Application:
    """The tornado application serving the webhook path."""
    assert settings.telegram_webhook_secret is not None
    path = settings.telegram_webhook_path.strip("/")
    secret = settings.telegram_webhook_secret.get_secret_value()
    return tornado.web.Application(
        [(rf"/{re.escape(path)}/?", UpdateHandler, {"app": app, "secret": secret})],
        log_function=lambda handler: None,  # no access log (it would name every request)
    )


async def start_webhook(
    app: Application, settings: Settings, allowed_updates: Sequence[str]
) -> tornado.httpserver.HTTPServer:
    """Listen for Telegram's POSTs, then register the webhook (with its secret) at Telegram."""
    check_webhook_settings(settings)
    assert settings.telegram_webhook_secret is not None
    assert settings.telegram_webhook_url is not None
    server = tornado.httpserver.HTTPServer(
        webhook_app(app, settings), max_body_size=MAX_BODY_BYTES
    )
    server.listen(settings.telegram_webhook_port, address=settings.telegram_webhook_listen)
    secret = settings.telegram_webhook_secret.get_secret_value()
    url = settings.telegram_webhook_url

    async def register() -> bool:
        return await app.bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(allowed_updates)
        )

    try:
        await with_retries("setWebhook", register)
    except BaseException:
        server.stop()
        raise
    where = f"{settings.telegram_webhook_listen}:{settings.telegram_webhook_port}"
    log.info("webhook listening on %s", where)
    return server
