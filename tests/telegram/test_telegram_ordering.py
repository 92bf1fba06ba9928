"""Founders run concurrently; one founder's updates are handled strictly in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Chat, Message, Update, User
from telegram.ext import Application

from bot.adapters.telegram.processor import PerFounderProcessor
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, rows, until


def _update(update_id: int, user_id: int) -> Update:
    user = User(id=user_id, first_name="A", is_bot=False)
    chat = Chat(id=user_id, type="private")
    message = Message(message_id=update_id, date=None, chat=chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id=update_id, message=message)


async def test_different_founders_run_at_the_same_time() -> None:
    """Founder A's handler waits for founder B's: this only finishes if they overlap."""
    processor = PerFounderProcessor(8)
    b_done = asyncio.Event()

    async def a_handler() -> None:
        await asyncio.wait_for(b_done.wait(), timeout=2)

    async def b_handler() -> None:
        b_done.set()

    await asyncio.gather(
        processor.process_update(_update(1, 1), a_handler()),
        processor.process_update(_update(2, 2), b_handler()),
    )
    assert b_done.is_set()


async def test_one_founders_updates_keep_their_order() -> None:
    """Three updates of one founder, the first slowest: they still finish in order."""
    processor = PerFounderProcessor(8)
    finished: list[int] = []

    async def handler(index: int, delay: float) -> None:
        await asyncio.sleep(delay)
        finished.append(index)

    await asyncio.gather(
        *(
            processor.process_update(_update(i, 7), handler(i, delay))
            for i, delay in enumerate([0.05, 0.01, 0.0])
        )
    )
    assert finished == [0, 1, 2]


async def test_messages_sent_in_a_burst_are_answered_in_order(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    """A founder typing three answers before any reply: stored in the order typed."""
    ada = Founder(fake, 601)
    await ada.start()
    for text in ("Ada", "Acme", "We review contracts for small law firms."):
        fake.user_sends(601, text)
    await until(lambda: any("(4/8)" in (m.text or "") for m in ada.messages()))
    stored = rows(tmp_path / "bot.db", "SELECT step_id, value_json FROM answers ORDER BY id")
    assert stored == [
        ("name", '"Ada"'),
        ("startup", '"Acme"'),
        ("pitch", '"We review contracts for small law firms."'),
    ]
