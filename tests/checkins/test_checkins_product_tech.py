"""A commitment from /product_tech is followed up as product and technology work.

End to end through the Coach and the check-in dispatcher (frozen clock, real SQLite): the
commitment keeps its flow, and when its check-in is answered the advice is the product
flow's own ("write down what it showed"), not the generic words.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.checkins.service import CheckinService
from bot.clock import FrozenClock
from bot.coach import Coach
from tests.checkins.conftest import Outbox
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say
from tests.dbrows import rows

# a prompt on one provider's API, public data only, spot checks, nothing stops a copy
ANSWERS = {"approach": "1", "providers": "1", "data_assets": "5", "feedback_loop": "3",
           "evaluation": "3", "moats": "6", "copy_threat": "1", "revenue": "0",
           "compute_spend": "12k"}  # fmt: skip


async def test_a_product_commitment_gets_product_checkin_advice(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    await onboard(full_coach)
    replies = await say(full_coach, ADA, "/product_tech")
    for _ in range(20):
        question = last_question(replies)
        if question.flow != "product_tech":
            break
        replies = await say(
            full_coach, ADA, "1" if question.type == "review" else ANSWERS[question.step]
        )
    pick = last_question(replies)
    assert (pick.flow, pick.step) == ("commit", "pick")
    offered = pick.options[0].label
    await say(full_coach, ADA, "1")
    await say(full_coach, ADA, "/skip")
    await say(full_coach, ADA, "in_a_week")
    replies = await say(full_coach, ADA, "h09")
    assert last_question(replies).type == "menu"
    db = full_coach.db
    assert await rows(db, "SELECT text, flow_id FROM commitments") == [(offered, "product_tech")]
    [(checkin_id,)] = await rows(db, "SELECT id FROM checkins")
    clock.advance(timedelta(days=30))  # its horizon: up to four weeks, a weekend moved on
    await service.fire(checkin_id)
    question = outbox.sent[0][1][-1]
    assert (question.flow, question.step) == ("checkin", "outcome")
    await say(full_coach, ADA, "done")
    replies = await say(full_coach, ADA, "/skip")
    advice = "\n".join(r.text for r in replies if r.type == "advice")
    assert "Done: write down what it showed" in advice
    assert f"“{offered}”" in advice
