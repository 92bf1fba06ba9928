"""APScheduler only fires: one date job per scheduled row, plus a sweep every minute.

Jobs have deterministic ids (``checkin:<id>``) and replace each other, so scheduling a
row twice is harmless; a job that fires for a row already sent finds nothing to claim.
Nothing about a check-in lives only in APScheduler: on start-up every job is rebuilt
from the database (:meth:`CheckinService.recover`).
"""

from __future__ import annotations

import logging
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
        self, service: CheckinService, *, sweep_every: timedelta = timedelta(minutes=1)
    ) -> None:
        self.service = service
        self.sweep_every = sweep_every
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        service.on_scheduled.append(self.schedule)

    async def start(self) -> None:
        """Recover from the database, schedule every open row, start firing and sweeping."""
        plan = await self.service.recover()
        self.scheduler.start()
        for checkin_id, due in plan:
            self.schedule(checkin_id, due)
        self.scheduler.add_job(
            self.service.sweep, "interval", seconds=self.sweep_every.total_seconds(),
            id=SWEEP_ID, replace_existing=True, next_run_time=self.service.clock.now(),
        )  # fmt: skip
        log.info("check-ins: %d scheduled at start-up", len(plan))

    def schedule(self, checkin_id: int, due: datetime) -> None:
        """(Re)schedule the job of one row; a due time in the past fires at once."""
        self.scheduler.add_job(
            self.service.fire, "date", run_date=max(due, self.service.clock.now()),
            args=[checkin_id], id=job_id(checkin_id), replace_existing=True,
        )  # fmt: skip

    async def stop(self) -> None:
        """Stop firing (running jobs finish; the rows keep the truth)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
