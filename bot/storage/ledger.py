"""The update ledger: transport updates kept until they have been handled."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.clock import to_text
from bot.storage.db import Connection

FAILED = "failed: "  # the payload of an update that could not be stored


async def store(
    conn: Connection,
    update_id: int,
    payload: str,
    now: datetime,
    *,
    finish: Iterable[int] = (),
    founder: int | None = None,
) -> bool:
    """Keep an update that just arrived; False if it is already known (a re-delivery).

    ``finish``: updates handled meanwhile, marked in the same transaction (one trip).
    ``founder``: whose update it is, for :func:`oldest_unfinished` (several workers).
    """
    done = list(finish)
    if done:
        _finish_later(conn, done, now)
    cursor = await conn.execute(
        "INSERT INTO update_ledger (update_id, payload, received_at, founder) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (update_id, payload, to_text(now), founder),
    )
    return cursor.rowcount == 1


async def store_many(
    conn: Connection,
    updates: Sequence[tuple[int, str, int | None]],
    now: datetime,
    *,
    finish: Iterable[int] = (),
) -> set[int]:
    """Keep several updates that arrived together, ``(update_id, payload, founder)``, in one
    statement; the ids that were new (the others are re-deliveries). ``finish`` as in
    :func:`store`."""
    done = list(finish)
    if done:
        _finish_later(conn, done, now)
    if not updates:
        return set()
    received = to_text(now)
    rows = ", ".join("(?, ?, ?, ?)" for _ in updates)
    values = [value for update_id, payload, founder in updates
              for value in (update_id, payload, received, founder)]  # fmt: skip
    cursor = await conn.execute(
        f"INSERT INTO update_ledger (update_id, payload, received_at, founder) VALUES {rows} "
        "ON CONFLICT DO NOTHING RETURNING update_id",
        tuple(values),
    )
    return {int(row[0]) for row in await cursor.fetchall()}


async def fail(conn: Connection, update_id: int, reason: str, now: datetime) -> None:
    """Record an update that could not be stored as finished without content: it is never
    handled, replayed or accepted again. ``reason`` (an exception's name) is kept."""
    await conn.execute(
        "INSERT INTO update_ledger (update_id, payload, received_at, finished_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (update_id, f"{FAILED}{reason}", to_text(now), to_text(now)),
    )


async def unfinished(conn: Connection) -> list[tuple[int, str]]:
    """Updates stored but not yet handled, oldest first: ``(update_id, payload)``."""
    cursor = await conn.execute(
        "SELECT update_id, payload FROM update_ledger WHERE finished_at IS NULL ORDER BY update_id"
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def oldest_unfinished(conn: Connection, founder: int) -> tuple[int, str] | None:
    """A founder's oldest update not yet handled, ``(update_id, payload)``; None: all done."""
    cursor = await conn.execute(
        "SELECT update_id, payload FROM update_ledger "
        "WHERE founder = ? AND finished_at IS NULL ORDER BY update_id LIMIT 1",
        (founder,),
    )
    row = await cursor.fetchone()
    return (row[0], row[1]) if row is not None else None


async def first_unfinished(conn: Connection, founder: int, count: int) -> list[tuple[int, str]]:
    """A founder's ``count`` oldest updates not yet handled, ``(update_id, payload)``."""
    cursor = await conn.execute(
        "SELECT update_id, payload FROM update_ledger "
        "WHERE founder = ? AND finished_at IS NULL ORDER BY update_id LIMIT ?",
        (founder, count),
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def turn_away_beyond(conn: Connection, founder: int, keep: int, now: datetime) -> int:
    """Mark handled, unread, a founder's unfinished updates after their oldest ``keep``
    (a flood past the backlog bound); how many."""
    cursor = await conn.execute(
        "UPDATE update_ledger SET finished_at = ?, payload = '' "
        "WHERE founder = ? AND finished_at IS NULL AND update_id > ("
        "SELECT update_id FROM update_ledger WHERE founder = ? AND finished_at IS NULL "
        "ORDER BY update_id LIMIT 1 OFFSET ?)",
        (to_text(now), founder, founder, keep - 1),
    )
    return cursor.rowcount


async def waiting_founders(conn: Connection, received_before: datetime) -> list[int]:
    """Founders with an update stored before ``received_before`` and still not handled.

    The recovery sweep drains them: their worker died, or its drain stopped on an error.
    """
    cursor = await conn.execute(
        "SELECT founder FROM update_ledger WHERE finished_at IS NULL AND founder IS NOT NULL "
        "GROUP BY founder HAVING min(received_at) < ? ORDER BY min(update_id)",
        (to_text(received_before),),
    )
    return [row[0] for row in await cursor.fetchall()]


async def without_founder(conn: Connection, limit: int = 100) -> list[tuple[int, str]]:
    """Unfinished rows nobody owns, oldest first: stored before the ledger knew founders
    (migration 9) by the single process, or copied from its file by ``db copy``."""
    cursor = await conn.execute(
        "SELECT update_id, payload FROM update_ledger "
        "WHERE finished_at IS NULL AND founder IS NULL ORDER BY update_id LIMIT ?",
        (limit,),
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def assign(conn: Connection, update_id: int, founder: int) -> None:
    """Say whose update a row is, so a founder's drain finds it."""
    await conn.execute(
        "UPDATE update_ledger SET founder = ? WHERE update_id = ? AND founder IS NULL",
        (founder, update_id),
    )


async def finish_now(conn: Connection, update_id: int, now: datetime) -> None:
    """Mark one update handled at once (the drain: the next worker must see it)."""
    await conn.execute(
        "UPDATE update_ledger SET finished_at = ?, payload = '' "
        "WHERE update_id = ? AND finished_at IS NULL",
        (to_text(now), update_id),
    )


async def finish(conn: Connection, update_ids: Iterable[int], now: datetime) -> None:
    """Mark updates handled and drop their content (the founder's words live elsewhere)."""
    _finish_later(conn, list(update_ids), now)


def _finish_later(conn: Connection, update_ids: list[int], now: datetime) -> None:
    """One statement for the whole batch, sent with the transaction's next one or its commit."""
    if not update_ids:
        return
    marks = ", ".join("?" for _ in update_ids)
    conn.later(
        f"UPDATE update_ledger SET finished_at = ?, payload = '' "
        f"WHERE finished_at IS NULL AND update_id IN ({marks})",
        (to_text(now), *update_ids),
    )


async def forget_before(conn: Connection, moment: datetime, *, limit: int = 5000) -> int:
    """Drop up to ``limit`` handled updates older than ``moment`` (in batches, like inbox)."""
    cursor = await conn.execute(
        "DELETE FROM update_ledger WHERE update_id IN (SELECT update_id FROM update_ledger "
        "WHERE finished_at IS NOT NULL AND finished_at < ? LIMIT ?)",
        (to_text(moment), limit),
    )
    return cursor.rowcount
