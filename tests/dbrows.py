"""Reading rows in a test through the coach's own database, whichever backend it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.storage import Database


async def rows(db: Database, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` as plain tuples, read in a transaction of their own."""
    async with db.reading() as conn, conn.execute(sql, params) as found:
        return [tuple(row) for row in await found.fetchall()]
