"""Exactly-once processing of transport updates that may be delivered twice."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import to_text


async def claim(conn: aiosqlite.Connection, key: str, now: datetime) -> bool:
    """Record an update as processed; False if it already was (a re-delivery)."""
    cursor = await conn.execute(
        "INSERT INTO processed_updates (key, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (key, to_text(now)),
    )
    return cursor.rowcount == 1


async def forget_before(conn: aiosqlite.Connection, moment: datetime) -> int:
    """Drop records older than ``moment`` (Telegram keeps undelivered updates for a day)."""
    cursor = await conn.execute(
        "DELETE FROM processed_updates WHERE processed_at < ?", (to_text(moment),)
    )
    return cursor.rowcount
