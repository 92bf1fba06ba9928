"""The ``founder-coach`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import __version__, cli_db
from bot.catalog import check_catalog, load_checked_catalog, remember_check
from bot.config import Settings, load_settings
from bot.errors import BotError, FlowDefinitionError, StorageError
from bot.knowledge import check_knowledge
from bot.logsafe import REDACTED, configure_logging, secret_forms
from bot.models import UserRef
from bot.rendering import Target
from bot.rendering.markup import format_text
from bot.runtime import checkin_service, open_coach
from bot.storage.db import is_postgres, redacted

CONSOLE_CHANNEL = "console"
log = logging.getLogger("bot.cli")


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="SQLite database file or postgresql:// URL "
        "(default: $FOUNDER_COACH_DATABASE_URL, else $FOUNDER_COACH_DB)",
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
    run.add_argument("--user", help="console only: the founder's name (default: your OS user)")
    run.add_argument("--lang", choices=["en", "zh"], help="console only: language to coach in")

    chat = commands.add_parser(
        "chat",
        help="talk to the coach in the terminal",
        description="A coaching conversation in the terminal (or over JSON lines).\n\n"
        "Example: founder-coach chat --user ada --lang zh",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(chat)
    chat.add_argument(
        "--user",
        help="founder name (default: your OS user); several founders can share one database",
    )
    chat.add_argument("--lang", choices=["en", "zh"], help="language to coach in")
    chat.add_argument("--jsonl", action="store_true", help="speak JSON lines instead of text")

    flows = commands.add_parser("flows", help="check or draw the flow definitions")
    flow_commands = flows.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    check = flow_commands.add_parser(
        "check",
        help="validate every flow and template",
        description="Validate flows/ and content/; print each problem.\n\n"
        "Example: founder-coach flows check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "--remember",
        action="store_true",
        help="when all is well, leave a mark beside the installed code so that a start "
        "with these same files skips its own template check (an image build: see Dockerfile)",
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
        help="write a founder's summary as md, html, json or csv, or their investor draft",
        description="Export one founder's coaching summary (only their data).\n\n"
        "Example: founder-coach export --user ada --format html -o ada.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(export)
    export.add_argument(
        "--user",
        help="the founder: console:NAME, telegram:ID, or a bare name or id if it names only one"
        " founder (default: your OS user)",
    )
    export.add_argument(
        "--format",
        required=True,
        choices=["md", "html", "json", "csv", "investor", "investor_public"],
        help="investor: the investor-update draft (investor_public: without private notes)",
    )
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
        "founder's zone.\n\nExample: founder-coach checkins list --user ada",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_db(listing)
    listing.add_argument(
        "--user", help="only this founder (console:NAME, telegram:ID, or a bare name or id)"
    )
    cli_db.add_commands(commands)
    webhook = commands.add_parser(
        "webhook",
        help="register, show or remove the Telegram webhook (once per deploy)",
        description="The webhook at Telegram, for the workers behind a load balancer (they "
        "never register it\nthemselves). Uses TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL and "
        "TELEGRAM_WEBHOOK_SECRET.\n\nExample: founder-coach webhook set",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    webhook_commands = webhook.add_subparsers(
        dest="webhook_command", required=True, metavar="ACTION"
    )
    setting = webhook_commands.add_parser(
        "set",
        help="setWebhook if Telegram's differs from the settings; set the command menus",
        description="Compare Telegram's webhook with the settings and call setWebhook only "
        "when they differ\n(pending updates are kept); then set the command menus.\n\n"
        "Example: founder-coach webhook set",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    setting.add_argument(
        "--force",
        action="store_true",
        help="call setWebhook even if nothing seems to differ (after changing the secret, "
        "which Telegram never shows)",
    )
    webhook_commands.add_parser(
        "info",
        help="show the webhook Telegram has (never the token or the secret)",
        description="Show Telegram's webhook: address, pending updates, last error, and "
        "whether it matches the settings.\n\nExample: founder-coach webhook info",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    webhook_commands.add_parser(
        "delete",
        help="remove the webhook (pending updates are kept for long polling)",
        description="Remove the webhook; Telegram keeps the pending updates for "
        "`founder-coach run`\nwith long polling.\n\nExample: founder-coach webhook delete",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _configure_logging(settings: Settings, *, conversation: bool) -> None:
    """Log through the redacting formatter; a terminal conversation stays quiet by default."""
    secrets = settings.secrets
    level = settings.founder_coach_log_level
    if conversation and "founder_coach_log_level" not in settings.model_fields_set:
        level = "WARNING"  # INFO lines would interleave with the conversation on the screen
    configure_logging(level, secrets, log_text=settings.founder_coach_log_text)
    if level != "DEBUG":
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_failed_start)


def _quiet_failed_start(record: logging.LogRecord) -> bool:
    """PTB logs a failed start (a refused token, no network) with a long traceback; the
    command line says it in one line instead (:func:`_explain`). DEBUG keeps it."""
    message = record.getMessage()
    if record.name.startswith("telegram.request") and "invalid JSON" in message:
        return False  # not a Bot API server (a wrong base URL): the error line says so
    return not (record.name.startswith("telegram.ext") and "Bootstrap" in message)


def _flows_check(settings: Settings, *, remember: bool = False) -> int:
    catalog, problems = check_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    problems += check_knowledge(settings.founder_coach_content_dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"OK: {len(catalog.flows)} flows, {len(catalog.locales)} locales.")
    if remember:
        remember_check(settings.founder_coach_flows_dir, settings.founder_coach_content_dir)
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


NO_TERMINAL = (
    "error: no TELEGRAM_BOT_TOKEN, and no terminal to talk in (stdin is empty). Set "
    "TELEGRAM_BOT_TOKEN to serve Telegram, or start it in a terminal (docker run -it ...) "
    "for the console coach."
)


async def _chat(
    settings: Settings,
    *,
    user: str | None,
    lang: str | None,
    jsonl: bool,
    refuse_empty: bool = False,
) -> int:
    from bot.adapters.base import LineReader

    reader = None
    if refuse_empty and not sys.stdin.isatty():
        # `docker run` without -it and without a token: stdin is /dev/null. Greeting nobody
        # and exiting 0 would loop under --restart=always; say why instead. A script piped
        # in (it has lines) runs as before.
        reader = LineReader(sys.stdin)
        if await reader.ends_empty(1.0):
            reader.close()
            print(NO_TERMINAL, file=sys.stderr)
            return 2
    name = user or _default_user()
    who = UserRef(channel=CONSOLE_CHANNEL, external_id=name, display_name=name, language_code=lang)
    exports = settings.founder_coach_exports
    async with open_coach(settings, target=Target.PLAIN) as coach:
        coach.exports_dir = exports
        await coach.forget_unconsented()  # the upkeep the Telegram bot runs hourly
        if lang:
            await coach.set_locale(who, lang)
        return await serve_session(coach, settings, who, jsonl=jsonl, reader=reader)


async def serve_session(
    coach: Any,
    settings: Settings,
    who: UserRef,
    *,
    jsonl: bool,
    reader: Any = None,
    stdin: Any = None,
    stdout: Any = None,
) -> int:
    """One console or JSON-lines session with its check-in scheduler; the exit status.

    The session's turns and the check-ins take the same founder lock, and the scheduler
    starts once the greeting is out: a check-in already due then follows the greeting,
    instead of being printed by its send and again by the greeting (founder trial).
    """
    from bot.adapters.console import Console
    from bot.adapters.jsonl import JsonLines
    from bot.checkins.scheduler import CheckinScheduler
    from bot.storage.locks import locks_for

    exports = settings.founder_coach_exports
    locks = locks_for(coach.db)
    session: Any = (
        JsonLines(coach, who, exports=exports, locks=locks, stdin=stdin, stdout=stdout)
        if jsonl
        else Console(
            coach, who, exports=exports, reader=reader, locks=locks, stdin=stdin, stdout=stdout
        )
    )
    scheduler = CheckinScheduler(checkin_service(coach, settings, session.send, locks=locks))
    session.after_greeting = scheduler.start
    try:
        return int(await session.run())
    finally:
        await scheduler.stop()


CHANNELS = (CONSOLE_CHANNEL, "telegram")


async def _find_founder(conn: Any, user: str, db: Path) -> Any:
    """The founder an operator named, or None with a hint on stderr.

    ``telegram:1001`` or ``console:ada`` names one founder exactly. A bare name is looked up
    on every channel; when it names founders on two (a console founder called "1001" and
    Telegram founder 1001), nobody is picked: the operator is told to say which.
    """
    from bot.storage import users

    channel, sep, name = user.partition(":")
    if sep and channel in CHANNELS:
        found = await users.find(conn, channel=channel, external_id=name)
        matches = [found] if found is not None else []
    else:
        matches = [
            found
            for channel in CHANNELS
            if (found := await users.find(conn, channel=channel, external_id=user)) is not None
        ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = " or ".join(f"--user {m.channel}:{m.external_id}" for m in matches)
        print(f"{user!r} names more than one founder in {db}: say which, {names}", file=sys.stderr)
        return None
    known = await users.identities(conn, limit=10)
    names = ", ".join(f"{channel}:{name}" for channel, name in known)
    print(
        f"no founder {user!r} in {db}; "
        + (f"founders there: {names}" if names else "nobody has talked to the coach there yet"),
        file=sys.stderr,
    )
    return None


def _existing_db(settings: Settings) -> str | Path | None:
    """The database an operator command reads; None (and why) if there is no such file."""
    db = settings.database
    if isinstance(db, str):
        return redacted(db)  # a PostgreSQL server: opening it says whether it is there
    if str(db) != ":memory:" and not db.is_file():
        print(f"no database at {db} (pass --db PATH or set FOUNDER_COACH_DB)", file=sys.stderr)
        return None
    return db


async def _checkins_list(settings: Settings, user: str | None) -> int:
    from zoneinfo import ZoneInfo

    from bot.storage import Database, checkins

    path = _existing_db(settings)
    if path is None:
        return 1
    db = await Database.open(path)
    try:
        async with db.reading() as conn:
            user_id = None
            if user is not None:
                founder = await _find_founder(conn, user, path)
                if founder is None:
                    return 1
                user_id = founder.id
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
    path = _existing_db(settings)
    if path is None:
        return None
    async with open_coach(settings, target=Target.PLAIN) as coach:
        async with coach.db.reading() as conn:
            founder = await _find_founder(conn, user, path)
            if founder is None:
                return None
            summary = await coach.summary_of(conn, founder, transcript=transcript)
        if summary.is_empty:
            print(f"{user!r} has nothing to export yet", file=sys.stderr)
            return None
        locale = coach.locale_for(founder)
        if fmt in ("investor", "investor_public"):
            private = fmt == "investor"
            draft = coach.investor_draft(summary, locale, founder, private=private)
            if draft is None:
                print(f"{user!r} has nothing an investor draft could use yet", file=sys.stderr)
                return None
            gaps = coach.draft_gaps(summary, founder)
            if gaps:
                print(f"note: nothing in the draft from {', '.join(gaps)} yet", file=sys.stderr)
            if private and coach.private_notes(summary, founder):
                print(
                    "note: the draft quotes the founder's private weekly obstacles;"
                    " --format investor_public leaves them out",
                    file=sys.stderr,
                )
            return (format_text(draft, Target.PLAIN) + "\n").encode("utf-8")  # as the console
        return coach.render_file(summary, fmt, locale).data


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
    """The console founder when --user is not given: the OS user (``make run`` uses it too)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "founder"


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the command; errors propagate to :func:`main`."""
    if args.command == "flows":
        if args.flows_command == "check":
            return _flows_check(settings, remember=args.remember)
        return _flows_graph(settings, args.flow)
    if args.command == "export":
        user = args.user or _default_user()
        data = asyncio.run(_export(settings, user, args.format, transcript=args.transcript))
        return _write(data, args.output)
    if args.command == "checkins":
        return asyncio.run(_checkins_list(settings, args.user))
    if args.command == "db":
        return cli_db.run(args, settings)
    if args.command == "webhook":
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from bot.adapters.telegram.admin import webhook_command

        return asyncio.run(
            webhook_command(
                settings,
                args.webhook_command,
                force=getattr(args, "force", False),
                say=lambda line: print(_redact(line, settings)),
            )
        )
    if args.command == "chat":
        return asyncio.run(_chat(settings, user=args.user, lang=args.lang, jsonl=args.jsonl))
    if settings.telegram_bot_token is None:
        return asyncio.run(
            _chat(settings, user=args.user, lang=args.lang, jsonl=False, refuse_empty=True)
        )
    if args.user or args.lang:
        print(
            "error: --user and --lang are for the console coach; with TELEGRAM_BOT_TOKEN set, "
            "`run` serves Telegram (use `founder-coach chat` for the console)",
            file=sys.stderr,
        )
        return 2
    # PTB 22: time periods (RetryAfter.retry_after, ...) as timedeltas, without warnings
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from bot.adapters.telegram import run_telegram
    from bot.adapters.telegram.webhook import check_webhook_settings

    check_webhook_settings(settings)  # refuse an unauthenticated webhook before anything
    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir,
        settings.founder_coach_content_dir,
        remember_in=settings.database_folder,
    )
    if str(settings.database) != ":memory:":  # one that cannot be opened: say so now
        asyncio.run(_probe_db(settings))
    return run_telegram(settings, catalog)


async def _probe_db(settings: Settings) -> None:
    from bot.storage import Database

    db = await Database.open(settings.database)
    await db.close()


def _explain(exc: BaseException, settings: Settings) -> str:
    """One line for an error that stops the command (never a traceback)."""
    if isinstance(exc, StorageError):
        if isinstance(settings.database, str):
            return (
                f"error: {exc}. Check FOUNDER_COACH_DATABASE_URL and that the PostgreSQL "
                "server is running and reachable."
            )
        return f"error: {exc}. Use --db or FOUNDER_COACH_DB for a file in a folder you can write."
    if isinstance(exc, BotError):
        return f"error: {exc}"
    if "telegram" in sys.modules:
        from telegram import error as tg

        base = settings.telegram_api_base_url or "https://api.telegram.org"
        if isinstance(exc, tg.InvalidToken):
            return (
                "error: Telegram refused the bot token: TELEGRAM_BOT_TOKEN is wrong or revoked "
                "(@BotFather shows the right one), or TELEGRAM_API_BASE_URL is not a Bot API "
                "server."
            )
        if isinstance(exc, tg.NetworkError):  # TimedOut too
            cause = exc.__cause__ or exc.__context__
            reason = str(cause) if cause is not None and str(cause) else exc.message
            return (
                f"error: cannot reach the Telegram Bot API at {base}: {reason}. Check the "
                "network; behind a proxy set HTTPS_PROXY, or point TELEGRAM_API_BASE_URL at a "
                "Bot API server you can reach."
            )
        if isinstance(exc, tg.TelegramError):
            return f"error: Telegram refused to start the bot: {exc.message}"
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"error: {exc.strerror or exc}{where}"
    name = type(exc).__name__
    return f"error: {name}: {exc} (FOUNDER_COACH_LOG_LEVEL=DEBUG shows where it happened)"


def _redact(text: str, settings: Settings) -> str:
    for form in secret_forms(settings.secrets):
        text = text.replace(form, REDACTED)
    return text


def _stdout_gone() -> int:
    """The reader of our output left (``| head``): stop quietly, as Unix tools do."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe


