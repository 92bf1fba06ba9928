"""``founder-coach webhook set | info | delete``: the operator's side of the webhook.

A deploy of several workers runs ``webhook set`` once (a one-shot service): the workers
never call ``setWebhook`` or ``setMyCommands`` themselves. What is printed never holds the
token or the secret (the command line also redacts every line it prints).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Bot

from bot.adapters.telegram.application import ALLOWED_UPDATES, api_base_url, http_request
from bot.adapters.telegram.menus import set_commands
from bot.adapters.telegram.registration import Wanted, describe, register, wanted
from bot.adapters.telegram.startup import with_retries
from bot.adapters.telegram.webhook import check_webhook_settings
from bot.config import Settings
from bot.engine import load_catalog
from bot.errors import ConfigError, FlowDefinitionError
from bot.rendering.renderer import Renderer


def _bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: the webhook belongs to a bot")
    base = api_base_url(settings.telegram_api_base_url or "https://api.telegram.org")
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=base,
        base_file_url=base.removesuffix("/bot") + "/file/bot",
        request=http_request(4),
        get_updates_request=http_request(1),
    )


def _wanted_or_none(settings: Settings) -> Wanted | None:
    try:
        return wanted(settings, ALLOWED_UPDATES)
    except ConfigError:
        return None


async def webhook_command(
    settings: Settings, action: str, *, force: bool = False, say: Callable[[str], None] = print
) -> int:
    """Run one webhook action; ``say`` prints a line (the caller redacts)."""
    if action == "set":
        check_webhook_settings(settings)
        want = wanted(settings, ALLOWED_UPDATES)
        # the menu needs the labels only: the workers check every template when they start
        catalog = load_catalog(
            settings.founder_coach_flows_dir, settings.founder_coach_content_dir, strict=False
        )
        if catalog.problems:
            raise FlowDefinitionError(list(catalog.problems))
        renderer = Renderer(catalog, default_locale=settings.founder_coach_locale)
    async with _bot(settings) as bot:
        if action == "info":
            info = await with_retries("getWebhookInfo", bot.get_webhook_info)
            for line in describe(info, _wanted_or_none(settings)):
                say(line)
            return 0
        if action == "delete":
            await with_retries(
                "deleteWebhook", lambda: bot.delete_webhook(drop_pending_updates=False)
            )
            say("webhook deleted; pending updates are kept for long polling")
            return 0
        changed = await register(bot, want, force=force)
        if changed:
            say(f"webhook set: {want.url} ({', '.join(changed)})")
        else:
            say(f"webhook unchanged: {want.url} (Telegram's matches the settings)")
        locales = await set_commands(bot, renderer)
        say(f"command menus set: {', '.join(locales)}")
    return 0
