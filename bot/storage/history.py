"""What the coach said and concluded: the transcript, advice given and assessment scores."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import aiosqlite

from bot.clock import to_text


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


async def advice_given(
    conn: aiosqlite.Connection, user_id: int, run_id: int | None = None
) -> tuple[int, str, list[str]] | None:
    """The advice of one run (the founder's latest if ``run_id`` is None), in the order
    shown: ``(run_id, flow_id, rule ids)``; None if there is none."""
    if run_id is None:
        async with conn.execute(  # through the founder's runs: advice has no user index
            """SELECT r.id AS run_id FROM flow_runs r
               WHERE r.user_id = ? AND EXISTS (SELECT 1 FROM advice a WHERE a.run_id = r.id)
               ORDER BY r.id DESC LIMIT 1""",
            (user_id,),
        ) as rows:
            row = await rows.fetchone()
        if row is None:
            return None
        run_id = int(row["run_id"])
    async with conn.execute(
        """SELECT flow_id, rule_id FROM advice WHERE user_id = ? AND run_id = ?
           ORDER BY rank""",
        (user_id, run_id),
    ) as rows:
        found = [(row["flow_id"], row["rule_id"]) async for row in rows]
    if not found:
        return None
    return run_id, found[0][0], [rule_id for _, rule_id in found]


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
