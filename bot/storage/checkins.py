"""Check-ins and commitments: one row per occurrence is the truth; schedulers only fire.

A row moves ``scheduled`` → ``sending`` (claimed atomically, so a double fire or an
overlapping sweep sends nothing twice) → ``sent`` → ``answered`` or ``missed``; it may
also be ``paused`` (by the founder), ``paused_blocked`` (the founder blocked the bot; it
resumes when they write again), ``cancelled`` or ``failed`` (could not be sent).

A claimed row holds a lease (``claimed_until``, ``claimed_by``): a row still ``sending``
after its lease was cut off mid-send (a crash) and may be claimed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.clock import from_text, to_text
from bot.storage.db import Connection

COMMITMENT = "commitment"
WEEKLY_UPDATE = "weekly_update"
OPEN_STATUSES = ("scheduled", "paused")


class CheckIn(BaseModel):
    """One check-in occurrence."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    commitment_id: int | None
    kind: str
    due_at: datetime
    timezone: str
    local_intent: str | None
    status: str
    attempts: int
    run_id: int | None
    sent_at: datetime | None
    reminded_at: datetime | None
    claimed_until: datetime | None = None
    claimed_by: str | None = None
    commitment: str | None = None
    topic: str | None = None


_SELECT = """SELECT c.id, c.user_id, c.commitment_id, c.kind, c.due_at, c.timezone,
                    c.local_intent, c.status, c.attempts, c.run_id, c.sent_at, c.reminded_at,
                    c.claimed_until, c.claimed_by, m.text AS commitment, m.flow_id AS topic
             FROM checkins c LEFT JOIN commitments m ON m.id = c.commitment_id"""


def _row(row: Any) -> CheckIn:
    data: dict[str, Any] = {key: row[key] for key in row.keys()}  # noqa: SIM118
    for key in ("due_at", "sent_at", "reminded_at", "claimed_until"):
        data[key] = from_text(data[key]) if data[key] else None
    return CheckIn(**data)


async def _many(conn: Connection, where: str, params: tuple[Any, ...]) -> list[CheckIn]:
    async with conn.execute(f"{_SELECT} WHERE {where} ORDER BY c.due_at, c.id", params) as rows:
        return [_row(row) async for row in rows]


async def add_commitment(
    conn: Connection, *, user_id: int, topic: str, text: str, now: datetime
) -> int:
    """Store a commitment the founder made; return its id."""
    stamp = to_text(now)
    cursor = await conn.execute(
        """INSERT INTO commitments (user_id, flow_id, text, status, created_at, updated_at)
           VALUES (?, ?, ?, 'open', ?, ?) RETURNING id""",
        (user_id, topic, text, stamp, stamp),
    )
    return int(cursor.rows[0][0])


async def set_commitment_status(
    conn: Connection, commitment_id: int, status: str, now: datetime
) -> None:
    """Record where a commitment stands (done, partly, not_yet, dropped)."""
    await conn.execute(
        "UPDATE commitments SET status = ?, updated_at = ? WHERE id = ?",
        (status, to_text(now), commitment_id),
    )


async def create(
    conn: Connection,
    *,
    user_id: int,
    kind: str,
    due_at: datetime,
    timezone: str,
    local_intent: str | None,
    now: datetime,
    commitment_id: int | None = None,
) -> int:
    """Schedule one check-in occurrence; return its id."""
    cursor = await conn.execute(
        """INSERT INTO checkins (user_id, commitment_id, kind, due_at, timezone, local_intent,
                                 status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?) RETURNING id""",
        (user_id, commitment_id, kind, to_text(due_at), timezone, local_intent, to_text(now)),
    )
    return int(cursor.rows[0][0])


async def get(conn: Connection, checkin_id: int) -> CheckIn | None:
    """One check-in by id."""
    found = await _many(conn, "c.id = ?", (checkin_id,))
    return found[0] if found else None


async def by_run(conn: Connection, run_id: int) -> CheckIn | None:
    """The check-in whose conversation is this run."""
    found = await _many(conn, "c.run_id = ?", (run_id,))
    return found[0] if found else None


