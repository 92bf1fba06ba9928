"""APScheduler only fires: a date job for each row due soon, plus a sweep every minute.

Jobs have deterministic ids (``checkin:<id>``) and replace each other, so scheduling a
row twice is harmless; a job that fires for a row already sent (or moved later) finds
nothing to claim. Nothing about a check-in lives only in APScheduler: on start-up every
open row is planned again from the database (:meth:`CheckinService.recover`).

Only rows due within ``lookahead`` (two sweeps) get their APScheduler job at once; later
ones wait in a heap of ``(due, id)`` and get it from the sweep before their time, so they
still fire at their time. One job per row made a start with 100 000 open check-ins take
about 8 s more (APScheduler builds and checks every job and wakes itself for each) before
the bot could answer anyone. The first sweep runs one period after start-up: recovery has
just done what it would do (settled interrupted sends, planned every due row), and a sweep
at once loaded every open row again while the first founders waited (bench/cold_start).
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.checkins.service import CheckinService

log = logging.getLogger(__name__)

SWEEP_ID = "checkins:sweep"


def job_id(checkin_id: int) -> str:
    """The APScheduler job id of a check-in row."""
    return f"checkin:{checkin_id}"


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
        # longer than a sweep period, so a waiting row has its job before its time comes
        self.lookahead = lookahead if lookahead is not None else 2 * sweep_every
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._later: list[tuple[datetime, int]] = []  # a heap: rows due after the lookahead
        self._waiting: dict[int, datetime] = {}  # the latest due time asked for each of them
        service.on_scheduled.append(self.schedule)

    async def start(self) -> None:
        """Recover from the database, plan every open row, start firing and sweeping."""
        plan = await self.service.recover()
        self.scheduler.start()
        now = self.service.clock.now()
        horizon = now + self.lookahead
        for checkin_id, due in plan:
            if due <= horizon:
                self._add_job(checkin_id, due, now)
            else:
                self._later.append((due, checkin_id))
                self._waiting[checkin_id] = due
        heapq.heapify(self._later)
        self.scheduler.add_job(
            self._sweep, "interval", seconds=self.sweep_every.total_seconds(),
            id=SWEEP_ID, replace_existing=True, next_run_time=now + self.sweep_every,
        )  # fmt: skip
        log.info("check-ins: %d scheduled at start-up, %d of them due within %s",
                 len(plan), len(plan) - len(self._later), self.lookahead)  # fmt: skip

    def schedule(self, checkin_id: int, due: datetime) -> None:
        """(Re)schedule one row; a due time in the past fires at once."""
        now = self.service.clock.now()
        if due <= now + self.lookahead:
            self._waiting.pop(checkin_id, None)
            self._add_job(checkin_id, due, now)
            return
        if self._waiting.get(checkin_id) != due:
            heapq.heappush(self._later, (due, checkin_id))
            self._waiting[checkin_id] = due
        if self.scheduler.get_job(job_id(checkin_id)) is not None:  # moved later
            self.scheduler.remove_job(job_id(checkin_id))

    def _add_job(self, checkin_id: int, due: datetime, now: datetime) -> None:
        self.scheduler.add_job(
            self.service.fire, "date", run_date=max(due, now),
            args=[checkin_id], id=job_id(checkin_id), replace_existing=True,
        )  # fmt: skip

    def _release(self) -> int:
        """Give their job to the waiting rows that are now due within the lookahead."""
        now = self.service.clock.now()
        horizon = now + self.lookahead
        released = 0
        while self._later and self._later[0][0] <= horizon:
            due, checkin_id = heapq.heappop(self._later)
            if self._waiting.get(checkin_id) != due:
                continue  # rescheduled since; a newer entry (or its job) stands
            del self._waiting[checkin_id]
            self._add_job(checkin_id, due, now)
            released += 1
        return released

    async def _sweep(self) -> None:
        self._release()
        await self.service.sweep()

    @property
    def waiting(self) -> int:
        """How many rows wait for their job (due after the lookahead)."""
        return len(self._waiting)

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

    async def stop(self) -> None:
        """Stop firing (running jobs finish; the rows keep the truth)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
