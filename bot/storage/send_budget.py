"""One send budget for every worker: a GCRA slot in one row (``send_budget``).

The generic cell rate algorithm keeps one number per budget, the *theoretical arrival time*
(``tat``) of the next message. Asking for a slot at ``now`` moves it to
``max(tat, now) + interval`` and the caller waits until ``max(tat, now)``; so slots are
``interval`` apart whoever asks, and idle time is not saved up into a burst. A 429 moves it
to at least ``now + retry_after`` for everyone. :func:`next_slot` and :func:`pushed` are the
arithmetic; the SQL below does the same in one statement, under the row's lock, so workers
never hand out the same slot.

``now`` is the caller's clock on both backends: workers' clocks kept in step by NTP differ
by milliseconds, well inside one slot (40 ms at 25/s), and the row then hands out exactly
the slots of the arithmetic, which the tests check on both.
"""

from __future__ import annotations

from bot.storage.db import Connection

TELEGRAM = "telegram"  # the budget of the bot token's messages


def next_slot(tat: float, now: float, interval: float) -> tuple[float, float]:
    """``(new tat, wait)``: the slot starts ``wait`` seconds after ``now``."""
    start = max(tat, now)
    return start + interval, start - now


def pushed(tat: float, now: float, retry_after: float) -> float:
    """The tat after a 429: nobody sends before ``retry_after`` seconds have passed."""
    return max(tat, now + retry_after)


_RESERVE = {
    "sqlite": (
        "INSERT INTO send_budget (name, tat) VALUES (?, ? + ?) ON CONFLICT (name) DO UPDATE "
        "SET tat = max(send_budget.tat, excluded.tat - ?) + ? "
        "WHERE send_budget.tat - ? <= ? RETURNING tat - ? - ?"
    ),
    "postgresql": (
        "INSERT INTO send_budget (name, tat) VALUES (?, ?::float8 + ?::float8) "
        "ON CONFLICT (name) DO UPDATE "
        "SET tat = GREATEST(send_budget.tat, excluded.tat - ?::float8) + ?::float8 "
        "WHERE send_budget.tat - ?::float8 <= ?::float8 RETURNING tat - ?::float8 - ?::float8"
    ),
}


async def reserve(
    conn: Connection,
    interval: float,
    *,
    now: float,
    within: float | None = None,
    name: str = TELEGRAM,
) -> float | None:
    """Take the next slot; return how long to wait for it (seconds, ``>= 0``).

    ``within``: take it only if it starts within that many seconds, else None and nothing
    taken (a cosmetic call that would rather be dropped than wait). ``now`` is the caller's
    clock in seconds since the epoch.
    """
    limit = float("inf") if within is None else within
    params = (name, now, interval, interval, interval, now, limit, interval, now)
    cursor = await conn.execute(_RESERVE[conn.dialect.name], params)
    row = await cursor.fetchone()
    return None if row is None else max(0.0, float(row[0]))


_PUSH = {
    "sqlite": "UPDATE send_budget SET tat = max(tat, ? + ?) WHERE name = ?",
    "postgresql": (
        "UPDATE send_budget SET tat = GREATEST(tat, ?::float8 + ?::float8) WHERE name = ?"
    ),
}


async def push(conn: Connection, retry_after: float, *, now: float, name: str = TELEGRAM) -> None:
    """A 429: no worker's next slot starts before ``retry_after`` seconds from now."""
    await conn.execute(_PUSH[conn.dialect.name], (now, retry_after, name))
