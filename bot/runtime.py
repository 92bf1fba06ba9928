"""Wire settings, database, catalog and Coach together for an entry point."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.catalog import load_checked_catalog
from bot.checkins.planner import QuietHours
from bot.checkins.service import CheckinService, Policy, Sender
from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.rendering import Target
from bot.storage import Database
from bot.storage.locks import Locks

log = logging.getLogger(__name__)


def checkin_service(
    coach: Coach, settings: Settings, sender: Sender, *, locks: Locks | None = None
) -> CheckinService:
    """The check-in dispatcher for a Coach, with the operator's policy settings.

    ``locks``: the founder locks the transport's turns take (see :mod:`bot.storage.locks`).
    """
    start, end = settings.quiet_hours
    policy = Policy(
        quiet=QuietHours(start=start, end=end),
        grace=timedelta(hours=settings.founder_coach_catchup_hours),
        lease=timedelta(seconds=settings.founder_coach_checkin_lease_seconds),
        retry_error=timedelta(seconds=settings.founder_coach_checkin_retry_seconds),
    )
    coach.quiet = policy.quiet
    coach.catchup = policy.grace
    return CheckinService(coach.db, coach, coach.clock, sender, policy=policy, locks=locks)


@asynccontextmanager
async def open_coach(
    settings: Settings, *, target: Target, clock: Clock | None = None
) -> AsyncIterator[Coach]:
    """A ready Coach; the database is closed however the block ends."""
    db = await Database.open(settings.database)  # an unusable one fails at once
    try:
        catalog = load_checked_catalog(
            settings.founder_coach_flows_dir,
            settings.founder_coach_content_dir,
            remember_in=settings.database_folder,
        )
        yield Coach(
            db,
            catalog,
            clock or SystemClock(),
            target=target,
            default_locale=settings.founder_coach_locale,
            knowledge=load_knowledge(settings.founder_coach_content_dir),
            llm=settings.llm,
        )
    finally:
        await db.close()
