"""Languages: the founder's choice, else the client's language, else the default."""

from __future__ import annotations

from bot.coach import Coach
from bot.models import UserRef
from tests.coach.helpers import ADA, ONBOARDING_ANSWERS, last_question, say, start

LIN = UserRef(channel="telegram", external_id="42", display_name="Lin", language_code="zh-hans")


async def test_client_language_picks_chinese(coach: Coach) -> None:
    """A Chinese client is greeted in Chinese without choosing anything."""
    replies = await start(coach, LIN)
    assert last_question(replies).text == "（1/8）先认识一下：怎么称呼你？"


async def test_lang_command_switches_and_repeats_the_question(coach: Coach) -> None:
    """/lang zh answers in Chinese from then on and asks the same question again."""
    assert {reply.locale for reply in await start(coach, ADA)} == {"en"}
    replies = await say(coach, ADA, "/lang zh")
    assert replies[0].text == "好的，之后我用中文和你交流。"
    assert {reply.locale for reply in replies} == {"zh"}  # adapters label buttons by it
    assert last_question(replies).step == "name"
    assert "怎么称呼你" in last_question(replies).text
    replies = await say(coach, ADA, "/lang klingon")
    assert replies[0].text.startswith("我会说英文")


async def test_onboarding_language_answer_sets_the_locale(coach: Coach) -> None:
    """Choosing 中文 in onboarding turns the review into Chinese at once."""
    replies = await start(coach, ADA)
    for _, text in ONBOARDING_ANSWERS[:7]:
        replies = await say(coach, ADA, text)
    replies = await say(coach, ADA, "中文")
    review = last_question(replies)
    assert review.text == "这是你的档案。确认无误就保存，或者选一项修改。"
    assert review.options[0].label == "没问题，保存"
    assert "阶段：原型阶段：有可用的 Demo" in [o.label for o in review.options]


async def test_chinese_founder_can_answer_with_chinese_labels(coach: Coach) -> None:
    """Option labels in Chinese and numbers like 3万 are understood."""
    replies = await start(coach, LIN)
    for text in ("林", "深度求索", "帮小律所用开源模型审合同，省一半时间。"):
        replies = await say(coach, LIN, text)
    replies = await say(coach, LIN, "有收入：已经有付费客户")
    assert last_question(replies).step == "sector"
    replies = await say(coach, LIN, "基础大模型")
    replies = await say(coach, LIN, "12人")
    assert last_question(replies).step == "timezone"
    replies = await say(coach, LIN, "深圳")
    assert last_question(replies).step == "language"
