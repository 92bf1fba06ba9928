"""Moving a deployment: every row of a SQLite file into an empty PostgreSQL database.

One transaction on the target, so a copy that fails leaves it empty. Tables go in the order
their foreign keys need, each in row id order, in batches (memory does not grow with the
file); identity sequences are then moved past the largest id copied, so the next founder
gets a new id. The send budget's moment-to-moment pace is left behind. A table this module
does not know (a migration added one) stops the copy before anything is written, rather
than leaving it behind.
"""

from __future__ import annotations

from bot.errors import StorageError
from bot.storage.db import Database

# every table, parents before children
TABLES = (
    "users",
    "flow_runs",
    "answers",
    "facts",
    "assessments",
    "advice",
    "commitments",
    "checkins",
    "checkin_attempts",
    "transcript",
    "processed_updates",
    "update_ledger",
    "outbox",
    "llm_usage",
)
# tables known but left behind: the send budget is the pace of messages going out right
# now (a moment in time, not history); the new deployment starts with a fresh one
NOT_COPIED = ("send_budget",)
# tables whose key is an identity in PostgreSQL: (table, column)
IDENTITIES = (
    *((table, "id") for table in TABLES if table not in {
        "facts", "assessments", "processed_updates", "update_ledger", "llm_usage"}),
    ("update_ledger", "update_id"),
)  # fmt: skip
BATCH = 5000


async def copy_rows(source: Database, target: Database, *, batch: int = BATCH) -> dict[str, int]:
    """Copy every row of ``source`` (SQLite) into ``target`` (PostgreSQL, migrated and
    empty) in one transaction; the rows copied per table."""
    if source.backend != "sqlite" or target.backend != "postgresql":
        raise StorageError("db copy copies a SQLite file into a PostgreSQL database")
    copied: dict[str, int] = {}
    async with source.snapshot() as read, target.transaction() as write:
        found = await read.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        unknown = sorted({row[0] for row in found.rows} - {*TABLES, *NOT_COPIED})
        if unknown:
            raise StorageError(f"the source has tables this coach cannot copy: {unknown}")
        for table in TABLES:
            if (await write.execute(f"SELECT 1 FROM {table} LIMIT 1")).rows:
                raise StorageError(f"the target is not empty ({table} has rows); copy refused")
        for table in TABLES:
            copied[table] = 0
            last = -1
            while True:
                rows = (
                    await read.execute(
                        f"SELECT rowid AS copy_rowid, * FROM {table} WHERE rowid > ? "
                        "ORDER BY rowid LIMIT ?",
                        (last, batch),
                    )
                ).rows
                if not rows:
                    break
                columns = [name for name in rows[0].keys() if name != "copy_rowid"]  # noqa: SIM118
                marks = ", ".join("?" for _ in columns)
                await write.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(row[name] for name in columns) for row in rows],
                )
                copied[table] += len(rows)
                last = rows[-1]["copy_rowid"]
        for table, column in IDENTITIES:
            await write.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), "
                f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)",
                (table, column),
            )
    return copied


async def row_counts(db: Database) -> dict[str, int]:
    """How many rows each table holds (to check a copy)."""
    counts: dict[str, int] = {}
    async with db.reading() as conn:
        for table in TABLES:
            row = (await conn.execute(f"SELECT COUNT(*) FROM {table}")).first
            counts[table] = int(row[0]) if row else 0
    return counts


async def founder_ids(db: Database, sample: int) -> list[int]:
    """Up to ``sample`` founder ids spread evenly over the table (first and last included)."""
    async with db.reading() as conn:
        ids = [
            int(row[0]) for row in (await conn.execute("SELECT id FROM users ORDER BY id")).rows
        ]
    if len(ids) <= sample:
        return ids
    step = (len(ids) - 1) / (sample - 1)
    return sorted({ids[round(i * step)] for i in range(sample)})
