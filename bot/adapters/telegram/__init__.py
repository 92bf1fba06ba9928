"""The Telegram adapter (python-telegram-bot)."""

from bot.adapters.telegram.application import build_application, run_telegram

__all__ = ["build_application", "run_telegram"]
