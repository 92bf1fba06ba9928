"""``founder-coach db …``: the operator's database commands (migrate; copy to PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock, SystemClock
from bot.config import Settings
from bot.errors import StorageError
from bot.export.data import to_json
from bot.storage import LATEST_VERSION, Database, is_postgres, redacted, users
from bot.storage.copying import copy_rows, founder_ids, row_counts

SAMPLE = 20  # founders whose JSON exports are compared after a copy


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``db migrate`` (and its options) with the main parser."""
    db = commands.add_parser("db", help="migrate the database")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    migrate = actions.add_parser(
        "migrate",
        help="bring the schema up to date (safe to run again, and beside running workers)",
        description="Apply the schema migrations the database lacks, then say which. On "
        "PostgreSQL they run under an advisory lock, so workers starting at the same time "
        "apply each one once.\n\nExample: founder-coach db migrate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    migrate.add_argument(
        "--db",
        help="SQLite database file or postgresql:// URL "
        "(default: $FOUNDER_COACH_DATABASE_URL, else $FOUNDER_COACH_DB)",
    )

    copy = actions.add_parser(
        "copy",
        help="copy a SQLite file into an empty PostgreSQL database, and check the copy",
        description="Copy every row of a SQLite database into an empty PostgreSQL one, in one "
        "transaction (stop the coach first). The copy is then checked: equal row counts in "
        f"every table, and equal JSON exports for {SAMPLE} founders spread over the file. A "
        "target that already holds rows is refused.\n\nExample: founder-coach db copy --from "
        "data/founder-coach.db --to postgresql://coach:secret@db.internal/coach",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    copy.add_argument("--from", dest="source", required=True, help="the SQLite database file")
    copy.add_argument("--to", dest="target", required=True, help="a postgresql:// URL")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run a ``db`` action; errors (StorageError) propagate to the CLI's one-line report."""
    if args.db_command == "copy":
        return asyncio.run(_copy(settings, Path(args.source), args.target))
    return asyncio.run(_migrate(settings))


async def _migrate(settings: Settings) -> int:
    target = settings.database
    db = await Database.open(target, migrate=False)
    try:
        before = await db.schema_version()
        applied = await db.migrate()
    finally:
        await db.close()
    where = redacted(str(target))
    if applied:
        steps = ", ".join(str(version) for version in applied)
        print(f"{where}: applied migration{'s' if len(applied) > 1 else ''} {steps} "
              f"(schema {before} → {LATEST_VERSION})")  # fmt: skip
    else:
        print(f"{where}: already at schema {LATEST_VERSION}, nothing to apply")
    return 0


async def _copy(settings: Settings, source_path: Path, target_url: str) -> int:
    if not is_postgres(target_url):
        print("error: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    if not await asyncio.to_thread(source_path.is_file):
        print(f"error: no database at {source_path}", file=sys.stderr)
        return 1
    source = await Database.open(source_path)  # at the latest schema, as the target will be
    try:
        target = await Database.open(target_url)
        try:
            copied = await copy_rows(source, target)
            print(f"copied {sum(copied.values())} rows into {redacted(target_url)}: "
                  + ", ".join(f"{table} {count}" for table, count in copied.items()))  # fmt: skip
            return await _verify(settings, source, target)
        finally:
            await target.close()
    finally:
        await source.close()


async def _verify(settings: Settings, source: Database, target: Database) -> int:
    """Equal row counts, and equal JSON exports for founders spread over the table."""
    before, after = await row_counts(source), await row_counts(target)
    differ = [f"{t}: {before[t]} → {after[t]}" for t in before if before[t] != after[t]]
    if differ:
        print("error: the copy differs in row counts: " + "; ".join(differ), file=sys.stderr)
        return 1
    from bot.coach import Coach  # the exports are the coach's own

    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    clock = SystemClock()
    now = clock.now()
    sampled = await founder_ids(source, SAMPLE)
    for user_id in sampled:
        exports = []
        for db in (source, target):
            coach = Coach(db, catalog, FrozenClock(now))  # one moment for both exports
            async with db.reading() as conn:
                founder = await users.get(conn, user_id)
                if founder is None:
                    raise StorageError(f"founder {user_id} is missing from the copy")
                summary = await coach.summary_of(conn, founder, transcript=True)
            exports.append(to_json(summary))
        if exports[0] != exports[1]:
            print(
                f"error: founder {user_id}'s export differs between the file and the copy",
                file=sys.stderr,
            )
            return 1
    print(f"checked: equal row counts in {len(before)} tables, equal JSON exports for "
          f"{len(sampled)} founders")  # fmt: skip
    return 0