async def for_user(
    conn: Connection, user_id: int, statuses: tuple[str, ...] = OPEN_STATUSES
) -> list[CheckIn]:
    """A founder's check-ins in these states, soonest first."""
    marks = ", ".join("?" for _ in statuses)
    return await _many(conn, f"c.user_id = ? AND c.status IN ({marks})", (user_id, *statuses))


async def with_status(conn: Connection, *statuses: str) -> list[CheckIn]:
    """Every check-in in these states (start-up recovery, the sweep)."""
    marks = ", ".join("?" for _ in statuses)
    return await _many(conn, f"c.status IN ({marks})", statuses)


async def due_by(conn: Connection, moment: datetime, *statuses: str) -> list[CheckIn]:
    """Check-ins in these states due at or before ``moment``, soonest first.

    Uses the ``(status, due_at)`` index: with 100 000 check-ins scheduled for the coming
    weeks, start-up and the minute sweep read only the handful that matter now.
    """
    marks = ", ".join("?" for _ in statuses)
    return await _many(
        conn, f"c.status IN ({marks}) AND c.due_at <= ?",
        (*statuses, to_text(moment)),
    )  # fmt: skip


async def claim(
    conn: Connection,
    checkin_id: int,
    now: datetime,
    *,
    until: datetime | None = None,
    by: str | None = None,
) -> bool:
    """Take a check-in for sending until ``until``; False if someone else has it.

    A due ``scheduled`` row can be claimed, and so can a ``sending`` row whose lease ran
    out (its sender died mid-send; a row from before leases has none and counts as expired).
    """
    stamp = to_text(now)
    cursor = await conn.execute(
        """UPDATE checkins SET status = 'sending', claimed_at = ?, claimed_until = ?,
                               claimed_by = ?, attempts = attempts + 1
           WHERE id = ? AND ((status = 'scheduled' AND due_at <= ?)
                             OR (status = 'sending' AND sent_at IS NULL
                                 AND (claimed_until IS NULL OR claimed_until <= ?)))""",
        (stamp, to_text(until or now), by, checkin_id, stamp, stamp),
    )
    return cursor.rowcount == 1


_DUE = """SELECT id, status FROM checkins
           WHERE ((status = 'scheduled' AND due_at <= ? AND due_at > ?)
                  OR (status = 'sending' AND sent_at IS NULL
                      AND (claimed_until IS NULL OR claimed_until <= ?)))
           ORDER BY due_at, id LIMIT ?"""
# PostgreSQL: rows another worker is claiming right now are skipped, not waited for
_LOCK_DUE = {"sqlite": "", "postgresql": " FOR UPDATE SKIP LOCKED"}


async def claim_due(
    conn: Connection,
    now: datetime,
    *,
    since: datetime,
    limit: int,
    until: datetime,
    by: str,
) -> list[tuple[int, str]]:
    """Claim up to ``limit`` due check-ins for sending; ``(id, status before)`` of each.

    What :func:`claim` does for one row, for the next due ones: ``scheduled`` rows due
    after ``since`` (older ones are left to the catch-up, which marks them missed) and
    ``sending`` rows whose lease ran out. On PostgreSQL the rows are locked with ``SKIP
    LOCKED``, so workers claiming at once take different rows and never wait for each other;
    SQLite's write transaction serialises the claims anyway.
    """
    stamp = to_text(now)
    async with conn.execute(
        _DUE + _LOCK_DUE[conn.dialect.name], (stamp, to_text(since), stamp, limit)
    ) as rows:
        found = [(row[0], row[1]) async for row in rows]
    if not found:
        return []
    marks = ", ".join("?" for _ in found)
    await conn.execute(
        f"""UPDATE checkins SET status = 'sending', claimed_at = ?, claimed_until = ?,
                                claimed_by = ?, attempts = attempts + 1
            WHERE id IN ({marks})""",
        (stamp, to_text(until), by, *(checkin_id for checkin_id, _ in found)),
    )
    return found


async def founder_of(conn: Connection, checkin_id: int) -> str | None:
    """Whose check-in this is (their ``external_id``: the key of their founder lock)."""
    async with conn.execute(
        "SELECT u.external_id FROM checkins c JOIN users u ON u.id = c.user_id WHERE c.id = ?",
        (checkin_id,),
    ) as rows:
        row = await rows.fetchone()
    return None if row is None else str(row[0])


