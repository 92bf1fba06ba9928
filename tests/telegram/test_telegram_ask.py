"""/ask in Telegram, through the real Application and the fake Bot API."""

from __future__ import annotations

from telegram.ext import Application

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder
from tests.telegram.test_telegram_flows import onboard


async def test_ask_answers_with_a_go_deeper_button(bot: Application, fake: FakeBotApi) -> None:
    ada = Founder(fake, 131)
    await onboard(ada)
    answer = await ada.send("/ask how long should my runway be?", expect="runway")
    assert "Count runway in months" in answer.text
    assert [b["text"] for b in answer.buttons()] == ["Go deeper: Funding"]
    opened = await ada.tap(answer, "Go deeper", expect="Let's look at your money")
    assert opened.text.startswith("Funding")


async def test_ask_alone_then_the_question_and_i_dont_know(
    bot: Application, fake: FakeBotApi
) -> None:
    ada = Founder(fake, 132)
    await onboard(ada)
    await ada.send("/ask", expect="What would you like to know?")
    unknown = await ada.send("what is the capital of Australia", expect="I don't know that one")
    assert unknown.buttons() == []
