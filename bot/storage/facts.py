"""Facts: what the founder's confirmed answers say about them, by flow and name."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.clock import to_text
from bot.storage.db import Connection


async def load(conn: Connection, user_id: int) -> dict[str, dict[str, Any]]:
    """All of a founder's facts, grouped by flow id."""
    facts: dict[str, dict[str, Any]] = {}
    async with conn.execute(
        "SELECT flow_id, name, value_json FROM facts WHERE user_id = ? ORDER BY flow_id, name",
        (user_id,),
    ) as rows:
        async for row in rows:
            facts.setdefault(row["flow_id"], {})[row["name"]] = json.loads(row["value_json"])
    return facts


async def replace_flow(
    conn: Connection,
    *,
    user_id: int,
    flow_id: str,
    values: dict[str, Any],
    run_id: int | None,
    now: datetime,
) -> None:
    """Make ``values`` the founder's facts for ``flow_id`` (old ones not in it go).

    Two statements whatever the number of facts, sent with the transaction's next one.
    """
    conn.later("DELETE FROM facts WHERE user_id = ? AND flow_id = ?", (user_id, flow_id))
    _upsert(conn, user_id, flow_id, values, run_id, now)


async def put(
    conn: Connection,
    *,
    user_id: int,
    flow_id: str,
    name: str,
    value: Any,
    run_id: int | None,
    now: datetime,
) -> None:
    """Set one fact."""
    _upsert(conn, user_id, flow_id, {name: value}, run_id, now)


def _upsert(
    conn: Connection,
    user_id: int,
    flow_id: str,
    values: dict[str, Any],
    run_id: int | None,
    now: datetime,
) -> None:
    """Set these facts of one flow in one statement (sent with the next one or the commit)."""
    if not values:
        return
    stamp = to_text(now)
    rows = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in values)
    params = [
        v
        for name, value in values.items()
        for v in (user_id, flow_id, name, json.dumps(value, ensure_ascii=False), run_id, stamp)
    ]
    conn.later(
        f"""INSERT INTO facts (user_id, flow_id, name, value_json, run_id, updated_at)
            VALUES {rows}
            ON CONFLICT (user_id, flow_id, name)
            DO UPDATE SET value_json = excluded.value_json, run_id = excluded.run_id,
                          updated_at = excluded.updated_at""",
        params,
    )