async def set_status(conn: Connection, checkin_id: int, status: str, **fields: Any) -> None:
    """Move a check-in to a state, with the columns that go with it."""
    allowed = {"due_at", "local_intent", "run_id", "sent_at", "reminded_at", "outcome", "note",
               "answered_at", "timezone", "claimed_until"}  # fmt: skip
    if set(fields) - allowed:
        raise ValueError(f"cannot set {sorted(set(fields) - allowed)}")
    values = [to_text(v) if isinstance(v, datetime) else v for v in fields.values()]
    assignments = "".join(f", {name} = ?" for name in fields)
    await conn.execute(
        f"UPDATE checkins SET status = ?{assignments} WHERE id = ?",
        (status, *values, checkin_id),
    )


async def add_attempt(
    conn: Connection, checkin_id: int, now: datetime, result: str, detail: str = ""
) -> None:
    """Record one send attempt and how it ended."""
    await conn.execute(
        """INSERT INTO checkin_attempts (checkin_id, attempted_at, result, detail)
           VALUES (?, ?, ?, ?)""",
        (checkin_id, to_text(now), result, detail[:500]),
    )


async def count_attempts(conn: Connection, checkin_id: int, *results: str) -> int:
    """How many attempts of a check-in ended in one of these results."""
    marks = ", ".join("?" for _ in results)
    async with conn.execute(
        f"SELECT count(*) FROM checkin_attempts WHERE checkin_id = ? AND result IN ({marks})",
        (checkin_id, *results),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def attempts(conn: Connection, checkin_id: int) -> list[tuple[str, str]]:
    """The attempts of a check-in as ``(result, detail)``, oldest first."""
    async with conn.execute(
        "SELECT result, detail FROM checkin_attempts WHERE checkin_id = ? ORDER BY id",
        (checkin_id,),
    ) as rows:
        return [(row["result"], row["detail"]) async for row in rows]


async def cancel_for_user(conn: Connection, user_id: int, status: str = "cancelled") -> int:
    """Stop every open check-in of a founder (blocked, or data deleted)."""
    cursor = await conn.execute(
        "UPDATE checkins SET status = ? WHERE user_id = ? AND status IN ('scheduled', 'paused')",
        (status, user_id),
    )
    return cursor.rowcount


async def pause_blocked(conn: Connection, user_id: int) -> int:
    """The founder blocked the bot: their scheduled check-ins wait until they write again."""
    cursor = await conn.execute(
        "UPDATE checkins SET status = 'paused_blocked' WHERE user_id = ? AND status = 'scheduled'",
        (user_id,),
    )
    return cursor.rowcount


async def resume_blocked(
    conn: Connection, user_id: int, now: datetime, *, missed_before: datetime
) -> list[tuple[int, datetime]]:
    """They wrote again: paused check-ins are scheduled again (``(id, due)`` to give timers).

    Those that fell due before ``missed_before`` (the catch-up window) are marked missed.
    """
    await conn.execute(
        """UPDATE checkins SET status = 'missed'
           WHERE user_id = ? AND status = 'paused_blocked' AND due_at < ?""",
        (user_id, to_text(missed_before)),
    )
    resumed = await _many(conn, "c.user_id = ? AND c.status = 'paused_blocked'", (user_id,))
    await conn.execute(
        "UPDATE checkins SET status = 'scheduled' WHERE user_id = ? AND status = 'paused_blocked'",
        (user_id,),
    )
    return [(row.id, max(row.due_at, now)) for row in resumed]


async def listing(conn: Connection, user_id: int | None = None) -> list[dict[str, Any]]:
    """Every check-in with its founder, for operators (``founder-coach checkins list``)."""
    where, params = ("WHERE u.id = ?", (user_id,)) if user_id is not None else ("", ())
    async with conn.execute(
        f"""SELECT c.id, u.channel, u.external_id, c.kind, c.due_at, c.timezone, c.status,
                   c.attempts, m.text AS commitment
            FROM checkins c JOIN users u ON u.id = c.user_id
            LEFT JOIN commitments m ON m.id = c.commitment_id
            {where} ORDER BY c.due_at, c.id""",
        params,
    ) as rows:
        return [{key: row[key] for key in row.keys()} async for row in rows]  # noqa: SIM118
