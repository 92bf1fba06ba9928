"""The daily cap on language-model answers: a count per founder and local day."""

from __future__ import annotations

from datetime import date

from bot.storage.db import Connection


async def take(conn: Connection, user_id: int, day: date, cap: int) -> bool:
    """Count one more call for the founder today, unless they reached ``cap`` (then False)."""
    async with conn.execute(
        "SELECT calls FROM llm_usage WHERE user_id = ? AND day = ?", (user_id, day.isoformat())
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None and int(row[0]) >= cap:
        return False
    await conn.execute(
        """INSERT INTO llm_usage (user_id, day, calls) VALUES (?, ?, 1)
           ON CONFLICT (user_id, day) DO UPDATE SET calls = llm_usage.calls + 1""",
        (user_id, day.isoformat()),
    )
    return True


async def used(conn: Connection, user_id: int, day: date) -> int:
    """How many calls the founder has had today."""
    async with conn.execute(
        "SELECT calls FROM llm_usage WHERE user_id = ? AND day = ?", (user_id, day.isoformat())
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
