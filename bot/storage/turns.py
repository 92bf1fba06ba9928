"""What a turn starts from, read in one trip: the update claimed, the founder, their current
run and their facts.

Every turn needs all of it, so it is one statement (after the exactly-once claim) instead of
four or five, sent with the ``BEGIN`` of the turn's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from bot.clock import to_text
from bot.storage import runs, users
from bot.storage.db import Connection, Script
from bot.storage.dialect import Dialect
from bot.storage.runs import Run
from bot.storage.users import User

_RUN = ("id", "user_id", "flow_id", "status", "state_json", "started_at", "updated_at",
        "completed_at")  # fmt: skip


@cache
def _load(dialect: Dialect) -> str:
    """The founder, their facts as one JSON array, and their current run (the active,
    unpaused run touched last, as runs.current) joined alongside."""
    founder = ", ".join(f"u.{c.strip()}" for c in users._COLUMNS.split(","))
    run = ", ".join(f"r.{c} AS run_{c}" for c in _RUN)
    return f"""
SELECT {founder},
       (SELECT {dialect.rows_as_json("f.flow_id, f.name, f.value_json", "f.flow_id, f.name")}
          FROM facts f WHERE f.user_id = u.id) AS facts_json,
       {run}
  FROM users u
  LEFT JOIN flow_runs r ON r.id = (
       SELECT id FROM flow_runs
        WHERE user_id = u.id AND status = 'active'
          AND NOT {dialect.flag("state_json", "paused")}
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
    load = _load(conn.dialect)
    return await conn.script(
        _begin(load, channel, external_id, to_text(now), client_language, once)
    )


def _begin(
    load: str,
    channel: str,
    external_id: str,
    stamp: str,
    client_language: str | None,
    once: str | None,
) -> Script[Start]:
    """:func:`begin`'s statements, each chosen by the rows of the one before."""
    if once is not None:
        claimed = yield (
            "INSERT INTO processed_updates (key, processed_at) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (once, stamp),
        )
        if claimed.rowcount != 1:
            return Start(claimed=False)
    row = (yield (load, (channel, external_id))).first
    created = False
    if row is None:  # first contact
        yield (
            """INSERT INTO users (channel, external_id, client_language, created_at,
                                  updated_at) VALUES (?, ?, ?, ?, ?)""",
            (channel, external_id, client_language, stamp, stamp),
        )
        created = True
        row = (yield (load, (channel, external_id))).first
    elif client_language and row["client_language"] != client_language:
        yield (
            "UPDATE users SET client_language = ? WHERE id = ?",
            (client_language, row["id"]),
        )
    return _start(row, created, client_language)


def _start(row: Any, created: bool, client_language: str | None) -> Start:
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
