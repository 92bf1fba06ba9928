"""Replies that could not be sent yet, in order per founder (the Telegram outbox).

One row is one Bot API call, already split and rendered: a text chunk with its keyboard, or
a document. Rows of a founder are sent oldest first, and before anything new goes to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_text
from bot.storage.db import Connection


@dataclass(frozen=True)
class Pending:
    """One kept call."""

    id: int
    chat_id: int
    method: str  # "message" or "document"
    text: str | None
    markup_json: str | None
    data: bytes | None
    filename: str | None
    attempts: int


async def add(
    conn: Connection,
    *,
    channel: str,
    external_id: str,
    chat_id: int,
    calls: list[tuple[str, str | None, str | None, bytes | None, str | None]],
    now: datetime,
    error: str,
) -> int:
    """Keep these calls ``(method, text, markup_json, data, filename)`` after the founder's."""
    stamp = to_text(now)
    stored = 0
    for method, text, markup, data, filename in calls:
        cursor = await conn.execute(
            """INSERT INTO outbox (user_id, chat_id, method, text, markup_json, data, filename,
                                   attempts, next_attempt_at, last_error, created_at)
               SELECT id, ?, ?, ?, ?, ?, ?, 0, ?, ?, ? FROM users
               WHERE channel = ? AND external_id = ?""",
            (str(chat_id), method, text, markup, data, filename, stamp, error[:500], stamp,
             channel, external_id),
        )  # fmt: skip
        stored += cursor.rowcount
    return stored


async def for_founder(conn: Connection, *, channel: str, external_id: str) -> list[Pending]:
    """A founder's kept calls, oldest first."""
    async with conn.execute(
        """SELECT o.id, o.chat_id, o.method, o.text, o.markup_json, o.data, o.filename,
                  o.attempts
           FROM outbox o JOIN users u ON u.id = o.user_id
           WHERE u.channel = ? AND u.external_id = ? ORDER BY o.id""",
        (channel, external_id),
    ) as rows:
        return [
            Pending(
                id=row["id"],
                chat_id=int(row["chat_id"]),
                method=row["method"],
                text=row["text"],
                markup_json=row["markup_json"],
                data=row["data"],
                filename=row["filename"],
                attempts=row["attempts"],
            )
            async for row in rows
        ]


async def founders_due(conn: Connection, channel: str, now: datetime | None = None) -> list[str]:
    """External ids of founders with kept calls (whose next try is due, given ``now``)."""
    where, params = ("", (channel,))
    if now is not None:
        where, params = " AND o.next_attempt_at <= ?", (channel, to_text(now))
    async with conn.execute(
        f"""SELECT DISTINCT u.external_id FROM outbox o JOIN users u ON u.id = o.user_id
            WHERE u.channel = ?{where}""",
        params,
    ) as rows:
        return [row["external_id"] async for row in rows]


async def done(conn: Connection, pending_id: int) -> None:
    """A kept call went out."""
    await conn.execute("DELETE FROM outbox WHERE id = ?", (pending_id,))


async def failed(
    conn: Connection,
    *,
    channel: str,
    external_id: str,
    next_attempt_at: datetime,
    error: str,
) -> None:
    """A try failed: every kept call of the founder waits until ``next_attempt_at``."""
    await conn.execute(
        """UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
           WHERE user_id IN (SELECT id FROM users WHERE channel = ? AND external_id = ?)""",
        (to_text(next_attempt_at), error[:500], channel, external_id),
    )


async def drop(conn: Connection, *, channel: str, external_id: str) -> int:
    """Forget a founder's kept calls (they blocked the bot)."""
    cursor = await conn.execute(
        """DELETE FROM outbox
           WHERE user_id IN (SELECT id FROM users WHERE channel = ? AND external_id = ?)""",
        (channel, external_id),
    )
    return cursor.rowcount
