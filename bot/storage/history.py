"""What the coach said and concluded: the transcript, advice given and assessment scores."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import aiosqlite

from bot.clock import from_text, to_text


async def add_message(
    conn: aiosqlite.Connection,
    *,
    user_id: int,
    direction: Literal["in", "out"],
    text: str,
    now: datetime,
    run_id: int | None = None,
) -> None:
    """Append one message to the founder's transcript."""
    await conn.execute(
        """INSERT INTO transcript (user_id, direction, run_id, text, created_at)
           VALUES (?, ?, ?, ?, ?)""",
        (user_id, direction, run_id, text, to_text(now)),
    )


async def transcript(conn: aiosqlite.Connection, user_id: int) -> list[tuple[str, str]]:
    """The founder's transcript as ``(direction, text)``, oldest first."""
    async with conn.execute(
        "SELECT direction, text FROM transcript WHERE user_id = ? ORDER BY id", (user_id,)
    ) as rows:
        return [(row["direction"], row["text"]) async for row in rows]


async def add_advice(
    conn: aiosqlite.Connection,
    *,
    user_id: int,
    run_id: int,
    flow_id: str,
    rules: Iterable[tuple[str, int]],
    now: datetime,
) -> None:
    """Record which rules were shown at the end of a run, in the order shown."""
    for rank, (rule_id, priority) in enumerate(rules, start=1):
        await conn.execute(
            """INSERT INTO advice (user_id, run_id, flow_id, rule_id, priority, rank, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, rule_id) DO NOTHING""",
            (user_id, run_id, flow_id, rule_id, priority, rank, to_text(now)),
        )


async def add_scores(
    conn: aiosqlite.Connection, *, run_id: int, scores: Iterable[tuple[str, int]]
) -> None:
    """Record a run's assessment."""
    for dimension, score in scores:
        await conn.execute(
            """INSERT INTO assessments (run_id, dimension, score) VALUES (?, ?, ?)
               ON CONFLICT (run_id, dimension) DO UPDATE SET score = excluded.score""",
            (run_id, dimension, score),
        )


async def scores(conn: aiosqlite.Connection, run_id: int) -> dict[str, int]:
    """A run's assessment as ``{dimension: score}``."""
    async with conn.execute(
        "SELECT dimension, score FROM assessments WHERE run_id = ?", (run_id,)
    ) as rows:
        return {row["dimension"]: row["score"] async for row in rows}


async def count_rows(conn: aiosqlite.Connection, table: str, user_id: int) -> int:
    """How many rows of ``table`` belong to a founder (for tests and /stats)."""
    if table not in {
        "answers",
        "facts",
        "advice",
        "commitments",
        "checkins",
        "transcript",
        "flow_runs",
    }:
        raise ValueError(table)
    async with conn.execute(
        f"SELECT COUNT(*) FROM {table} WHERE user_id = ?",
        (user_id,),
    ) as rows:
        row = await rows.fetchone()
    return int(row[0]) if row else 0


async def advice_before(
    conn: aiosqlite.Connection, user_id: int, *, run_id: int
) -> list[tuple[str, str, datetime]]:
    """Advice shown at the end of the founder's other runs: ``(flow_id, rule_id, when)``."""
    async with conn.execute(
        """SELECT flow_id, rule_id, created_at FROM advice
           WHERE user_id = ? AND run_id != ? ORDER BY id""",
        (user_id, run_id),
    ) as rows:
        return [
            (row["flow_id"], row["rule_id"], from_text(row["created_at"])) async for row in rows
        ]


async def commitments_made(
    conn: aiosqlite.Connection, user_id: int
) -> list[tuple[str, str, datetime]]:
    """The founder's commitments: ``(text, status, when made)``, oldest first."""
    async with conn.execute(
        "SELECT text, status, created_at FROM commitments WHERE user_id = ? ORDER BY id",
        (user_id,),
    ) as rows:
        return [
            (row["text"] or "", row["status"], from_text(row["created_at"])) async for row in rows
        ]