def _config_problem(exc: ValueError) -> str:
    """A settings error in one line, naming the variable (never echoing a value)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    problems = []
    for error in errors(include_input=False, include_url=False):
        message = str(error.get("msg", ""))
        if message.startswith("Value error, "):
            problems.append(message.removeprefix("Value error, "))
        else:
            name = "_".join(str(part) for part in error.get("loc", ())).upper()
            problems.append(f"{name}: {message}" if name else message)
    return "; ".join(problems)


def _db_option(given: str | None) -> dict[str, object]:
    """``--db``: a PostgreSQL URL replaces FOUNDER_COACH_DATABASE_URL, a path the file."""
    if given is None:
        return {}
    if is_postgres(given):
        return {"founder_coach_database_url": given}
    return {"founder_coach_database_url": "", "founder_coach_db": Path(given)}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``founder-coach`` and ``python -m bot``."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(**_db_option(getattr(args, "db", None)))
    except ValueError as exc:
        print(f"configuration error: {_config_problem(exc)}", file=sys.stderr)
        return 2
    in_terminal = args.command == "chat" or (
        args.command == "run" and settings.telegram_bot_token is None
    )
    _configure_logging(settings, conversation=in_terminal)
    try:
        return _serve(args, settings)
    except FlowDefinitionError as exc:
        print("The flows or content are invalid; the coach will not start:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _stdout_gone()
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130
    except Exception as exc:  # the last resort: one line, never a traceback
        log.debug("the command failed", exc_info=True)
        try:
            print(_redact(_explain(exc, settings), settings), file=sys.stderr)
        except BrokenPipeError:
            return _stdout_gone()
        return 1
