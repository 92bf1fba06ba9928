"""Everything stored about one founder, read in one go (for exports).

Every query is filtered by the founder's id: an export can only ever contain that
founder's rows. The transcript, which grows with every message, is read on its own and
bounded (:func:`transcript_tail`).
"""

from __future__ import annotations

import json
from typing import Any

from bot.storage.db import Connection

_QUERIES = {
    "runs": """SELECT id, flow_id, status, state_json, started_at, completed_at
               FROM flow_runs WHERE user_id = ? ORDER BY id""",
    "answers": """SELECT run_id, flow_id, step_id, value_json, revision, created_at
                  FROM answers WHERE user_id = ? ORDER BY id""",
    "advice": """SELECT run_id, flow_id, rule_id, priority, rank, created_at
                 FROM advice WHERE user_id = ? ORDER BY run_id, rank""",
    "scores": """SELECT a.run_id, a.dimension, a.score FROM assessments a
                 JOIN flow_runs r ON r.id = a.run_id WHERE r.user_id = ?
                 ORDER BY a.run_id, a.dimension""",
    "commitments": """SELECT id, flow_id, text, status, created_at, updated_at
                      FROM commitments WHERE user_id = ? ORDER BY id""",
    "checkins": """SELECT id, commitment_id, kind, due_at, timezone, status, attempts, outcome,
                          note, sent_at, answered_at, run_id
                   FROM checkins WHERE user_id = ? ORDER BY due_at, id""",
}


async def founder_records(conn: Connection, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of the founder but the transcript, by table; JSON columns decoded."""
    records: dict[str, list[dict[str, Any]]] = {}
    for name, sql in _QUERIES.items():
        async with conn.execute(sql, (user_id,)) as rows:
            records[name] = [{key: row[key] for key in row.keys()} async for row in rows]  # noqa: SIM118
    for run in records["runs"]:
        run["state"] = json.loads(run.pop("state_json"))
    for answer in records["answers"]:
        answer["value"] = json.loads(answer.pop("value_json"))
    return records


async def transcript_tail(
    conn: Connection, user_id: int, *, messages: int, chars: int, each: int
) -> tuple[list[dict[str, Any]], int]:
    """The founder's latest messages, oldest first, and how many they have in all.

    At most ``messages`` messages and ``chars`` characters; a message longer than ``each``
    characters is cut there (with ``…``) by SQLite, so a huge row is never read whole. Read
    newest first from the cursor and stopped at the bound: memory does not grow with the
    history.
    """
    async with conn.execute(
        "SELECT COUNT(*) FROM transcript WHERE user_id = ?", (user_id,)
    ) as rows:
        row = await rows.fetchone()
    total = int(row[0]) if row else 0
    kept: list[dict[str, Any]] = []
    used = 0
    async with conn.execute(
        """SELECT direction, substr(text, 1, ?) AS text, length(text) AS size, created_at
           FROM transcript WHERE user_id = ? ORDER BY id DESC LIMIT ?""",
        (each, user_id, messages),
    ) as rows:
        async for found in rows:
            text = found["text"] if found["size"] <= each else found["text"] + "…"
            if kept and used + len(text) > chars:
                break
            used += len(text)
            kept.append(
                {"direction": found["direction"], "text": text, "created_at": found["created_at"]}
            )
    kept.reverse()
    return kept, total
