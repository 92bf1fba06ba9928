"""The store (SQLite, or PostgreSQL for several workers): the only package that contains SQL."""

from bot.storage import (
    checkins,
    facts,
    history,
    inbox,
    ledger,
    llm_usage,
    outbox,
    records,
    runs,
    send_budget,
    turns,
    users,
)
from bot.storage.db import (
    Connection,
    Database,
    Rows,
    is_postgres,
    open_database,
    redacted,
)
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, apply_migrations, schema_version
from bot.storage.runs import Run
from bot.storage.users import User

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "Connection",
    "Database",
    "Rows",
    "Run",
    "User",
    "apply_migrations",
    "checkins",
    "facts",
    "history",
    "inbox",
    "is_postgres",
    "ledger",
    "llm_usage",
    "open_database",
    "outbox",
    "records",
    "redacted",
    "runs",
    "schema_version",
    "send_budget",
    "turns",
    "users",
]
