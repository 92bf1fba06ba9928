"""A check-in note is heard: the founder says what held them back, and the advice fits it.

End to end through the dispatcher and the Coach (frozen clock, real SQLite): the note is
quoted, never matched by keyword, and the choice after it picks the advice (issue #13).
"""

from __future__ import annotations

from datetime import timedelta

from bot.checkins.service import CheckinService
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.storage import checkins
from tests.checkins.conftest import Outbox
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say

CHURN = "I didn't want to send an update with a churned pilot in it, felt embarrassing"


async def _fire(coach: Coach, service: CheckinService, clock: FrozenClock, text: str) -> None:
    await onboard(coach)
    async with coach.db.transaction() as conn:
        commitment = await checkins.add_commitment(
            conn, user_id=1, topic="funding", text=text, now=clock.now()
        )
        checkin_id = await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now(), timezone="Asia/Shanghai",
            local_intent="2026-03-02T17:00", now=clock.now(), commitment_id=commitment,
        )  # fmt: skip
    clock.advance(timedelta(hours=1))
    await service.fire(checkin_id)


async def test_bad_news_held_back_gets_advice_on_telling_investors(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock
) -> None:
    await _fire(full_coach, service, clock, "Send your first monthly investor update")
    await say(full_coach, ADA, "Not yet")
    replies = await say(full_coach, ADA, CHURN)
    question = last_question(replies)
    assert question.step == "blocker"
    assert "Something else" in [o.label for o in question.options]
    replies = await say(full_coach, ADA, "It felt awkward: bad news or a hard conversation")
    assert last_question(replies).step == "next"
    replies = await say(full_coach, ADA, "In a week")
    advice = "\n".join(r.text for r in replies if r.type == "advice")
    assert "Investors expect bad news" in advice
    assert f"“{CHURN}”" in advice
    assert "smaller step" not in advice
    assert "Shrink it" not in advice


async def test_in_chinese_the_same_choice_by_number(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock
) -> None:
    await _fire(full_coach, service, clock, "发出第一封投资人月报")
    await say(full_coach, ADA, "/lang zh")
    await say(full_coach, ADA, "还没做")
    replies = await say(full_coach, ADA, "不想发一封写着试点客户流失的月报，觉得丢人")
    assert "下面哪一项最接近" in last_question(replies).text
    await say(full_coach, ADA, "4")
    replies = await say(full_coach, ADA, "3 天后")
    advice = "\n".join(r.text for r in replies if r.type == "advice")
    assert "投资人本来就预期会有坏消息" in advice
    assert "更小的一步" not in advice
