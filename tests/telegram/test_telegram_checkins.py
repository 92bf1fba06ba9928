"""Check-ins over Telegram: caught up once, never doubled by a crash, paced under limits."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.engine import Catalog
from tests.fakes.bot_api import BotMessage, FakeBotApi
from tests.telegram.conftest import bot_settings, rows, running_bot, until
from tests.telegram.processes import START_TIMEOUT, bot_process
from tests.telegram.processes import stop as _stop
from tests.telegram.seeding import COMMITMENT, checkin_messages, seed

LEASE = "FOUNDER_COACH_CHECKIN_LEASE_SECONDS"


async def test_a_missed_checkin_is_caught_up_exactly_once(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    due = datetime.now(UTC) - timedelta(hours=2)  # missed while the bot was down
    await seed(db, range(801, 802), due=due)
    settings = bot_settings(fake, db, founder_coach_quiet_hours="00:00-00:00")
    async with running_bot(settings, real_catalog):
        await until(lambda: checkin_messages(fake, 801))
    async with running_bot(settings, real_catalog):
        await fake.wait_for_poll()
        await asyncio.sleep(0.5)  # give a wrong second send its chance
    assert len(checkin_messages(fake, 801)) == 1
    assert rows(db, "SELECT status, attempts FROM checkins") == [("sent", 1)]


async def test_answering_a_checkin_by_tap_is_stored(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    await seed(db, range(802, 803), due=datetime.now(UTC))
    settings = bot_settings(fake, db, founder_coach_quiet_hours="00:00-00:00")
    async with running_bot(settings, real_catalog):
        await until(lambda: checkin_messages(fake, 802))
        message = next(m for m in fake.bot_messages(802) if COMMITMENT in (m.text or ""))
        done = next(b["callback_data"] for b in message.buttons() if b["text"].startswith("Done"))
        seen = len(fake.bot_messages(802))
        fake.user_taps(802, message.message_id, done)
        await until(lambda: len(fake.bot_messages(802)) > seen)  # asks for an optional note
        fake.user_sends(802, "/skip")
        await until(lambda: rows(db, "SELECT outcome FROM checkins WHERE outcome IS NOT NULL"))
    assert rows(db, "SELECT outcome FROM checkins") == [("done",)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM commitments").fetchone() == ("done",)


async def test_sigkill_after_the_message_left_sends_it_at_most_twice(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """The message reaches Telegram, the bot dies before hearing back: the outcome is
    unknown, so once the lease is over it is sent again: one duplicate, never zero."""
    db = tmp_path / "bot.db"
    await seed(db, range(803, 804), due=datetime.now(UTC) - timedelta(minutes=1))
    fake.delay("sendMessage", 30, after_processing=True, times=1)
    extra = {"FOUNDER_COACH_QUIET_HOURS": "00:00-00:00", LEASE: "2"}
    async with bot_process(fake, db, **extra) as proc:
        await until(lambda: checkin_messages(fake, 803), timeout=START_TIMEOUT)
        await _stop(proc, signal.SIGKILL)
    assert rows(db, "SELECT status FROM checkins") == [("sending",)]
    fake.delay("sendMessage", None)
    async with bot_process(fake, db, **extra) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await until(lambda: rows(db, "SELECT status FROM checkins") == [("sent",)])
        await _stop(proc, signal.SIGTERM)
    assert len(checkin_messages(fake, 803)) == 2
    assert rows(db, "SELECT result FROM checkin_attempts ORDER BY id") == [
        ("interrupted",),
        ("sent",),
    ]


async def test_sigkill_between_claim_and_send_still_delivers_it(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """Claimed, then killed before Telegram took the message: sent after the restart, once
    (it used to count as sent and never arrive)."""
    db = tmp_path / "bot.db"
    await seed(db, range(804, 805), due=datetime.now(UTC) - timedelta(minutes=1))
    fake.delay("sendMessage", 30, times=1)  # held before it is processed: never delivered
    extra = {"FOUNDER_COACH_QUIET_HOURS": "00:00-00:00", LEASE: "2"}
    async with bot_process(fake, db, **extra) as proc:
        await until(
            lambda: rows(db, "SELECT status FROM checkins") == [("sending",)],
            timeout=START_TIMEOUT,
        )
        await fake.wait_for_call("sendMessage", n=0)
        await asyncio.sleep(0.3)  # the send is held by the fake
        await _stop(proc, signal.SIGKILL)
    assert checkin_messages(fake, 804) == []
    fake.delay("sendMessage", None)
    async with bot_process(fake, db, **extra) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await until(lambda: rows(db, "SELECT status FROM checkins") == [("sent",)])
        await _stop(proc, signal.SIGTERM)
    assert len(checkin_messages(fake, 804)) == 1


async def test_a_blocked_founder_gets_checkins_again_after_writing(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """403 on a check-in pauses that founder's check-ins (the next one too); when they write
    again, /checkins lists the future one and it is scheduled, not cancelled for good."""
    db = tmp_path / "bot.db"
    await seed(db, range(805, 806), due=datetime.now(UTC) - timedelta(minutes=1))
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO checkins (user_id, kind, due_at, timezone, status, created_at)"
            " VALUES (1, 'weekly_update', ?, 'UTC', 'scheduled', ?)",
            ((datetime.now(UTC) + timedelta(days=7)).isoformat(), datetime.now(UTC).isoformat()),
        )
    fake.block(805)
    settings = bot_settings(fake, db, founder_coach_quiet_hours="00:00-00:00")
    async with running_bot(settings, real_catalog):
        await until(lambda: rows(db, "SELECT active FROM users") == [(0,)])
        await until(
            lambda: (
                rows(db, "SELECT status FROM checkins ORDER BY id")
                == [("paused_blocked",), ("paused_blocked",)]
            )
        )
        fake.unblock(805)
        fake.user_sends(805, "/checkins")
        await until(lambda: any("Nothing is scheduled" in (m.text or "") or "1." in (m.text or "")
                                for m in fake.bot_messages(805)))  # fmt: skip
        texts = " ".join(m.text or "" for m in fake.bot_messages(805))
        assert "Nothing is scheduled" not in texts
        # the one that drew the 403 is recent: it goes out now; the weekly one waits its day
        await until(lambda: checkin_messages(fake, 805))
        await until(
            lambda: (
                rows(db, "SELECT status FROM checkins ORDER BY id") == [("sent",), ("scheduled",)]
            )
        )
    assert rows(db, "SELECT active FROM users") == [(1,)]


async def test_a_hundred_checkins_due_at_once_arrive_without_429(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    db = tmp_path / "bot.db"
    founders = range(1000, 1100)
    await seed(db, founders, due=datetime.now(UTC))
    fake.rate_limit(30)  # Telegram's overall limit
    settings = bot_settings(fake, db, founder_coach_quiet_hours="00:00-00:00")
    async with running_bot(settings, real_catalog):
        await until(lambda: all(checkin_messages(fake, f) for f in founders), timeout=60)
    assert fake.count_429 == 0
    assert all(len(checkin_messages(fake, f)) == 1 for f in founders)
    assert rows(db, "SELECT DISTINCT status FROM checkins") == [("sent",)]


async def test_a_commitment_made_in_a_flow_comes_back_as_a_checkin(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """Funding by messages, a commitment picked by taps; at its time it is asked and answered."""
    from tests.telegram.conftest import Founder
    from tests.telegram.test_telegram_flows import onboard

    db = tmp_path / "bot.db"
    settings = bot_settings(fake, db, founder_coach_quiet_hours="00:00-00:00")

    def answers() -> int:
        return rows(db, "SELECT COUNT(*) FROM answers")[0][0]

    async with running_bot(settings, real_catalog) as app:
        ada = Founder(fake, 804)
        await onboard(ada)
        await ada.send("/funding", expect="(1")
        for text in (
            "keep",
            "100k",
            "50k",
            "/skip",
            "500k",
            "1",
            "1",
            "2",
            "1",
            "1",
            "1",
            "1",
        ):
            before = answers()
            fake.user_sends(804, text)
            try:
                await until(lambda b=before: answers() > b)
            except TimeoutError:
                raise AssertionError(
                    f"{text!r}: {[m.text for m in ada.messages()[-2:]]}"
                ) from None
        fake.user_sends(804, "1")  # confirm the review: no answer row, the offer follows
        pick = await until(
            lambda: next(
                (
                    m
                    for m in ada.messages()
                    if "Pick up to three" in (m.text or "") and m.reply_markup
                ),
                None,
            )
        )
        fake.user_taps(804, pick.message_id, pick.callback_data()[0])  # toggle the first
        await until(lambda: "✓" in ada.current(pick.message_id).buttons()[0]["text"])
        # a suggestion of the advice is checked on its own horizon: only the hour is asked
        hour = await ada.tap(ada.current(pick.message_id), "Done", expect="What time of day")
        await ada.tap(hour, "9:00", expect="Times are your local time")
        [(checkin_id, commitment)] = rows(
            db, "SELECT c.id, m.text FROM checkins c JOIN commitments m ON m.id = c.commitment_id"
        )
        assert pick.message_id < hour.message_id
        # the time has come: move it to now, as the clock would
        now = datetime.now(UTC)
        # through the bot's own connection: a blocking write here would stall its loop
        async with app.bot_data["db"].transaction() as conn:
            await conn.execute(
                "UPDATE checkins SET due_at = ? WHERE id = ?", (now.isoformat(), checkin_id)
            )
        app.bot_data["checkins"].schedule(checkin_id, now)

        def checkin_question() -> BotMessage | None:
            for m in reversed(ada.messages()):
                if commitment in (m.text or "") and any(
                    "Not yet" in b["text"] for b in m.buttons()
                ):
                    return m
            return None

        question = await until(checkin_question)
        note = await ada.tap(question, "Not yet")
        nxt = await ada.send("/skip", expect="(3/3)")
        assert note.message_id <= nxt.message_id
        await ada.tap(nxt, "In a week", expect="I will check in with you on")
        # answered: the keyboard goes (a cosmetic edit, sent after the replies)
        await until(lambda: ada.current(question.message_id).reply_markup is None)
    assert rows(db, "SELECT outcome FROM checkins WHERE id = ?".replace("?", str(checkin_id))) == [
        ("not_yet",)
    ]
    assert rows(db, "SELECT status FROM commitments") == [("not_yet",)]
    assert rows(db, "SELECT COUNT(*) FROM checkins WHERE status = 'scheduled'") == [(1,)]
    assert ada.current(question.message_id).reply_markup is None  # answered: keyboard gone
