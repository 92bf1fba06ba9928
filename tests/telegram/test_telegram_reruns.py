"""Issue #11 in Telegram: typed numbers on a re-run, flows before onboarding, /cancel.

The real Application against the fake Bot API: what a founder sees in the chat, and what
the SQLite file holds afterwards.
"""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, button, rows
from tests.telegram.test_telegram_flows import _wait_markup, onboard


def _stage(db: Path) -> list[tuple[str]]:
    return rows(
        db, "SELECT value_json FROM answers WHERE flow_id = 'funding' AND step_id = 'stage'"
    )


async def test_a_typed_number_on_a_rerun_picks_the_option_shown(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    """The stage has its earlier answer: the buttons are the five stages, and the keep
    button says what it keeps; typing 3 stores the third stage shown."""
    ada = Founder(fake, 301)
    await onboard(ada)  # stage: Prototype
    question = await ada.send("/funding", expect="stage")
    labels = [b["text"] for row in question.reply_markup["inline_keyboard"] for b in row]
    assert [label.split(":")[0] for label in labels[:5]] == [
        "Idea",
        "Prototype",
        "MVP",
        "Revenue",
        "Scaling",
    ]
    assert any(label.startswith("Keep: Prototype") for label in labels[5:])
    await ada.send("3", expect="cash")
    assert _stage(tmp_path / "bot.db") == [('"mvp"',)]


async def test_the_keep_button_keeps_the_earlier_answer(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada = Founder(fake, 302)
    await onboard(ada)
    question = await ada.send("/funding", expect="stage")
    await ada.tap(question, "Keep: Prototype", expect="cash")
    assert _stage(tmp_path / "bot.db") == [('"prototype"',)]


async def test_a_flow_command_before_onboarding_resumes_the_profile(
    bot: Application, fake: FakeBotApi
) -> None:
    """/team in the middle of onboarding: no 'Something went wrong', the profile first."""
    ada = Founder(fake, 303)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    reply = await ada.send("/team", expect="(2/8)")
    texts = [m.text or "" for m in ada.messages()]
    assert not any("went wrong" in text for text in texts)
    assert any("let's finish “Your profile” first" in text for text in texts)
    assert "called" in (reply.text or "")  # the startup-name question again


async def test_cancel_pauses_and_the_command_resumes(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    """/cancel mid-team: the menu says paused; /team picks up at the same question."""
    ada = Founder(fake, 304)
    await onboard(ada)
    question = await ada.send("/team", expect="(1")
    fake.user_taps(304, question.message_id, button(question, "Software engineer"))
    toggled = await _wait_markup(ada, question.message_id, "✓ Software engineer")
    await ada.tap(toggled, "Done", expect="(2")
    menu = await ada.send("/cancel", expect="What would you like to work on?")
    labels = [b["text"] for row in menu.reply_markup["inline_keyboard"] for b in row]
    assert any(label.startswith("Team: paused at question 2 of") for label in labels)
    resumed = await ada.send("/team", expect="(2")
    assert any("Picking up “Team” where you left it." in (m.text or "") for m in ada.messages())
    assert resumed.text is not None
    answers = rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM answers WHERE flow_id = 'team'")
    assert answers == [(1,)]
