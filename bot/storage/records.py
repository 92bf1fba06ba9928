"""Everything stored about one founder, read in one go (for exports).

Every query is filtered by the founder's id: an export can only ever contain that
founder's rows.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

_QUERIES = {
    "runs": """SELECT id, flow_id, status, state_json, started_at, completed_at
               FROM flow_runs WHERE user_id = ? ORDER BY id""",
    "answers": """SELECT run_id, flow_id, step_id, value_json, revision, created_at
                  FROM answers WHERE user_id = ? ORDER BY id""",
    "advice": """SELECT run_id, flow_id, rule_id, priority, rank, created_at
                 FROM advice WHERE user_id = ? ORDER BY run_id, rank""",
    "scores": """SELECT a.run_id, a.dimension, a.score FROM assessments a
                 JOIN flow_runs r ON r.id = a.run_id WHERE r.user_id = ? ORDER BY a.run_id""",
    "commitments": """SELECT id, flow_id, text, status, created_at, updated_at
                      FROM commitments WHERE user_id = ? ORDER BY id""",
    "checkins": """SELECT id, commitment_id, kind, due_at, timezone, status, attempts, outcome,
                          note, sent_at, answered_at, run_id
                   FROM checkins WHERE user_id = ? ORDER BY due_at, id""",
    "transcript": """SELECT direction, text, created_at FROM transcript
                     WHERE user_id = ? ORDER BY id""",
}


async def founder_records(
    conn: aiosqlite.Connection, user_id: int
) -> dict[str, list[dict[str, Any]]]:
    """Every row of the founder, by table; JSON columns decoded."""
    records: dict[str, list[dict[str, Any]]] = {}
    for name, sql in _QUERIES.items():
        async with conn.execute(sql, (user_id,)) as rows:
            records[name] = [{key: row[key] for key in row.keys()} async for row in rows]  # noqa: SIM118
    for run in records["runs"]:
        run["state"] = json.loads(run.pop("state_json"))
    for answer in records["answers"]:
        answer["value"] = json.loads(answer.pop("value_json"))
    return records
