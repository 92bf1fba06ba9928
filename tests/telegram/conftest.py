"""A running bot: the real PTB Application long-polling the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.adapters.telegram.application import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.engine import Catalog
from tests import postgres_server
from tests.fakes.bot_api import BotMessage, FakeBotApi

TOKEN = "123456:TEST-token-do-not-log"
WAIT = 10.0


def bot_settings(fake: FakeBotApi, db: Path, **extra: Any) -> Settings:
    return Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        founder_coach_db=db,
        **extra,
    )


@asynccontextmanager
async def running_bot(settings: Settings, catalog: Catalog) -> AsyncIterator[Application]:
    """Start the bot as run_polling would (post_init included) and stop it cleanly."""
    app = build_application(settings, catalog)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=1, poll_interval=0, allowed_updates=ALLOWED_UPDATES
        )
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server
        assert server.unknown_methods == []


@pytest.fixture
async def bot(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> AsyncIterator[Application]:
    async with running_bot(bot_settings(fake, tmp_path / "bot.db"), real_catalog) as app:
        yield app


async def until(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:  # noqa: ASYNC109
    """Poll the fake's state until ``predicate`` is truthy; return its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)


class Founder:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(
        self, fake: FakeBotApi, user_id: int, *, language_code: str = "en", name: str = "Ada"
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.language_code = language_code
        self.name = name

    def messages(self) -> list[BotMessage]:
        return [m for m in self.fake.bot_messages(self.user_id) if not m.deleted]

    async def _after(self, act: Callable[[], Any], expect: str | None) -> BotMessage:
        seen = len(self.messages())
        act()

        def arrived() -> BotMessage | None:
            new = self.messages()[seen:]
            for message in reversed(new):
                if expect is None or expect in (message.text or ""):
                    return message
            return None

        return await until(arrived)

    async def send(self, text: str, *, expect: str | None = None) -> BotMessage:
        """Type a message; return the newest reply (containing ``expect`` if given)."""
        return await self._after(
            lambda: self.fake.user_sends(
                self.user_id, text, first_name=self.name, language_code=self.language_code
            ),
            expect,
        )

    async def start(self, *, expect: str = "(1/8)") -> BotMessage:
        """/start, then agree to the privacy note; return the first question."""
        consent = await self.send("/start")  # welcome and consent arrive as one message
        return await self.tap(consent, consent.buttons()[0]["text"], expect=expect)

    async def tap(
        self, message: BotMessage, label: str, *, expect: str | None = None
    ) -> BotMessage:
        """Tap the button whose label contains ``label``; return the newest reply."""
        data = button(message, label)
        return await self._after(
            lambda: self.fake.user_taps(
                self.user_id, message.message_id, data, language_code=self.language_code
            ),
            expect,
        )

    def current(self, message_id: int) -> BotMessage:
        return next(m for m in self.fake.bot_messages(self.user_id) if m.message_id == message_id)


def button(message: BotMessage, label: str) -> str:
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise LookupError(f"no button {label!r} in {message.reply_markup}")


def progress(message: BotMessage) -> tuple[int, int] | None:
    found = re.match(r"^\((\d+)(?:/| of up to )(\d+)\)", message.text or "")
    return (int(found[1]), int(found[2])) if found else None


def rows(db: Path | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """A query's rows, read beside the bot: from the SQLite file, or a PostgreSQL URL."""
    if isinstance(db, str):
        return postgres_server.query(db, sql, *params)
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()
