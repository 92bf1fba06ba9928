"""Flow runs and their answers, with every edit kept as a new revision."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.clock import from_text, to_text
from bot.engine.state import FlowState, RunStatus
from bot.storage.db import Connection


class Run(BaseModel):
    """A run of a flow as stored."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    flow_id: str
    status: RunStatus
    state: FlowState
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None


_COLUMNS = "id, user_id, flow_id, status, state_json, started_at, updated_at, completed_at"


def _run(row: Mapping[str, Any]) -> Run:
    return Run(
        id=row["id"],
        user_id=row["user_id"],
        flow_id=row["flow_id"],
        status=RunStatus(row["status"]),
        state=FlowState.from_json(row["state_json"]),
        started_at=from_text(row["started_at"]),
        updated_at=from_text(row["updated_at"]),
        completed_at=from_text(row["completed_at"]) if row["completed_at"] else None,
    )


async def create(conn: Connection, user_id: int, state: FlowState, now: datetime) -> int:
    """Store a new run; return its id."""
    stamp = to_text(now)
    cursor = await conn.execute(
        """INSERT INTO flow_runs (user_id, flow_id, flow_version, status, step_id, state_json,
                                  started_at, updated_at, completed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        (
            user_id,
            state.flow_id,
            state.version,
            state.status.value,
            state.step_id,
            state.to_json(),
            stamp,
            stamp,
            stamp if state.status is RunStatus.COMPLETED else None,
        ),
    )
    return int(cursor.rows[0][0])


async def save(conn: Connection, run_id: int, state: FlowState, now: datetime) -> None:
    """Store a run's new state (and its completion time when it has just completed)."""
    stamp = to_text(now)
    conn.later(  # nobody reads its result: it goes with the turn's next statement or commit
        """UPDATE flow_runs
           SET status = ?, step_id = ?, state_json = ?, updated_at = ?,
               completed_at = CASE WHEN ? = 'completed' THEN ? ELSE completed_at END
           WHERE id = ?""",
        (
            state.status.value,
            state.step_id,
            state.to_json(),
            stamp,
            state.status.value,
            stamp,
            run_id,
        ),
    )


async def touch(conn: Connection, run_id: int, now: datetime) -> None:
    """Mark a run as the one the founder is working on now."""
    conn.later("UPDATE flow_runs SET updated_at = ? WHERE id = ?", (to_text(now), run_id))


async def current(conn: Connection, user_id: int) -> Run | None:
    """The active, unpaused run the founder touched last, if any.

    At most one run per flow is active, so this reads a handful of rows at most.
    """
    async with conn.execute(
        f"""SELECT {_COLUMNS} FROM flow_runs WHERE user_id = ? AND status = 'active'
            ORDER BY updated_at DESC, id DESC""",
        (user_id,),
    ) as rows:
        async for row in rows:
            run = _run(row)
            if not run.state.paused:
                return run
    return None


async def get(conn: Connection, user_id: int, run_id: int) -> Run | None:
    """A run by id, only if it belongs to this founder."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM flow_runs WHERE id = ? AND user_id = ?", (run_id, user_id)
    ) as rows:
        row = await rows.fetchone()
    return _run(row) if row else None


async def active(conn: Connection, user_id: int, flow_id: str) -> Run | None:
    """The founder's active run of a flow, if any."""
    async with conn.execute(
        f"""SELECT {_COLUMNS} FROM flow_runs
            WHERE user_id = ? AND flow_id = ? AND status = 'active'""",
        (user_id, flow_id),
    ) as rows:
        row = await rows.fetchone()
    return _run(row) if row else None


async def last_completed(
    conn: Connection, user_id: int, flow_id: str, *, before: int | None = None
) -> Run | None:
    """The founder's latest completed run of a flow (optionally older than run ``before``)."""
    async with conn.execute(
        f"""SELECT {_COLUMNS} FROM flow_runs
            WHERE user_id = ? AND flow_id = ? AND status = 'completed' AND id < ?
            ORDER BY id DESC LIMIT 1""",
        (user_id, flow_id, before if before is not None else 2**62),
    ) as rows:
        row = await rows.fetchone()
    return _run(row) if row else None


async def last_started(conn: Connection, user_id: int, flow_id: str) -> datetime | None:
    """When the founder's latest run of a flow began, whatever became of it (None: never)."""
    async with conn.execute(
        """SELECT started_at FROM flow_runs WHERE user_id = ? AND flow_id = ?
           ORDER BY id DESC LIMIT 1""",
        (user_id, flow_id),
    ) as rows:
        row = await rows.fetchone()
    return from_text(row["started_at"]) if row else None


async def latest_per_flow(conn: Connection, user_id: int) -> dict[str, list[Run]]:
    """Per flow: its active run (if any) and its last completed run (if any)."""
    found: dict[str, list[Run]] = {}
    async with conn.execute(
        f"""SELECT {_COLUMNS} FROM flow_runs WHERE user_id = ? AND status <> 'cancelled'
            ORDER BY id DESC""",
        (user_id,),
    ) as rows:
        async for row in rows:
            run = _run(row)
            seen = found.setdefault(run.flow_id, [])
            if all(other.status is not run.status for other in seen):
                seen.append(run)
    return found


async def add_answer(
    conn: Connection,
    *,
    run_id: int,
    user_id: int,
    flow_id: str,
    step_id: str,
    value: Any,
    now: datetime,
) -> None:
    """Append an answer as the next revision of that step in that run (one statement, sent
    with the turn's next one: the revision is counted by the database, not read back)."""
    conn.later(
        """INSERT INTO answers
               (run_id, user_id, flow_id, step_id, value_json, revision, created_at)
           SELECT ?, ?, ?, ?, ?, COALESCE(MAX(revision), 0) + 1, ?
             FROM answers WHERE run_id = ? AND step_id = ?""",
        (
            run_id,
            user_id,
            flow_id,
            step_id,
            json.dumps(value, ensure_ascii=False),
            to_text(now),
            run_id,
            step_id,
        ),
    )


async def answers(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    """Every revision of every answer of a run, oldest first."""
    async with conn.execute(
        """SELECT step_id, value_json, revision, created_at FROM answers
           WHERE run_id = ? ORDER BY id""",
        (run_id,),
    ) as rows:
        return [
            {
                "step_id": row["step_id"],
                "value": json.loads(row["value_json"]),
                "revision": row["revision"],
                "created_at": row["created_at"],
            }
            async for row in rows
        ]
