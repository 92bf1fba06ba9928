"""Register the webhook at Telegram: once per deploy, and only when something differs.

Several workers behind a load balancer must not each call ``setWebhook`` when they start
(every call resets Telegram's delivery state, and a worker started with old settings would
undo a new deploy). ``founder-coach webhook set`` compares what ``getWebhookInfo`` reports
with the settings and calls ``setWebhook`` only when they differ. Telegram never shows the
secret token, so a new ``TELEGRAM_WEBHOOK_SECRET`` cannot be seen: ``--force`` sends it, and
a last delivery refused with 403 (what a worker answers to a wrong secret) counts as a
difference. Pending updates are never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, WebhookInfo

from bot.adapters.telegram.startup import with_retries
from bot.config import Settings
from bot.errors import ConfigError

REFUSED_403 = "403"  # in last_error_message: "Wrong response from the webhook: 403 Forbidden"


@dataclass(frozen=True)
class Wanted:
    """The webhook as the settings describe it (the secret is sent, never compared)."""

    url: str
    secret: str
    allowed_updates: tuple[str, ...]
    max_connections: int


def wanted(settings: Settings, allowed_updates: Sequence[str]) -> Wanted:
    """The webhook the settings ask for; a clear error when they do not describe one."""
    if not settings.telegram_webhook_url or settings.telegram_webhook_secret is None:
        raise ConfigError(
            "the webhook needs TELEGRAM_WEBHOOK_URL (the public HTTPS address of the load "
            "balancer, e.g. https://coach.example.com/telegram) and TELEGRAM_WEBHOOK_SECRET"
        )
    return Wanted(
        url=settings.telegram_webhook_url,
        secret=settings.telegram_webhook_secret.get_secret_value(),
        allowed_updates=tuple(allowed_updates),
        max_connections=settings.telegram_webhook_max_connections,
    )


def differences(info: WebhookInfo, want: Wanted) -> list[str]:
    """What Telegram has that the settings do not (empty: nothing to do)."""
    if not info.url:
        return ["no webhook"]
    found = []
    if info.url != want.url:
        found.append("url")
    if info.has_custom_certificate:
        found.append("certificate")  # setWebhook without one removes it
    if info.max_connections != want.max_connections:
        found.append("max_connections")
    if sorted(info.allowed_updates or ()) != sorted(want.allowed_updates):
        found.append("allowed_updates")
    if info.url == want.url and REFUSED_403 in (info.last_error_message or ""):
        found.append("secret (the last delivery was refused with 403)")
    return found


async def register(bot: Bot, want: Wanted, *, force: bool = False) -> list[str]:
    """Call setWebhook if Telegram's webhook differs from ``want`` (or ``force``).

    Returns what differed; empty when nothing was called.
    """
    if force:
        changed = ["forced"]
    else:
        info = await with_retries("getWebhookInfo", bot.get_webhook_info)
        changed = differences(info, want)
    if changed:
        await with_retries(
            "setWebhook",
            lambda: bot.set_webhook(
                want.url,
                secret_token=want.secret,
                allowed_updates=list(want.allowed_updates),
                max_connections=want.max_connections,
                drop_pending_updates=False,
            ),
        )
    return changed


def describe(info: WebhookInfo, want: Wanted | None) -> list[str]:
    """The webhook's state in lines for an operator (Telegram never returns the secret)."""
    if not info.url:
        lines = ["webhook: none (updates wait for long polling: `founder-coach run` without "
                 "TELEGRAM_WEBHOOK_URL)"]  # fmt: skip
    else:
        lines = [f"webhook: {info.url}"]
    lines.append(f"pending updates: {info.pending_update_count}")
    if info.max_connections is not None:
        lines.append(f"max connections: {info.max_connections}")
    if info.url:
        default = "(Telegram's default: all but chat members and reactions)"
        lines.append(f"allowed updates: {', '.join(info.allowed_updates or ()) or default}")
    if info.ip_address:
        lines.append(f"resolved address: {info.ip_address}")
    if info.last_error_date is not None:
        when = f"{info.last_error_date:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(f"last error: {when}: {info.last_error_message or '(no message)'}")
    else:
        lines.append("last error: none")
    if info.last_synchronization_error_date is not None:
        when = f"{info.last_synchronization_error_date:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(f"last synchronisation error: {when}")
    if want is not None:
        changed = differences(info, want)
        lines.append(
            "settings: differ in " + ", ".join(changed) + " (`founder-coach webhook set`)"
            if changed
            else "settings: match (the secret cannot be compared: Telegram never shows it)"
        )
    return lines
