"""What the coach said and concluded: the transcript, advice given and assessment scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from bot.clock import from_text, to_text
from bot.storage.db import Connection


async def add_message(
    conn: Connection,
    *,
    user_id: int,
    direction: Literal["in", "out"],
    text: str,
    now: datetime,
    run_id: int | None = None,
) -> None:
    """Append one message to the founder's transcript."""
    await add_messages(conn, user_id=user_id, messages=[(direction, text)], now=now, run_id=run_id)


async def add_messages(
    conn: Connection,
    *,
    user_id: int,
    messages: Sequence[tuple[Literal["in", "out"], str]],
    now: datetime,
    run_id: int | None = None,
) -> None:
    """Append messages to the founder's transcript, in order, as one statement (sent with
    the next statement or the commit)."""
    if not messages:
        return
    stamp = to_text(now)
    rows = ", ".join("(?, ?, ?, ?, ?)" for _ in messages)
    params = [v for d, text in messages for v in (user_id, d, run_id, text, stamp)]
    conn.later(
        f"INSERT INTO transcript (user_id, direction, run_id, text, created_at) VALUES {rows}",
        params,
    )


async def transcript(conn: Connection, user_id: int) -> list[tuple[str, str]]:
    """The founder's transcript as ``(direction, text)``, oldest first."""
    async with conn.execute(
        "SELECT direction, text FROM transcript WHERE user_id = ? ORDER BY id", (user_id,)
    ) as rows:
        return [(row["direction"], row["text"]) async for row in rows]


async def add_advice(
    conn: Connection,
    *,
    user_id: int,
    run_id: int,
    flow_id: str,
    rules: Iterable[tuple[str, int]],
    now: datetime,
) -> None:
    """Record which rules were shown at the end of a run, in the order shown (one
    statement, sent with the transaction's next one)."""
    shown = list(rules)
    if not shown:
        return
    stamp = to_text(now)
    rows = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in shown)
    params = [
        v
        for rank, (rule_id, priority) in enumerate(shown, start=1)
        for v in (user_id, run_id, flow_id, rule_id, priority, rank, stamp)
    ]
    conn.later(
        f"""INSERT INTO advice (user_id, run_id, flow_id, rule_id, priority, rank, created_at)
            VALUES {rows} ON CONFLICT (run_id, rule_id) DO NOTHING""",
        params,
    )


async def add_scores(conn: Connection, *, run_id: int, scores: Iterable[tuple[str, int]]) -> None:
    """Record a run's assessment (one statement, sent with the transaction's next one)."""
    given = list(scores)
    if not given:
        return
    rows = ", ".join("(?, ?, ?)" for _ in given)
    conn.later(
        f"""INSERT INTO assessments (run_id, dimension, score) VALUES {rows}
            ON CONFLICT (run_id, dimension) DO UPDATE SET score = excluded.score""",
        [v for dimension, score in given for v in (run_id, dimension, score)],
    )


async def advice_given(
    conn: Connection, user_id: int, run_id: int | None = None
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


async def scores(conn: Connection, run_id: int) -> dict[str, int]:
    """A run's assessment as ``{dimension: score}``."""
    async with conn.execute(
        "SELECT dimension, score FROM assessments WHERE run_id = ? ORDER BY dimension", (run_id,)
    ) as rows:
        return {row["dimension"]: row["score"] async for row in rows}


async def count_rows(conn: Connection, table: str, user_id: int) -> int:
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
    conn: Connection, user_id: int, *, run_id: int
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


async def commitments_made(conn: Connection, user_id: int) -> list[tuple[str, str, datetime]]:
    """The founder's commitments: ``(text, status, when made)``, oldest first."""
    async with conn.execute(
        "SELECT text, status, created_at FROM commitments WHERE user_id = ? ORDER BY id",
        (user_id,),
    ) as rows:
        return [
            (row["text"] or "", row["status"], from_text(row["created_at"])) async for row in rows
        ]
