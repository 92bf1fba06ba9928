"""Numbered schema migrations, tracked in ``PRAGMA user_version``.

Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the version
bump, so a failure leaves the database at the previous version. Never edit a released
migration: add the next one. SQL stays portable (a PostgreSQL backend is planned): plain
types, ISO-8601 UTC timestamps as text, no SQLite-only functions in queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    statements: tuple[str, ...]


INITIAL_SCHEMA = Migration(
    1,
    "initial schema",
    (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            display_name TEXT,
            locale TEXT,
            client_language TEXT,
            timezone TEXT,
            pending TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (channel, external_id)
        )""",
        """CREATE TABLE flow_runs (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            flow_id TEXT NOT NULL,
            flow_version INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
            step_id TEXT,
            state_json TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            completed_at TEXT
        )""",
        """CREATE UNIQUE INDEX flow_runs_one_active
            ON flow_runs (user_id, flow_id) WHERE status = 'active'""",
        "CREATE INDEX flow_runs_user ON flow_runs (user_id, updated_at)",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            flow_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            value_json TEXT NOT NULL,
            revision INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (run_id, step_id, revision)
        )""",
        "CREATE INDEX answers_user ON answers (user_id, flow_id)",
        """CREATE TABLE facts (
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            flow_id TEXT NOT NULL,
            name TEXT NOT NULL,
            value_json TEXT NOT NULL,
            run_id INTEGER REFERENCES flow_runs (id) ON DELETE SET NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, flow_id, name)
        )""",
        """CREATE TABLE assessments (
            run_id INTEGER NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
            dimension TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            PRIMARY KEY (run_id, dimension)
        )""",
        """CREATE TABLE advice (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
            flow_id TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            priority INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (run_id, rule_id)
        )""",
        """CREATE TABLE commitments (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            advice_id INTEGER REFERENCES advice (id) ON DELETE SET NULL,
            flow_id TEXT,
            commitment_id TEXT,
            text TEXT,
            status TEXT NOT NULL DEFAULT 'open',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE checkins (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            commitment_id INTEGER REFERENCES commitments (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            due_at TEXT NOT NULL,
            timezone TEXT NOT NULL,
            local_intent TEXT,
            status TEXT NOT NULL DEFAULT 'scheduled',
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_at TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX checkins_due ON checkins (status, due_at)",
        """CREATE TABLE transcript (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            run_id INTEGER REFERENCES flow_runs (id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX transcript_user ON transcript (user_id, id)",
    ),
)

PROCESSED_UPDATES = Migration(
    2,
    "processed transport updates",
    (
        # Telegram re-delivers an update whose offset was not confirmed before a crash;
        # recording its id in the turn's own transaction makes processing exactly-once.
        """CREATE TABLE processed_updates (
            key TEXT PRIMARY KEY,
            processed_at TEXT NOT NULL
        )""",
        "CREATE INDEX processed_updates_age ON processed_updates (processed_at)",
    ),
)

CONSENT = Migration(
    3,
    "consent",
    # When the founder agreed to have their answers kept; NULL: not yet (ask first).
    ("ALTER TABLE users ADD COLUMN consented_at TEXT",),
)

CHECKINS = Migration(
    4,
    "check-in lifecycle",
    (
        # the conversation a check-in started, and what the founder answered
        """ALTER TABLE checkins
           ADD COLUMN run_id INTEGER REFERENCES flow_runs (id) ON DELETE SET NULL""",
        "ALTER TABLE checkins ADD COLUMN outcome TEXT",
        "ALTER TABLE checkins ADD COLUMN note TEXT",
        "ALTER TABLE checkins ADD COLUMN answered_at TEXT",
        "ALTER TABLE checkins ADD COLUMN reminded_at TEXT",
        "CREATE INDEX checkins_user ON checkins (user_id, status)",
        "CREATE INDEX checkins_run ON checkins (run_id)",
        # every send attempt, for operators and for the retry policy
        """CREATE TABLE checkin_attempts (
            id INTEGER PRIMARY KEY,
            checkin_id INTEGER NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
            attempted_at TEXT NOT NULL,
            result TEXT NOT NULL,
            detail TEXT
        )""",
    ),
)

UPDATE_LEDGER = Migration(
    5,
    "update ledger",
    (
        # Every update is written here before Telegram is told it arrived (the next
        # getUpdates offset, or the webhook's 200), so a crash cannot lose one. The payload
        # is blanked once the update is handled; the row stays a while to drop re-deliveries.
        """CREATE TABLE update_ledger (
            update_id INTEGER PRIMARY KEY,
            payload TEXT NOT NULL,
            received_at TEXT NOT NULL,
            finished_at TEXT
        )""",
        "CREATE INDEX update_ledger_unfinished ON update_ledger (finished_at, update_id)",
    ),
)

CURRENCY = Migration(
    6,
    "working currency",
    # The currency the founder typed with an amount (ISO code: USD, CAD, CNY); money they
    # give is shown in it. NULL: never said, amounts are shown as plain numbers.
    ("ALTER TABLE users ADD COLUMN currency TEXT",),
)

OUTBOX_AND_LEASES = Migration(
    7,
    "reply outbox and check-in leases",
    (
        # Replies Telegram did not take (429 or 5xx after the transport's retries), kept in
        # order per founder and sent before anything else goes to them.
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            chat_id TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('message', 'document')),
            text TEXT,
            markup_json TEXT,
            data BLOB,
            filename TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_user ON outbox (user_id, id)",
        # A claimed check-in holds a lease: a row still ``sending`` after it expired was cut
        # off (a crash) and is sent again, never silently counted as sent.
        "ALTER TABLE checkins ADD COLUMN claimed_until TEXT",
        "ALTER TABLE checkins ADD COLUMN claimed_by TEXT",
    ),
)

LLM_USAGE = Migration(
    8,
    "language-model answers per founder and day",
    (
        # How many /ask answers a language model wrote for a founder on a day (their local
        # date): the daily cap. Only the count is kept, never the question or the answer.
        """CREATE TABLE llm_usage (
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            calls INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (user_id, day)
        )""",
    ),
)

WORKERS = Migration(
    9,
    "several workers: ledger founders and the shared send budget",
    (
        # Whose update a ledger row is: a worker drains a founder's oldest unfinished row
        # first, under that founder's lock. NULL for rows stored before this migration.
        "ALTER TABLE update_ledger ADD COLUMN founder BIGINT",
        """CREATE INDEX update_ledger_founder_unfinished
            ON update_ledger (founder, update_id) WHERE finished_at IS NULL""",
        # One GCRA slot per budget (the Telegram token's messages): the theoretical arrival
        # time of the next message, in seconds since the epoch, shared by every worker.
        """CREATE TABLE send_budget (
            name TEXT PRIMARY KEY,
            tat DOUBLE PRECISION NOT NULL
        )""",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    INITIAL_SCHEMA,
    PROCESSED_UPDATES,
    CONSENT,
    CHECKINS,
    UPDATE_LEDGER,
    CURRENCY,
    OUTBOX_AND_LEASES,
    LLM_USAGE,
    WORKERS,
)
LATEST_VERSION = MIGRATIONS[-1].version


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The version the database file is at (0 for an empty file)."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, *, target: int | None = None) -> list[int]:
    """Apply every migration above the file's version up to ``target``; return those applied."""
    latest = MIGRATIONS[-1].version
    target = latest if target is None else target
    current = await schema_version(conn)
    if current > latest:
        raise RuntimeError(
            f"the database is at schema {current}, newer than this coach ({latest})"
        )
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version <= current or migration.version > target:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {migration.version}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied.append(migration.version)
    return applied
