"""APScheduler only fires: a date job for each row due soon, plus a sweep every minute.

Jobs have deterministic ids (``checkin:<id>``) and replace each other, so scheduling a
row twice is harmless; a job that fires for a row already sent (or moved later) finds
nothing to claim. Nothing about a check-in lives only in APScheduler or in memory: the
database is asked for what falls due.

Only rows due within ``lookahead`` (two sweep periods) get an APScheduler job; each sweep
reads the next window from the ``(status, due_at)`` index and gives those rows theirs, so
they still fire on the second. One job per open row made a start with 100 000 scheduled
check-ins take over 8 s (APScheduler builds and checks every job) and 170 MB more before
the bot could answer anyone. The first sweep runs one period after start-up: recovery has
just done what it would do (settled interrupted sends, planned every due row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.checkins.service import CheckinService
from bot.storage.locks import exclusive

log = logging.getLogger(__name__)

SWEEP_ID = "checkins:sweep"
TICK_ID = "checkins:tick"
TICK_EVERY = timedelta(seconds=1)
CATCH_UP = "checkins:catch-up"  # the try-lock names: one worker does each per tick
SWEEP = "checkins:sweep"


def job_id(checkin_id: int) -> str:
    """The APScheduler job id of a check-in row."""
    return f"checkin:{checkin_id}"


STOP_GRACE_SECONDS = 10.0


class CheckinScheduler:
    """Wires a :class:`CheckinService` to an asyncio APScheduler."""

    def __init__(
        self,
        service: CheckinService,
        *,
        sweep_every: timedelta = timedelta(minutes=1),
        lookahead: timedelta | None = None,
        claim_tick: bool = False,
    ) -> None:
        self.service = service
        # several workers: a one-second tick claims due rows (SKIP LOCKED) instead of a
        # timer per row; each worker's timers would otherwise all fire for the same rows
        self.claim_tick = claim_tick
        self.sweep_every = sweep_every
        # longer than a sweep period, so a row has its job before its time comes
        self.lookahead = lookahead if lookahead is not None else 2 * sweep_every
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        service.on_scheduled.append(self.schedule)
        self._firing: set[asyncio.Task[object]] = set()  # sends under way, awaited at stop
        self._ticking = False

    async def start(self) -> None:
        """Recover from the database, give the rows due soon their jobs, start sweeping.

        The catch-up runs under a try-lock: with several workers starting at once, one of
        them settles what the downtime missed (the others' ticks send what is due).
        """
        now = self.service.clock.now()
        recover = exclusive(
            self.service.locks, CATCH_UP,
            lambda: self.service.recover(horizon=now + self.lookahead),
        )  # fmt: skip
        plan = await recover() or []
        self.scheduler.start()
        if self.claim_tick:
            self.scheduler.add_job(
                self._tick, "interval", seconds=TICK_EVERY.total_seconds(),
                id=TICK_ID, replace_existing=True, next_run_time=now, max_instances=2,
            )  # fmt: skip
        else:
            for checkin_id, due in plan:
                self._add_job(checkin_id, due, now)
        self.scheduler.add_job(
            self._sweep, "interval", seconds=self.sweep_every.total_seconds(),
            id=SWEEP_ID, replace_existing=True, next_run_time=now + self.sweep_every,
        )  # fmt: skip
        log.info("check-ins: %d due within %s scheduled at start-up", len(plan), self.lookahead)

    def schedule(self, checkin_id: int, due: datetime) -> None:
        """(Re)schedule one row; a due time in the past fires at once, a far one waits.

        With the claim tick nothing is scheduled: the tick finds the row when it is due.
        """
        if self.claim_tick:
            return
        now = self.service.clock.now()
        if due <= now + self.lookahead:
            self._add_job(checkin_id, due, now)
            return
        with contextlib.suppress(JobLookupError):  # moved later: a sweep re-adds it in time
            self.scheduler.remove_job(job_id(checkin_id))

    def _add_job(self, checkin_id: int, due: datetime, now: datetime) -> None:
        self.scheduler.add_job(
            self._fire, "date", run_date=max(due, now),
            args=[checkin_id], id=job_id(checkin_id), replace_existing=True,
        )  # fmt: skip

    async def _tick(self) -> None:
        """One claim loop at a time. A tick sends until nothing is due, minutes for 5 000
        check-ins at once; the next second's tick then returns at once, where APScheduler
        (one instance) logged a warning every second that the job was still running."""
        if self._ticking:
            return
        self._ticking = True
        try:
            await self.service.tick()
        finally:
            self._ticking = False

    async def _fire(self, checkin_id: int) -> None:
        """Fire one check-in, remembered until it is settled so :meth:`stop` can wait."""
        task = asyncio.current_task()
        if task is not None:
            self._firing.add(task)
        try:
            await self.service.fire(checkin_id)
        finally:
            if task is not None:
                self._firing.discard(task)

    async def _sweep(self) -> None:
        """Timers for the next window, then reminders and missed marks (one worker)."""
        locks = self.service.locks
        now = self.service.clock.now()
        if self.claim_tick:  # rows the tick leaves (due before the grace) are marked missed
            await exclusive(locks, CATCH_UP, lambda: self.service.recover(horizon=now))()
        else:
            for checkin_id, due in await self.service.upcoming(now + self.lookahead):
                self._add_job(checkin_id, due, now)
        await exclusive(locks, SWEEP, self.service.sweep)()

    def every(
        self,
        period: timedelta,
        func: Callable[[], Awaitable[object]],
        *,
        job: str,
        first: timedelta,
    ) -> None:
        """Run other periodic upkeep on the same scheduler (first after ``first``)."""
        self.scheduler.add_job(
            func, "interval", seconds=period.total_seconds(), id=job, replace_existing=True,
            next_run_time=self.service.clock.now() + first,
        )  # fmt: skip

    def jobs(self) -> list[str]:
        """The ids of the check-in jobs waiting to fire (for tests and operators)."""
        return sorted(j.id for j in self.scheduler.get_jobs() if j.id.startswith("checkin:"))

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop firing, then let check-ins being sent finish (up to ``grace`` seconds).

        APScheduler's asyncio executor cancels running jobs at shutdown, so the scheduler is
        paused first (nothing new starts), the sends finish, and only then is it shut down.
        Before, a console closed right after a check-in was printed cancelled the send before
        the row was marked sent (the lease re-sent it later: once too often).
        """
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        if self._firing:
            await asyncio.wait(set(self._firing), timeout=grace)
        self.scheduler.shutdown(wait=False)
