"""In Telegram: the top three pieces of advice, the rest behind a "More advice" button, and a
commitment picker declined with one tap on "Not now"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram.ext import Application

from tests.fakes.bot_api import BotMessage, FakeBotApi
from tests.telegram.conftest import Founder, rows, until
from tests.telegram.test_telegram_flows import onboard

WORDS = {
    "en": {"more": "More advice (", "more_title": "More advice: Team", "not_now": "Not now",
           "declined": "No commitments this time", "picker": "Pick up to three",
           "problem": "our only ML engineer is threatening to leave for a big lab"},
    "zh": {"more": "更多建议（", "more_title": "更多建议：团队", "not_now": "暂时不用",
           "declined": "这次不定承诺也没关系", "picker": "最多选三件",
           "problem": "唯一的算法工程师要被大厂挖走了"},
}  # fmt: skip


def with_button(founder: Founder, label: str) -> BotMessage | None:
    for message in reversed(founder.messages()):
        if any(label in button["text"] for button in message.buttons()):
            return message
    return None


def numbered(founder: Founder, index: int) -> bool:
    """Whether an advice item numbered ``index`` has arrived (a line of its own; replies in
    a row may arrive joined in one message)."""
    return any(re.search(rf"(?m)^{index}\. ", m.text or "") for m in founder.messages())


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_more_advice_is_a_button_and_not_now_declines_in_one_tap(
    bot: Application, fake: FakeBotApi, tmp_path: Path, locale: str
) -> None:
    words = WORDS[locale]
    ada = Founder(fake, 131 if locale == "en" else 132)
    await onboard(ada)
    if locale == "zh":
        await ada.send("/lang zh", expect="之后我用中文")
    await ada.send("/team", expect="(1" if locale == "en" else "（第 1 题")
    for text in ("3", "2", "2", "1", "1", "4", "2", words["problem"], "9", "0"):
        await ada.send(text)
    await ada.send("1", expect=words["picker"])
    assert numbered(ada, 3)
    assert not numbered(ada, 4)  # only three in full
    offer = await until(lambda: with_button(ada, words["more"]))
    assert "/more" not in (offer.text or "")  # a button here, not a command to type
    picker = await until(lambda: with_button(ada, words["not_now"]))

    await ada.tap(offer, words["more"], expect=words["more_title"])
    await until(lambda: numbered(ada, 4))
    # tapped: the button goes (a cosmetic edit, sent after the replies)
    await until(lambda: ada.current(offer.message_id).reply_markup is None)

    await ada.tap(ada.current(picker.message_id), words["not_now"], expect=words["declined"])
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM commitments") == [(0,)]
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM checkins") == [(0,)]
