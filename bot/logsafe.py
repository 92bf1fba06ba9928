"""Logging that can never print the bot token, and that keeps founders' words out by default.

httpx and PTB log request URLs, and a Bot API URL contains the token; an exception's
text may too. Every formatted line, traceback included, passes through
:class:`RedactingFormatter`, which replaces each secret (as written, URL-encoded, and a
token's secret half after the ``:``) with ``[REDACTED]``. What is not logged (an uncaught
exception in the main thread or another one, a warning) goes through the same formatter:
:func:`configure_logging` installs hooks for them.

At DEBUG, python-telegram-bot logs whole updates and API parameters, which are founders'
words. :class:`HideConversation` replaces those values with a placeholder unless the
operator opts in (``FOUNDER_COACH_LOG_TEXT=1``).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

REDACTED = "[REDACTED]"
HIDDEN = "[conversation hidden; FOUNDER_COACH_LOG_TEXT=1 logs it]"
# Loggers of the libraries that carry updates, API calls and SQL parameters (founders'
# words) at DEBUG
CONVERSATION_LOGGERS = ("telegram", "httpx", "httpcore", "tornado", "aiohttp", "aiosqlite")


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Every form of each secret that could show up in a text, longest first."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update({secret, quote(secret, safe=""), quote(secret)})
        _, colon, rest = secret.partition(":")  # a bot token: <bot id>:<secret part>
        if colon and len(rest) >= 8:
            forms.add(rest)
    return sorted(forms, key=len, reverse=True)


class RedactingFormatter(logging.Formatter):
    """A formatter that removes secrets from the final text of every record."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = secret_forms(secrets)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact."""
        return self.redact(super().format(record))


class HideConversation(logging.Filter):
    """Hide what a DEBUG line of PTB (or its HTTP stack) carries: updates, API parameters
    and results, request bodies. The line itself stays (which call, which update id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only its arguments change."""
        if record.levelno >= logging.INFO or not record.name.startswith(CONVERSATION_LOGGERS):
            return True
        if isinstance(record.args, Mapping):
            record.args = {key: _hide(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_hide(value) for value in record.args)
        elif not isinstance(record.msg, str):  # an object logged as the message itself
            record.msg = HIDDEN
        return True


def _hide(value: Any) -> Any:
    """Numbers, names of endpoints and short words pass; structures and payloads do not."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and len(value) <= 40 and not any(c in value for c in "{[ "):
        return value  # an endpoint name, a description of a retry loop, a count
    return HIDDEN


def configure_logging(level: str, secrets: Iterable[str], *, log_text: bool = False) -> None:
    """Log to stderr through the redacting formatter; quiet the URL-logging libraries."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    handler.setFormatter(formatter)
    if not log_text:
        handler.addFilter(HideConversation())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; the token is in it. Redacted anyway, but quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # APScheduler narrates every job at INFO; keep that for DEBUG runs only
    if logging.getLevelName(level) > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.captureWarnings(True)  # a warning's text goes through the formatter too
    _install_hooks(formatter)


def _install_hooks(formatter: RedactingFormatter) -> None:
    """Uncaught exceptions (main thread, other threads) are printed redacted."""

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        text = formatter.formatException((kind, value, tb))
        sys.stderr.write(formatter.redact(text) + "\n")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        sys.stderr.write(f"Exception in {name}:\n")
        excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
