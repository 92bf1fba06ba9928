"""What a turn costs in python-telegram-bot objects (issue #14): PTB builds the update it
hands us, and nothing else is built or written back with its generic ``to_dict``.

Counted on the real Application long-polling the fake Bot API, by wrapping PTB's own
``Message.de_json`` and ``TelegramObject.to_dict`` (PTB's code, not ours, is observed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telegram import Message, TelegramObject

from bot.engine import Catalog
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, bot_settings, running_bot, until


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many Messages PTB parses and objects it turns back into dicts."""
    counts = {"messages": 0, "to_dict": 0}
    parse = Message.__dict__["de_json"].__func__
    to_dict = TelegramObject.to_dict

    def counted_parse(cls: type[Message], data: Any, bot: Any = None) -> Message:
        counts["messages"] += 1
        return parse(cls, data, bot)

    def counted_to_dict(self: TelegramObject, recursive: bool = True) -> Any:
        counts["to_dict"] += 1
        return to_dict(self, recursive)

    monkeypatch.setattr(Message, "de_json", classmethod(counted_parse))
    monkeypatch.setattr(TelegramObject, "to_dict", counted_to_dict)
    return counts


async def test_a_typed_answer_parses_only_the_founders_message(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog, built: dict[str, int]
) -> None:
    """The founder's message is parsed once (PTB's handlers need it); the reply's answer
    from Telegram is not parsed (nobody reads it); the update is stored as it came and the
    reply's keyboard and options are written as JSON directly, none through ``to_dict``."""
    async with running_bot(bot_settings(fake, tmp_path / "bot.db"), real_catalog):
        ada = Founder(fake, 701)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        before = dict(built)
        await ada.send("Acme", expect="(3/8)")
        assert built["messages"] - before["messages"] == 1  # the update's message
        assert built["to_dict"] - before["to_dict"] == 0


async def test_a_tap_and_its_edit_parse_only_the_tapped_message(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog, built: dict[str, int]
) -> None:
    """A tap: the update (with the tapped question) is parsed; the next question's answer
    and the edit's answer from Telegram are not."""
    async with running_bot(bot_settings(fake, tmp_path / "bot.db"), real_catalog):
        ada = Founder(fake, 702)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        await ada.send("Acme", expect="(3/8)")
        stage = await ada.send("We review contracts for small law firms.", expect="(4/8)")
        before = dict(built)
        await ada.tap(stage, "Prototype", expect="(5/8)")
        await until(lambda: ada.current(stage.message_id).reply_markup is None)  # edited
        assert fake.calls_of("editMessageText")
        assert built["messages"] - before["messages"] == 1  # the tapped question, in the update
        assert built["to_dict"] - before["to_dict"] == 0
