"""Test-only fakes: a fake Telegram Bot API server (``tests.fakes.bot_api``)."""
