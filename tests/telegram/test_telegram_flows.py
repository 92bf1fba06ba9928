"""A founder in Telegram: onboarding and a coaching flow by taps and messages."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, button, progress, rows, until

ONBOARDING_TEXT = [
    ("Ada", "(2/8)"),
    ("Acme AI", "(3/8)"),
    ("We review contracts for small law firms.", "(4/8)"),
]


async def onboard(ada: Founder) -> None:
    reply = await ada.start()
    for text, expect in ONBOARDING_TEXT:
        reply = await ada.send(text, expect=expect)
    reply = await ada.tap(reply, "Prototype", expect="(5/8)")
    reply = await ada.tap(reply, "AI application", expect="(6/8)")
    reply = await ada.send("4", expect="(7/8)")
    reply = await ada.send("Shanghai", expect="(8/8)")
    reply = await ada.tap(reply, "English", expect="Here is your profile")
    await ada.tap(reply, "Looks right", expect="What would you like to work on?")


async def test_onboarding_then_team_flow_by_taps(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada = Founder(fake, 101)
    await onboard(ada)
    facts = dict(
        rows(
            tmp_path / "bot.db", "SELECT name, value_json FROM facts WHERE flow_id = 'onboarding'"
        )
    )
    assert facts["stage"] == '"prototype"'
    assert facts["timezone"] == '"Asia/Shanghai"'

    menu = ada.messages()[-1]
    question = await ada.tap(menu, "Team:", expect="(1")
    # multiple choice: toggles show ✓ and change nothing stored until Done
    fake.user_taps(101, question.message_id, button(question, "Software engineer"))
    toggled = await _wait_markup(ada, question.message_id, "✓ Software engineer")
    fake.user_taps(101, question.message_id, button(toggled, "Product manager"))
    toggled = await _wait_markup(ada, question.message_id, "✓ Product manager")
    assert "✓ Software engineer" in [b["text"] for b in toggled.buttons()]
    assert rows(tmp_path / "bot.db", "SELECT COUNT(*) FROM answers WHERE flow_id = 'team'") == [
        (0,)
    ]
    nxt = await ada.tap(toggled, "Done", expect="(2")
    # the edit follows the reply (it never holds a reply back)
    answered = await until(
        lambda: (m := ada.current(question.message_id)).reply_markup is None and m
    )
    assert answered.text.endswith("Your answer: Software engineer, Product manager")
    assert progress(nxt) == (2, progress(nxt)[1])
    stored = rows(tmp_path / "bot.db", "SELECT value_json FROM answers WHERE step_id = 'roles'")
    assert stored == [('["software_engineer", "product_manager"]',)]


async def _wait_markup(ada: Founder, message_id: int, label: str):
    return await until(
        lambda: (
            (m := ada.current(message_id)) and any(label in b["text"] for b in m.buttons()) and m
        )
    )


async def test_back_and_skip_buttons(bot: Application, fake: FakeBotApi) -> None:
    ada = Founder(fake, 102)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    pitch = await ada.send("Acme", expect="(3/8)")
    stage = await ada.tap(pitch, "Skip", expect="(4/8)")
    back = await ada.tap(stage, "Back", expect="(3/8)")
    await until(lambda: ada.current(stage.message_id).reply_markup is None)  # after the reply
    assert "(3/8)" in back.text


async def test_founder_text_is_escaped(bot: Application, fake: FakeBotApi) -> None:
    """A founder typing <b> and & sees exactly that, not formatting."""
    ada = Founder(fake, 103)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    reply = await ada.send("<b>Acme</b> & Co", expect="(3/8)")
    assert "<b>Acme</b> & Co" in reply.text
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in reply.raw_text


async def test_bad_input_over_telegram(bot: Application, fake: FakeBotApi, tmp_path: Path) -> None:
    ada = Founder(fake, 104)
    await ada.start()
    error = await ada.send("x" * 10_000, expect="please keep it within 60")
    question = ada.messages()[-1]
    assert "(1/8)" in question.text
    assert error.message_id <= question.message_id
    await ada.send("🚀 Ada", expect="(2/8)")
    await ada.send("/nonsense", expect="is not a command I know")
    await ada.send("", expect="I did not get an answer")
    assert rows(tmp_path / "bot.db", "SELECT value_json FROM answers") == [('"🚀 Ada"',)]


async def test_forged_and_stale_buttons_change_nothing(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada = Founder(fake, 105)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    await ada.send("Acme", expect="(3/8)")
    stage = await ada.send("We review contracts for small law firms.", expect="(4/8)")
    before = rows(tmp_path / "bot.db", "SELECT * FROM answers")
    data = button(stage, "Prototype")
    run_id = int(data.split(":")[1])
    for forged in (
        f"q:{run_id + 7}:stage:1",
        f"q:{run_id}:name:0",
        f"q:{run_id}:stage:42",
        "zz:top",
        "m:99",
    ):
        seen = len(ada.messages())
        fake.user_taps(105, stage.message_id, forged, strict=False)
        notice = await until(lambda s=seen: ada.messages()[s:] and ada.messages()[-1])
        assert "earlier question" in (notice.text or "") or "button" in (notice.text or "")
    assert rows(tmp_path / "bot.db", "SELECT * FROM answers") == before
    answered = await ada.tap(stage, "Prototype", expect="(5/8)")
    assert "(5/8)" in answered.text
    await until(lambda: ada.current(stage.message_id).reply_markup is None)  # keyboard gone
    # a replay of the old button (a double tap racing the edit) is stale
    seen = len(ada.messages())
    fake.user_taps(105, stage.message_id, data, strict=False)
    notice = await until(lambda: ada.messages()[seen:] and ada.messages()[-1])
    assert "earlier question" in notice.text
    assert len(rows(tmp_path / "bot.db", "SELECT * FROM answers WHERE step_id = 'stage'")) == 1


async def test_two_founders_interleave_without_crossing(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    ada, bo = (
        Founder(fake, 201, name="Ada"),
        Founder(fake, 202, name="Bo", language_code="zh-hans"),
    )
    await ada.start()
    await bo.start(expect="（1/8）")
    await ada.send("Ada", expect="(2/8)")
    await bo.send("博", expect="（2/8）")
    await ada.send("Ada Labs", expect="(3/8)")
    await bo.send("博远科技", expect="（3/8）")
    assert not any("博" in (m.text or "") for m in ada.messages())
    assert not any("Ada" in (m.text or "") for m in bo.messages())
    names = dict(rows(tmp_path / "bot.db", "SELECT external_id, display_name FROM users"))
    assert names == {"201": "Ada", "202": "博"}


async def test_commands_are_registered_in_both_languages(
    bot: Application, fake: FakeBotApi
) -> None:
    default = fake.my_commands()
    english = fake.my_commands(language_code="en")
    chinese = fake.my_commands(language_code="zh")
    assert default == english
    assert [c["command"] for c in english] == [c["command"] for c in chinese]
    assert {
        "start",
        "menu",
        "team",
        "funding",
        "marketing",
        "business_model",
        "privacy",
        "delete_my_data",
    } <= {c["command"] for c in english}
    assert next(c for c in chinese if c["command"] == "funding")["description"] == "融资与现金跑道"
    product = next(c for c in chinese if c["command"] == "product_tech")
    assert product["description"] == "产品与技术：模型、数据、评估、护城河、算力"


async def test_group_chat_gets_a_notice_and_nothing_is_stored(
    bot: Application, fake: FakeBotApi, tmp_path: Path
) -> None:
    fake.user_sends(301, "/start", chat_type="group")
    notice = await until(lambda: fake.bot_messages(-301))
    assert "private chats" in notice[0].text
    fake.user_sends(301, "just chatting", chat_type="group")
    fake.user_sends(302, "/start")
    await until(lambda: fake.bot_messages(302))
    assert len(fake.bot_messages(-301)) == 1
    assert rows(tmp_path / "bot.db", "SELECT external_id FROM users") == [("302",)]
