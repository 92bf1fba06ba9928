"""Wire settings, database, catalog and Coach together for an entry point."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.catalog import load_checked_catalog
from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.config import Settings
from bot.rendering import Target
from bot.storage import Database

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_coach(
    settings: Settings, *, target: Target, clock: Clock | None = None
) -> AsyncIterator[Coach]:
    """A ready Coach; the database is closed however the block ends."""
    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    db = await Database.open(settings.founder_coach_db)
    try:
        yield Coach(
            db,
            catalog,
            clock or SystemClock(),
            target=target,
            default_locale=settings.founder_coach_locale,
        )
    finally:
        await db.close()
