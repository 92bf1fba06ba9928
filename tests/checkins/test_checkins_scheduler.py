"""The scheduler gives timers only to rows due soon; the database hands out the rest."""

from __future__ import annotations

from datetime import timedelta

from bot.checkins.scheduler import CheckinScheduler, job_id
from bot.checkins.service import CheckinService
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.storage import checkins
from tests.checkins.test_checkins_dispatch import onboard

MINUTE = timedelta(minutes=1)


async def _rows(coach: Coach, clock: FrozenClock, *offsets: timedelta) -> list[int]:
    await onboard(coach)
    ids = []
    async with coach.db.transaction() as conn:
        for offset in offsets:
            due = clock.now() + offset
            checkin_id = await checkins.create(
                conn, user_id=1, kind="commitment", due_at=due, timezone="UTC",
                local_intent=None, now=clock.now(),
            )  # fmt: skip
            ids.append(checkin_id)
    return ids


async def test_only_rows_due_within_the_lookahead_get_a_timer(
    full_coach: Coach, service: CheckinService, clock: FrozenClock
) -> None:
    soon, later, far = await _rows(full_coach, clock, MINUTE, 10 * MINUTE, timedelta(days=30))
    scheduler = CheckinScheduler(service, sweep_every=MINUTE)
    await scheduler.start()
    scheduler.scheduler.pause()  # inspect the timers; nothing fires on the wall clock
    try:
        assert scheduler.jobs() == [job_id(soon)]
        clock.advance(9 * MINUTE)  # the next sweep hands out the next window
        await scheduler._sweep()
        assert scheduler.jobs() == sorted([job_id(soon), job_id(later)])
        scheduler.schedule(later, clock.now() + timedelta(days=1))  # moved a day later
        assert scheduler.jobs() == [job_id(soon)]
        scheduler.schedule(far, clock.now())  # brought forward to now
        assert scheduler.jobs() == sorted([job_id(soon), job_id(far)])
    finally:
        await scheduler.stop()


async def test_recovery_reads_only_the_window(
    full_coach: Coach, service: CheckinService, clock: FrozenClock
) -> None:
    ids = await _rows(full_coach, clock, -MINUTE, MINUTE, timedelta(days=3), timedelta(days=9))
    plan = await service.recover(horizon=clock.now() + 2 * MINUTE)
    assert [checkin_id for checkin_id, _ in plan] == ids[:2]
    assert await service.upcoming(clock.now() + timedelta(days=4)) == [
        (ids[0], clock.now() - MINUTE),
        (ids[1], clock.now() + MINUTE),
        (ids[2], clock.now() + timedelta(days=3)),
    ]
