"""The send budget goes to replies first: a burst of taps against a slow send limit.

The real Application, the fake Bot API on 127.0.0.1, the rate limiter at 10 messages a
second. Sixty founders tap "Done" on a check-in at once: sixty replies need six seconds
of budget.
Their replies must not wait behind the cosmetic edits of the answered questions, a turn
must cost about one paced call, and every founder must still see what they chose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from telegram.ext import Application

from bot.engine import Catalog
from tests.fakes.bot_api import Call, FakeBotApi
from tests.telegram.conftest import Founder, bot_settings, button, running_bot, until
from tests.telegram.seeding import checkin_messages, seed

RATE = 10.0
FOUNDERS = range(9301, 9361)
PACED = ("sendmessage", "editmessagetext", "editmessagereplymarkup")
EDITS = PACED[1:]


def _idle(app: Application) -> bool:
    return app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0


async def test_a_burst_of_taps_costs_one_paced_call_each_and_replies_go_first(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    await seed(db, FOUNDERS, due=datetime.now(UTC))
    settings = bot_settings(
        fake, db, telegram_max_rate=RATE, founder_coach_quiet_hours="00:00-00:00"
    )
    async with running_bot(settings, real_catalog) as app:
        await until(lambda: all(checkin_messages(fake, f) for f in FOUNDERS), timeout=30)
        await until(lambda: _idle(app))
        founders = [Founder(fake, user_id) for user_id in FOUNDERS]
        asked = {f.user_id: f.messages()[-1] for f in founders}
        chosen = asked[FOUNDERS[0]].buttons()[0]["text"]  # "Done"
        mark = len(fake.calls)
        for founder in founders:
            question = asked[founder.user_id]
            fake.user_taps(founder.user_id, question.message_id, button(question, chosen))
        for founder in founders:
            await until(lambda f=founder: len(f.messages()) > 1, timeout=30)
        transport = app.bot_data["transport"]
        await until(lambda: _idle(app) and not getattr(transport, "looks", ()), timeout=30)

        burst: list[Call] = [c for c in fake.calls[mark:] if c.status is not None]
        paced = [c for c in burst if c.method.lower() in PACED]
        replies = [c for c in paced if c.method.lower() == "sendmessage"]
        assert len(replies) == len(FOUNDERS)
        assert len(paced) / len(FOUNDERS) <= 1.05, fake.dump_calls()
        # no reply waited for an edit: every edit made in the burst came after the last reply
        last_reply = burst.index(replies[-1])
        assert not [c for c in burst[:last_reply] if c.method.lower() in EDITS]
        # answering the taps is not paced as a message: all answered before half the replies
        answers = [i for i, c in enumerate(burst) if c.method.lower() == "answercallbackquery"]
        assert len(answers) == len(FOUNDERS)
        assert answers[-1] < burst.index(replies[len(replies) // 2])
        # each founder sees their choice: on the edited question, or atop the next reply
        for founder in founders:
            question = founder.current(asked[founder.user_id].message_id)
            reply = founder.messages()[-1]
            if f"Your answer: {chosen}" in (question.text or ""):
                assert question.reply_markup is None
            else:
                assert (reply.text or "").startswith(f"Your answer: {chosen}\n\n"), reply.text


async def test_one_founder_alone_gets_the_edit_not_the_header(
    bot: Application, fake: FakeBotApi
) -> None:
    """Below the limit the spare budget carries the edit, and the next question is clean."""
    ada = Founder(fake, 9401)
    await ada.start()
    await ada.send("Ada", expect="(2/8)")
    await ada.send("Acme", expect="(3/8)")
    stage = await ada.send("We review contracts for small law firms.", expect="(4/8)")
    nxt = await ada.tap(stage, "Prototype", expect="(5/8)")
    edited = await until(lambda: (m := ada.current(stage.message_id)).reply_markup is None and m)
    assert "Your answer: Prototype" in edited.text
    assert "Your answer" not in nxt.text
