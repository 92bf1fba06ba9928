"""Exactly-once processing of transport updates that may be delivered twice."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_text
from bot.storage.db import Connection


async def claim(conn: Connection, key: str, now: datetime) -> bool:
    """Record an update as processed; False if it already was (a re-delivery)."""
    cursor = await conn.execute(
        "INSERT INTO processed_updates (key, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (key, to_text(now)),
    )
    return cursor.rowcount == 1


async def forget_before(conn: Connection, moment: datetime, *, limit: int = 5000) -> int:
    """Drop up to ``limit`` records older than ``moment`` (Telegram re-delivers for a day).

    In batches, so a week of records never holds the write lock for long.
    """
    cursor = await conn.execute(
        "DELETE FROM processed_updates WHERE key IN "
        "(SELECT key FROM processed_updates WHERE processed_at < ? LIMIT ?)",
        (to_text(moment), limit),
    )
    return cursor.rowcount
