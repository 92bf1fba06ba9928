"""What a turn starts from, read in one trip: the update claimed, the founder, their current
run and their facts.

Every turn needs all of it, so it is one statement (after the exactly-once claim) instead of
four or five, sent with the ``BEGIN`` of the turn's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import to_text
from bot.storage import runs, users
from bot.storage.db import Connection
from bot.storage.runs import Run
from bot.storage.users import User

_RUN = ("id", "user_id", "flow_id", "status", "state_json", "started_at", "updated_at",
        "completed_at")  # fmt: skip

# The founder, their facts as one JSON array, and their current run (the active, unpaused run
# touched last, as runs.current) joined alongside.
_LOAD = f"""
SELECT {", ".join(f"u.{c.strip()}" for c in users._COLUMNS.split(","))},
       (SELECT json_group_array(json_array(f.flow_id, f.name, f.value_json))
          FROM facts f WHERE f.user_id = u.id) AS facts_json,
       {", ".join(f"r.{c} AS run_{c}" for c in _RUN)}
  FROM users u
  LEFT JOIN flow_runs r ON r.id = (
       SELECT id FROM flow_runs
        WHERE user_id = u.id AND status = 'active'
          AND NOT COALESCE(json_extract(state_json, '$.paused'), 0)
        ORDER BY updated_at DESC, id DESC LIMIT 1)
 WHERE u.channel = ? AND u.external_id = ?
"""


@dataclass(frozen=True)
class Start:
    """A turn's starting point (``claimed`` False: the update was handled before)."""

    claimed: bool
    user: User | None = None
    created: bool = False
    current: Run | None = None
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)


async def begin(
    conn: Connection,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    client_language: str | None = None,
    once: str | None = None,
) -> Start:
    """Claim ``once`` (if given), then load the founder (created on first contact)."""
    stamp = to_text(now)

    def work(raw: sqlite3.Connection) -> Start:
        if once is not None:
            claimed = raw.execute(
                "INSERT INTO processed_updates (key, processed_at) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                (once, stamp),
            )
            if claimed.rowcount != 1:
                return Start(claimed=False)
        row = raw.execute(_LOAD, (channel, external_id)).fetchone()
        created = False
        if row is None:  # first contact
            raw.execute(
                """INSERT INTO users (channel, external_id, client_language, created_at,
                                      updated_at) VALUES (?, ?, ?, ?, ?)""",
                (channel, external_id, client_language, stamp, stamp),
            )
            created = True
            row = raw.execute(_LOAD, (channel, external_id)).fetchone()
        elif client_language and row["client_language"] != client_language:
            raw.execute(
                "UPDATE users SET client_language = ? WHERE id = ?", (client_language, row["id"])
            )
        return _start(row, created, client_language)

    return await conn.run(work)


def _start(row: sqlite3.Row, created: bool, client_language: str | None) -> Start:
    fields = {name.strip(): row[name.strip()] for name in users._COLUMNS.split(",")}
    if client_language:
        fields["client_language"] = client_language
    known: dict[str, dict[str, Any]] = {}
    for flow_id, name, value_json in json.loads(row["facts_json"] or "[]"):
        known.setdefault(flow_id, {})[name] = json.loads(value_json)
    current = None
    if row["run_id"] is not None:
        current = runs._run({c: row[f"run_{c}"] for c in _RUN})
    return Start(claimed=True, user=User(**fields), created=created, current=current, facts=known)
