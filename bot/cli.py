"""The ``founder-coach`` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.catalog import check_catalog, load_checked_catalog
from bot.config import Settings, load_settings
from bot.errors import BotError, FlowDefinitionError
from bot.logsafe import configure_logging
from bot.models import UserRef
from bot.rendering import Target
from bot.runtime import checkin_service, open_coach

CONSOLE_CHANNEL = "console"


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="SQLite database file (default: $FOUNDER_COACH_DB)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="founder-coach",
        description="A coach for founders of AI / large-model startups.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="start the coach: Telegram with a token, else the console",
        description="Start the coach. With TELEGRAM_BOT_TOKEN set it serves Telegram;\n"
        "without it, the console coach opens.\n\nExample: founder-coach run --db data/coach.db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(run)

    chat = commands.add_parser(
        "chat",
        help="talk to the coach in the terminal",
        description="A coaching conversation in the terminal (or over JSON lines).\n\n"
        "Example: founder-coach chat --user ada --lang zh",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(chat)
    chat.add_argument("--user", help="founder name; several founders can share one database")
    chat.add_argument("--lang", choices=["en", "zh"], help="language to coach in")
    chat.add_argument("--jsonl", action="store_true", help="speak JSON lines instead of text")

    flows = commands.add_parser("flows", help="check or draw the flow definitions")
    flow_commands = flows.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    flow_commands.add_parser(
        "check",
        help="validate every flow and template",
        description="Validate flows/ and content/; print each problem.\n\n"
        "Example: founder-coach flows check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    graph = flow_commands.add_parser(
        "graph",
        help="print a flow as a Mermaid diagram",
        description="Print a flow as a Mermaid flowchart.\n\n"
        "Example: founder-coach flows graph funding",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    graph.add_argument("flow", help="flow id, e.g. onboarding")

    export = commands.add_parser(
        "export",
        help="write a founder's summary as md, html, json or csv",
        description="Export one founder's coaching summary (only their data).\n\n"
        "Example: founder-coach export --db data/coach.db --user ada --format html -o ada.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(export)
    export.add_argument("--user", required=True, help="the founder (console name or Telegram id)")
    export.add_argument("--format", required=True, choices=["md", "html", "json", "csv"])
    export.add_argument("--transcript", action="store_true", help="include the whole conversation")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    checkins = commands.add_parser("checkins", help="inspect scheduled check-ins")
    checkin_commands = checkins.add_subparsers(
        dest="checkins_command", required=True, metavar="ACTION"
    )
    listing = checkin_commands.add_parser(
        "list",
        help="list check-ins with their founder, due time and state",
        description="List check-ins (every founder, or one) with due times in UTC and in the "
        "founder's zone.\n\nExample: founder-coach checkins list --db data/coach.db --user ada",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(listing)
    listing.add_argument("--user", help="only this founder (console name or Telegram id)")
    return parser


def _configure_logging(settings: Settings, *, conversation: bool) -> None:
    """Log through the redacting formatter; a terminal conversation stays quiet by default."""
    secrets = [
        secret.get_secret_value()
        for secret in (settings.telegram_bot_token, settings.telegram_webhook_secret)
        if secret is not None
    ]
    level = settings.founder_coach_log_level
    if conversation and "founder_coach_log_level" not in settings.model_fields_set:
        level = "WARNING"  # INFO lines would interleave with the conversation on the screen
    configure_logging(level, secrets)


def _flows_check(settings: Settings) -> int:
    catalog, problems = check_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"OK: {len(catalog.flows)} flows, {len(catalog.locales)} locales.")
    return 0


def _flows_graph(settings: Settings, flow_id: str) -> int:
    from bot.engine.graph import mermaid

    catalog, _ = check_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    flow = catalog.flows.get(flow_id)
    if flow is None:
        print(f"no flow {flow_id!r}; known: {', '.join(sorted(catalog.flows))}", file=sys.stderr)
        return 1
    print(mermaid(flow), end="")
    return 0


async def _chat(settings: Settings, *, user: str | None, lang: str | None, jsonl: bool) -> int:
    from bot.adapters.console import run_console
    from bot.adapters.jsonl import run_jsonl

    name = user or _default_user()
    who = UserRef(channel=CONSOLE_CHANNEL, external_id=name, display_name=name, language_code=lang)
    from bot.adapters.console import console_sender
    from bot.adapters.jsonl import jsonl_sender
    from bot.checkins.scheduler import CheckinScheduler

    async with open_coach(settings, target=Target.PLAIN) as coach:
        if lang:
            await coach.set_locale(who, lang)
        sender = jsonl_sender(who) if jsonl else console_sender(who)
        scheduler = CheckinScheduler(checkin_service(coach, settings, sender))
        await scheduler.start()
        try:
            if jsonl:
                return await run_jsonl(coach, who)
            return await run_console(coach, who)
        finally:
            await scheduler.stop()


async def _checkins_list(settings: Settings, user: str | None) -> int:
    from zoneinfo import ZoneInfo

    from bot.storage import Database, checkins, users

    db = await Database.open(settings.founder_coach_db)
    try:
        async with db.reading() as conn:
            user_id = None
            if user is not None:
                found = [
                    await users.find(conn, channel=c, external_id=user)
                    for c in ("console", "telegram")
                ]
                matches = [u for u in found if u is not None]
                if not matches:
                    print(f"no founder {user!r}", file=sys.stderr)
                    return 1
                user_id = matches[0].id
            rows = await checkins.listing(conn, user_id)
    finally:
        await db.close()
    if not rows:
        print("no check-ins")
        return 0
    print(f"{'id':>5}  {'founder':<20} {'kind':<13} {'due (UTC)':<17} {'due (local)':<17} "
          f"{'zone':<20} {'status':<10} {'tries':>5}  commitment")  # fmt: skip
    from bot.clock import from_text

    for row in rows:
        due = from_text(row["due_at"])
        local = due.astimezone(ZoneInfo(row["timezone"]))
        who = f"{row['channel']}:{row['external_id']}"
        print(f"{row['id']:>5}  {who:<20} {row['kind']:<13} {due:%Y-%m-%d %H:%M} "
              f"{local:%Y-%m-%d %H:%M} {row['timezone']:<20} {row['status']:<10} "
              f"{row['attempts']:>5}  {row['commitment'] or ''}")  # fmt: skip
    return 0


async def _export(settings: Settings, user: str, fmt: str, *, transcript: bool) -> bytes | None:
    from bot.storage import users

    async with open_coach(settings, target=Target.PLAIN) as coach:
        async with coach.db.reading() as conn:
            found = [
                await users.find(conn, channel=c, external_id=user)
                for c in ("console", "telegram")
            ]
            founder = next((u for u in found if u is not None), None)
            if founder is None:
                print(f"no founder {user!r}", file=sys.stderr)
                return None
            summary = await coach.summary_of(conn, founder, transcript=transcript)
        if summary.is_empty:
            print(f"{user!r} has nothing to export yet", file=sys.stderr)
            return None
        return coach.render_file(summary, fmt, coach.locale_for(founder)).data


def _write(data: bytes | None, output: Path | None) -> int:
    if data is None:
        return 1
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "founder"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``founder-coach`` and ``python -m bot``."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(founder_coach_db=getattr(args, "db", None))
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    in_terminal = args.command == "chat" or (
        args.command == "run" and settings.telegram_bot_token is None
    )
    _configure_logging(settings, conversation=in_terminal)
    try:
        if args.command == "flows":
            if args.flows_command == "check":
                return _flows_check(settings)
            return _flows_graph(settings, args.flow)
        if args.command == "export":
            data = asyncio.run(
                _export(settings, args.user, args.format, transcript=args.transcript)
            )
            return _write(data, args.output)
        if args.command == "checkins":
            return asyncio.run(_checkins_list(settings, args.user))
        if args.command == "chat":
            return asyncio.run(_chat(settings, user=args.user, lang=args.lang, jsonl=args.jsonl))
        if settings.telegram_bot_token is None:
            return asyncio.run(_chat(settings, user=None, lang=None, jsonl=False))
        # PTB 22: time periods (RetryAfter.retry_after, ...) as timedeltas, without warnings
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from bot.adapters.telegram import run_telegram

        db = str(settings.founder_coach_db)
        catalog = load_checked_catalog(
            settings.founder_coach_flows_dir,
            settings.founder_coach_content_dir,
            remember_in=None if db == ":memory:" else Path(db).parent,
        )
        return run_telegram(settings, catalog)
    except FlowDefinitionError as exc:
        print("The flows or content are invalid; the coach will not start:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
