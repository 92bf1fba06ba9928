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

log = logging.getLogger(__name__)

SWEEP_ID = "checkins:sweep"


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
    ) -> None:
        self.service = service
        self.sweep_every = sweep_every
        # longer than a sweep period, so a row has its job before its time comes
        self.lookahead = lookahead if lookahead is not None else 2 * sweep_every
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        service.on_scheduled.append(self.schedule)
        self._firing: set[asyncio.Task[object]] = set()  # sends under way, awaited at stop

    async def start(self) -> None:
        """Recover from the database, give the rows due soon their jobs, start sweeping."""
        now = self.service.clock.now()
        plan = await self.service.recover(horizon=now + self.lookahead)
        self.scheduler.start()
        for checkin_id, due in plan:
            self._add_job(checkin_id, due, now)
        self.scheduler.add_job(
            self._sweep, "interval", seconds=self.sweep_every.total_seconds(),
            id=SWEEP_ID, replace_existing=True, next_run_time=now + self.sweep_every,
        )  # fmt: skip
        log.info("check-ins: %d due within %s scheduled at start-up", len(plan), self.lookahead)

    def schedule(self, checkin_id: int, due: datetime) -> None:
        """(Re)schedule one row; a due time in the past fires at once, a far one waits."""
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
        now = self.service.clock.now()
        for checkin_id, due in await self.service.upcoming(now + self.lookahead):
            self._add_job(checkin_id, due, now)
        await self.service.sweep()

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
