"""A trivial read that tells whether the database answers (for ``/healthz``)."""

from __future__ import annotations

import asyncio
import logging

from bot.storage.db import Database

log = logging.getLogger(__name__)


async def answers(db: Database, *, timeout: float = 2.0) -> bool:  # noqa: ASYNC109
    """Whether ``SELECT 1`` comes back within ``timeout`` seconds; never raises."""

    async def select_one() -> bool:
        async with db.reading() as conn:
            cursor = await conn.execute("SELECT 1")
            row = await cursor.fetchone()
        return row is not None and row[0] == 1

    try:
        return await asyncio.wait_for(select_one(), timeout)
    except Exception as exc:  # a health check reports, it does not fail
        log.warning("health check: the database does not answer (%s)", type(exc).__name__)
        return False
