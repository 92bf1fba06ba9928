"""Check-ins end to end through the Coach and the dispatcher (frozen clock, real SQLite)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.checkins.service import CheckinService, SendResult
from bot.clock import FrozenClock, to_text
from bot.coach import Coach
from bot.models import UserRef
from bot.storage import checkins
from tests.checkins.conftest import Outbox
from tests.coach.helpers import last_question, say
from tests.dbrows import rows

ADA = UserRef(channel="console", external_id="ada", display_name="Ada")
ONBOARDING = [
    "Ada",
    "Acme AI",
    "Contract review for small law firms.",
    "2",
    "4",
    "4",
    "Shanghai",
    "en",
    "1",
]


async def onboard(coach: Coach) -> None:
    await say(coach, ADA, "/start")
    await say(coach, ADA, "1")
    for text in ONBOARDING:
        replies = await say(coach, ADA, text)
    assert last_question(replies).type == "menu"


async def commit_after_funding(coach: Coach) -> list:
    """Walk the funding flow with a short runway so its advice suggests commitments."""
    replies = await say(coach, ADA, "/funding")
    answers = {"stage": "keep", "cash": "100k", "burn": "50k", "compute_spend": "/skip",
               "raise_amount": "500k", "funding_channels": "1", "instrument": "1", "pipeline": "2",
               "investor_updates": "1", "milestones": "1", "use_of_funds": "1",
               "risks": "1"}  # fmt: skip
    for _ in range(30):
        question = last_question(replies)
        if question.flow != "funding":
            return replies
        text = "1" if question.type == "review" else answers[question.step]
        replies = await say(coach, ADA, text)
    raise AssertionError("funding did not finish")


async def test_commitment_becomes_a_checkin_in_the_founders_zone(
    full_coach: Coach, clock: FrozenClock, tmp_path: Path
) -> None:
    """Pick a commitment of a week at 09:00: due 09:00 Shanghai (01:00 UTC) in 7 days."""
    await onboard(full_coach)
    replies = await commit_after_funding(full_coach)
    pick = last_question(replies)
    assert (pick.flow, pick.step, pick.kind) == ("commit", "pick", "multi")
    offered = pick.options[0].label
    replies = await say(full_coach, ADA, "1")
    assert last_question(replies).step == "hour"  # its horizon says when: no "when?"
    replies = await say(full_coach, ADA, "h09")
    assert any(f"{offered}: Mon 9 Mar, 09:00" in r.text for r in replies)
    assert last_question(replies).type == "menu"
    db = full_coach.db
    assert await rows(db, "SELECT text, flow_id, status FROM commitments") == [
        (offered, "funding", "open")
    ]
    assert await rows(db, "SELECT kind, due_at, timezone, local_intent, status FROM checkins") == [
        (
            "commitment",
            "2026-03-09T01:00:00.000000+00:00",
            "Asia/Shanghai",
            "2026-03-09T09:00",
            "scheduled",
        )
    ]


async def _seed(
    coach: Coach, clock: FrozenClock, due: datetime, *, kind: str = "commitment"
) -> int:
    """A consented, onboarded founder with one check-in row due at ``due``."""
    await onboard(coach)
    async with coach.db.transaction() as conn:
        commitment = None
        if kind == "commitment":
            commitment = await checkins.add_commitment(
                conn, user_id=1, topic="funding", text="Send the deck to 5 angels", now=clock.now()
            )
        return await checkins.create(
            conn, user_id=1, kind=kind, due_at=due, timezone="Asia/Shanghai",
            local_intent="2026-03-02T17:00", now=clock.now(), commitment_id=commitment,
        )  # fmt: skip


async def test_fire_sends_once_even_when_fired_twice(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))  # the founder is idle now
    results = await asyncio.gather(service.fire(checkin_id), service.fire(checkin_id))
    assert sorted(results, key=str) == [None, SendResult.SENT]
    assert len(outbox.sent) == 1
    text = "\n".join(outbox.texts())
    assert "Send the deck to 5 angels" in text
    assert await rows(full_coach.db, "SELECT status, attempts FROM checkins") == [("sent", 1)]
    assert await rows(full_coach.db, "SELECT result FROM checkin_attempts") == [("sent",)]


async def test_answer_is_stored_and_the_next_checkin_scheduled(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))
    await service.fire(checkin_id)
    question = outbox.sent[0][1][-1]
    assert (question.flow, question.step) == ("checkin", "outcome")
    replies = await say(full_coach, ADA, "not_yet")
    assert last_question(replies).step == "note"
    replies = await say(full_coach, ADA, "Two meetings moved to next week")
    assert last_question(replies).step == "blocker"  # what held it up, in the founder's choice
    replies = await say(full_coach, ADA, "no_time")
    assert last_question(replies).step == "next"
    replies = await say(full_coach, ADA, "in_3_days")
    assert any(r.type == "advice" for r in replies)
    db = full_coach.db
    assert await rows(db, "SELECT status, outcome, note FROM checkins WHERE id = 1") == [
        ("answered", "not_yet", "Two meetings moved to next week")
    ]
    assert await rows(db, "SELECT status FROM commitments") == [("not_yet",)]
    assert await rows(db, "SELECT status, local_intent FROM checkins WHERE id = 2") == [
        ("scheduled", "2026-03-05T17:00")
    ]


async def test_a_checkin_never_interrupts_a_question(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    checkin_id = await _seed(full_coach, clock, clock.now())
    await say(full_coach, ADA, "/team")  # mid-flow, just now
    assert await service.fire(checkin_id) is None
    assert outbox.sent == []
    assert await rows(full_coach.db, "SELECT status, due_at FROM checkins") == [
        ("scheduled", to_text(clock.now() + timedelta(minutes=5)))
    ]
    clock.advance(timedelta(minutes=30))  # idle for a while: now it may come
    await service.fire(checkin_id)
    assert len(outbox.sent) == 1


async def test_quiet_hours_wait_for_the_morning(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """Due at 23:30 Shanghai: nothing is sent; it moves to 08:00 local."""
    clock._now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))  # 00:30 local, idle
    assert await service.fire(checkin_id) is None
    assert outbox.sent == []
    assert await rows(full_coach.db, "SELECT due_at FROM checkins") == [
        ("2026-03-03T00:00:00.000000+00:00",)
    ]


async def test_catch_up_sends_recent_and_marks_old_missed(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    recent = await _seed(full_coach, clock, clock.now() - timedelta(hours=2))
    async with full_coach.db.transaction() as conn:
        old = await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now() - timedelta(days=2),
            timezone="Asia/Shanghai", local_intent=None, now=clock.now(),
        )  # fmt: skip
    clock.advance(timedelta(hours=1))
    plan = await service.recover()
    assert [checkin_id for checkin_id, _ in plan] == [recent]
    for checkin_id, _ in plan:
        await service.fire(checkin_id)
    await service.fire(recent)
    assert len(outbox.sent) == 1
    db = full_coach.db
    assert dict(await rows(db, "SELECT id, status FROM checkins")) == {
        recent: "sent",
        old: "missed",
    }


async def test_missed_weekly_updates_collapse_into_one(
    full_coach: Coach, service: CheckinService, clock: FrozenClock, tmp_path: Path
) -> None:
    await onboard(full_coach)
    async with full_coach.db.transaction() as conn:
        for days in (15, 8, 0):
            await checkins.create(
                conn, user_id=1, kind="weekly_update",
                due_at=clock.now() - timedelta(days=days, hours=1),
                timezone="Asia/Shanghai", local_intent="2026-03-02T09:00", now=clock.now(),
            )  # fmt: skip
    plan = await service.recover()
    assert [checkin_id for checkin_id, _ in plan] == [3]
    assert dict(await rows(full_coach.db, "SELECT id, status FROM checkins")) == {
        1: "missed",
        2: "missed",
        3: "scheduled",
    }


async def test_one_reminder_then_missed(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))
    await service.fire(checkin_id)
    clock.advance(timedelta(hours=25))
    await service.sweep()
    assert len(outbox.sent) == 2  # the reminder
    clock.advance(timedelta(hours=25))
    await service.sweep()
    await service.sweep()
    assert len(outbox.sent) == 2
    db = full_coach.db
    assert await rows(db, "SELECT status FROM checkins") == [("missed",)]
    assert await rows(db, "SELECT status FROM flow_runs WHERE flow_id = 'checkin'") == [
        ("cancelled",)
    ]


async def test_blocked_founder_pauses_checkins_until_they_write_again(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """A 403 pauses every scheduled check-in (not cancelled); writing again resumes them."""
    first = await _seed(full_coach, clock, clock.now())
    async with full_coach.db.transaction() as conn:
        await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now() + timedelta(days=3),
            timezone="Asia/Shanghai", local_intent=None, now=clock.now(),
        )  # fmt: skip
    clock.advance(timedelta(hours=1))
    outbox.result = SendResult.BLOCKED
    assert await service.fire(first) is SendResult.BLOCKED
    db = full_coach.db
    assert await rows(db, "SELECT status FROM checkins ORDER BY id") == [
        ("paused_blocked",),
        ("paused_blocked",),
    ]
    assert await rows(db, "SELECT active FROM users") == [(0,)]
    scheduled: list[int] = []
    full_coach.on_scheduled.append(lambda checkin_id, _due: scheduled.append(checkin_id))
    clock.advance(timedelta(hours=1))
    await say(full_coach, ADA, "/menu")  # they unblocked the bot and wrote
    assert await rows(db, "SELECT status FROM checkins ORDER BY id") == [
        ("scheduled",),
        ("scheduled",),
    ]
    assert await rows(db, "SELECT active FROM users") == [(1,)]
    assert sorted(scheduled) == [first, first + 1]
    listing = await say(full_coach, ADA, "/checkins")
    assert "Nothing is scheduled" not in " ".join(r.text for r in listing)


async def test_a_long_block_misses_what_fell_due_meanwhile(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """Back after three days: the check-in due before the block is missed, later ones resume."""
    first = await _seed(full_coach, clock, clock.now())
    async with full_coach.db.transaction() as conn:
        await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now() + timedelta(days=7),
            timezone="Asia/Shanghai", local_intent=None, now=clock.now(),
        )  # fmt: skip
    clock.advance(timedelta(hours=1))
    outbox.result = SendResult.BLOCKED
    await service.fire(first)
    clock.advance(timedelta(days=3))
    await say(full_coach, ADA, "/menu")
    db = full_coach.db
    assert await rows(db, "SELECT status FROM checkins ORDER BY id") == [
        ("missed",),
        ("scheduled",),
    ]


async def test_send_errors_retry_with_backoff_and_are_recorded(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(hours=1))
    outbox.result = SendResult.ERROR
    await service.fire(checkin_id)
    db = full_coach.db
    assert await rows(db, "SELECT status, attempts, due_at FROM checkins") == [
        ("scheduled", 1, to_text(clock.now() + timedelta(minutes=2)))
    ]
    clock.advance(timedelta(minutes=3))
    outbox.result = SendResult.SENT
    await service.fire(checkin_id)
    assert await rows(db, "SELECT result FROM checkin_attempts ORDER BY id") == [
        ("error",),
        ("sent",),
    ]
    assert len(outbox.sent) == 1


async def test_interrupted_send_is_sent_again_once_its_lease_is_over(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """A row left 'sending' by a crash is sent again (not counted as sent) after its lease."""
    checkin_id = await _seed(full_coach, clock, clock.now())
    async with full_coach.db.transaction() as conn:
        assert await checkins.claim(
            conn, checkin_id, clock.now(), until=clock.now() + timedelta(minutes=2), by="dead"
        )
    plan = await service.recover()
    assert plan == [(checkin_id, clock.now() + timedelta(minutes=2))]  # when its lease ends
    assert await service.fire(checkin_id) is None  # the lease still holds
    clock.advance(timedelta(minutes=2))
    assert await service.fire(checkin_id) is SendResult.SENT
    assert len(outbox.sent) == 1
    db = full_coach.db
    assert await rows(db, "SELECT status, attempts FROM checkins") == [("sent", 2)]
    assert await rows(db, "SELECT result FROM checkin_attempts ORDER BY id") == [
        ("interrupted",),
        ("sent",),
    ]


async def test_a_stale_claim_is_swept_and_sent(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """The minute sweep re-sends a row whose lease ran out (another process died)."""
    checkin_id = await _seed(full_coach, clock, clock.now())
    async with full_coach.db.transaction() as conn:
        await checkins.claim(conn, checkin_id, clock.now(), until=clock.now(), by="dead")
    clock.advance(timedelta(seconds=1))
    await service.sweep()
    assert len(outbox.sent) == 1
    assert await rows(full_coach.db, "SELECT status FROM checkins") == [("sent",)]


async def test_an_unknown_outcome_is_sent_again_and_interruptions_are_capped(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    """A time-out after the message left: sent again soon (at most one duplicate for it).
    A row cut off again and again stops after ``max_attempts`` claims."""
    checkin_id = await _seed(full_coach, clock, clock.now())
    clock.advance(timedelta(minutes=1))
    outbox.result = SendResult.UNKNOWN
    assert await service.fire(checkin_id) is SendResult.UNKNOWN
    db = full_coach.db
    assert await rows(db, "SELECT status, due_at FROM checkins") == [
        ("scheduled", to_text(clock.now() + service.policy.retry_unknown))
    ]
    clock.advance(service.policy.retry_unknown)
    outbox.result = SendResult.SENT
    assert await service.fire(checkin_id) is SendResult.SENT
    assert len(outbox.sent) == 1  # the recording sender keeps only the sends that succeeded
    assert await rows(db, "SELECT result FROM checkin_attempts ORDER BY id") == [
        ("unknown",),
        ("sent",),
    ]
    second = await _seed_more(full_coach, clock)
    async with full_coach.db.transaction() as conn:
        for _ in range(service.policy.max_interrupted - 1):  # cut off by crashes before
            await checkins.add_attempt(conn, second, clock.now(), "interrupted")
        assert await checkins.claim(conn, second, clock.now(), until=clock.now(), by="dead")
    clock.advance(service.policy.grace + timedelta(minutes=1))  # and it is long overdue
    assert await service.fire(second) is None
    assert await rows(db, f"SELECT status FROM checkins WHERE id = {second}") == [("failed",)]


async def _seed_more(coach: Coach, clock: FrozenClock) -> int:
    async with coach.db.transaction() as conn:
        return await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now(), timezone="Asia/Shanghai",
            local_intent=None, now=clock.now(),
        )  # fmt: skip


async def test_timezone_change_keeps_the_local_time(
    full_coach: Coach, clock: FrozenClock, tmp_path: Path
) -> None:
    await _seed(full_coach, clock, datetime(2026, 3, 9, 1, 0, tzinfo=UTC))
    async with full_coach.db.transaction() as conn:
        await checkins.set_status(conn, 1, "scheduled", local_intent="2026-03-09T09:00")
    await say(full_coach, ADA, "/timezone Berlin")
    assert await rows(full_coach.db, "SELECT due_at, timezone FROM checkins") == [
        ("2026-03-09T08:00:00.000000+00:00", "Europe/Berlin")
    ]


async def test_checkins_command_lists_and_manages(
    full_coach: Coach, service: CheckinService, outbox: Outbox, clock: FrozenClock, tmp_path: Path
) -> None:
    from tests.coach.helpers import tap

    checkin_id = await _seed(full_coach, clock, clock.now() + timedelta(days=1))
    replies = await say(full_coach, ADA, "/checkins")
    item = next(reply for reply in replies if reply.step == "checkins")
    assert item.text.startswith("1. ")
    assert "Send the deck to 5 angels" in item.text
    assert [o.id for o in item.options] == [
        f"later:{checkin_id}",
        f"pause:{checkin_id}",
        f"cancel:{checkin_id}",
    ]
    replies = await tap(full_coach, ADA, None, "checkins", f"pause:{checkin_id}")
    assert replies[0].text.startswith("Paused “Send the deck to 5 angels”.")
    clock.advance(timedelta(days=2))
    assert await service.fire(checkin_id) is None
    replies = await say(full_coach, ADA, f"/checkins resume {checkin_id}")
    assert replies[0].text.startswith("Resumed")
    other = UserRef(channel="console", external_id="eve")
    replies = await tap(full_coach, other, None, "checkins", f"cancel:{checkin_id}")
    assert await rows(full_coach.db, "SELECT status FROM checkins") == [("scheduled",)]
