"""The command menu Telegram shows beside the text box, in every language we speak.

One list (:data:`COMMANDS`) for the bot started alone on SQLite and for ``founder-coach
webhook set`` (several workers, which never touch it): the labels come from the content.
"""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.adapters.telegram.startup import with_retries
from bot.rendering import Target
from bot.rendering.renderer import Renderer

COMMANDS = ("start", "menu", "ask", "team", "funding", "marketing", "business_model",
            "product_tech", "risk_legal", "update", "more", "checkins", "export", "lang",
            "timezone", "cancel", "help", "privacy", "delete_my_data")  # fmt: skip


async def set_commands(bot: Bot, renderer: Renderer) -> list[str]:
    """Register the menu in every locale (the default one is also Telegram's fallback).

    Returns the locales set.
    """
    locales = list(renderer.catalog.locales)
    for locale in locales:
        commands = [
            BotCommand(name, renderer.ui(f"commands.{name}", locale, Target.PLAIN))
            for name in COMMANDS
        ]
        await with_retries(
            "setMyCommands",
            lambda commands=commands, locale=locale: bot.set_my_commands(
                commands, language_code=locale
            ),
        )
        if locale == renderer.default_locale:
            await with_retries(
                "setMyCommands", lambda commands=commands: bot.set_my_commands(commands)
            )
    return locales
