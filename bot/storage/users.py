"""Founders: who they are on which channel, and their settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.clock import to_text
from bot.storage.db import Connection


class User(BaseModel):
    """A founder as the store knows them."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: str
    external_id: str
    display_name: str | None
    locale: str | None
    client_language: str | None
    timezone: str | None
    pending: str | None
    active: bool
    consented_at: str | None = None
    currency: str | None = None  # ISO code of the money the founder works in (CAD), if said

    @property
    def consented(self) -> bool:
        """Whether the founder agreed to have their answers kept."""
        return self.consented_at is not None


_COLUMNS = (
    "id, channel, external_id, display_name, locale, client_language, timezone, pending,"
    " active, consented_at, currency"
)


def _user(row: Any) -> User:
    return User(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - Row is not a dict


async def get_or_create(
    conn: Connection,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    display_name: str | None = None,
    client_language: str | None = None,
) -> tuple[User, bool]:
    """The founder for this channel identity, created on first contact; ``(user, created)``."""
    stamp = to_text(now)
    cursor = await conn.execute(
        """INSERT INTO users (channel, external_id, display_name, client_language,
                              created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (channel, external_id) DO NOTHING""",
        (channel, external_id, display_name, client_language, stamp, stamp),
    )
    created = cursor.rowcount == 1
    if not created and client_language:
        await conn.execute(
            "UPDATE users SET client_language = ? WHERE channel = ? AND external_id = ?"
            " AND (client_language IS NULL OR client_language <> ?)",
            (client_language, channel, external_id, client_language),
        )
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE channel = ? AND external_id = ?",
        (channel, external_id),
    ) as rows:
        row = await rows.fetchone()
    assert row is not None
    return _user(row), created


async def identities(conn: Connection, limit: int = 20) -> list[tuple[str, str]]:
    """Some founders' (channel, external id), most recently active first (operator hints)."""
    async with conn.execute(
        "SELECT channel, external_id FROM users ORDER BY updated_at DESC, id DESC LIMIT ?",
        (limit,),
    ) as rows:
        return [(row[0], row[1]) async for row in rows]


async def get(conn: Connection, user_id: int) -> User | None:
    """A founder by id."""
    async with conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)) as rows:
        row = await rows.fetchone()
    return _user(row) if row else None


async def find(conn: Connection, *, channel: str, external_id: str) -> User | None:
    """A founder by channel identity, or None."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE channel = ? AND external_id = ?",
        (channel, external_id),
    ) as rows:
        row = await rows.fetchone()
    return _user(row) if row else None


_SETTABLE = {"display_name", "locale", "timezone", "pending", "active", "consented_at", "currency"}


async def update(conn: Connection, user_id: int, now: datetime, **fields: object) -> None:
    """Change some of a founder's settings."""
    unknown = set(fields) - _SETTABLE
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)}")
    if not fields:
        return
    assignments = ", ".join(f"{name} = ?" for name in fields)
    conn.later(
        f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",
        (*fields.values(), to_text(now), user_id),
    )


async def stats(conn: Connection, *, since: datetime) -> dict[str, int]:
    """Operator figures: founders, active since a time, flows started and completed."""
    queries = {
        "founders": ("SELECT COUNT(*) FROM users", ()),
        "active": (
            """SELECT COUNT(DISTINCT user_id) FROM transcript
               WHERE direction = 'in' AND created_at >= ?""",
            (to_text(since),),
        ),
        "flows_started": ("SELECT COUNT(*) FROM flow_runs", ()),
        "flows_completed": ("SELECT COUNT(*) FROM flow_runs WHERE status = 'completed'", ()),
        "checkins_sent": (
            "SELECT COUNT(*) FROM checkins WHERE status IN ('sent', 'answered', 'missed')",
            (),
        ),
        "checkins_answered": ("SELECT COUNT(*) FROM checkins WHERE status = 'answered'", ()),
    }
    figures: dict[str, int] = {}
    for name, (sql, params) in queries.items():
        async with conn.execute(sql, params) as rows:
            row = await rows.fetchone()
        figures[name] = int(row[0]) if row else 0
    return figures


async def delete(conn: Connection, user_id: int) -> None:
    """Forget a founder: every row that belongs to them goes (foreign keys cascade)."""
    await conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


async def forget_unconsented(conn: Connection, *, before: datetime, limit: int = 500) -> int:
    """Delete up to ``limit`` founders who never consented, first seen before ``before``;
    how many went."""
    cursor = await conn.execute(
        "DELETE FROM users WHERE id IN (SELECT id FROM users "
        "WHERE consented_at IS NULL AND created_at < ? LIMIT ?)",
        (to_text(before), limit),
    )
    return cursor.rowcount
