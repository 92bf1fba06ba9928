"""A fake Telegram Bot API server for tests: aiohttp on 127.0.0.1, strict where Telegram is.

Point the real python-telegram-bot at it and the whole production path runs (HTTPXRequest,
form and multipart encoding, long polling, error mapping, the rate limiter)::

    async with FakeBotApi() as fake:
        app = (ApplicationBuilder().token("123:TEST")
               .base_url(fake.base_url).base_file_url(fake.base_file_url).build())
        async with app:
            await app.updater.start_polling(timeout=1, poll_interval=0)
            await app.start()
            fake.user_sends(42, "/start")
            [call] = await fake.wait_for_call("sendMessage", chat_id=42)
            ...
            await app.updater.stop()
            await app.stop()
        assert not fake.unknown_methods

Wire format
    Route ``/bot{token}/{method}`` (any HTTP verb; method names are case-insensitive, as in
    Telegram). Bodies may be form-urlencoded (nested objects as JSON strings, booleans "true"),
    multipart (files keep their filename, bytes and content type) or JSON. Answers are
    ``{"ok": true, "result": ...}``; errors are ``{"ok": false, "error_code": N,
    "description": "...", "parameters": {"retry_after": s}}`` with HTTP status N. Files the bot
    sent can be fetched with ``getFile`` and ``/file/bot{token}/{file_path}``.

Methods
    getMe, deleteWebhook (drop_pending_updates), setWebhook (url, secret_token, max_connections,
    allowed_updates, drop_pending_updates), getWebhookInfo (never the secret), getUpdates (offset,
    limit, allowed_updates, long-poll ``timeout``; a second concurrent poll ends the first with
    409 Conflict, as Telegram does; getUpdates while a webhook is set is 409), sendMessage,
    editMessageText, editMessageReplyMarkup, deleteMessage, answerCallbackQuery, sendDocument,
    sendPhoto, sendChatAction, setMyCommands, getMyCommands, deleteMyCommands, getChat, getFile.
    Anything else answers 404 "Not Found: method X not implemented by fake" and is recorded in
    ``unknown_methods`` (PTB turns every 404 into ``telegram.error.InvalidToken``).

Strictness (descriptions are Telegram's where known; the rest are plausible stand-ins)
    * text 1-4096 and caption 0-1024, counted in UTF-16 code units after HTML entities are
      parsed (parse_mode HTML, case-insensitive). Markdown modes are not parsed: the raw text is
      counted. Whitespace-only text is "message text is empty".
    * HTML: only b/strong, i/em, u/ins, s/strike/del, span class="tg-spoiler", tg-spoiler,
      a href, tg-emoji emoji-id, code, pre (with <code class="language-x">), blockquote
      [expandable]; tags must nest properly; ``&`` must start &lt; &gt; &amp; &quot; or a
      numeric entity; a bare ``<`` is an error. The echoed Message carries the plain text and
      the entities (offsets in UTF-16 units), like Telegram.
    * inline keyboards: every button needs text and exactly one action; callback_data is 1-64
      UTF-8 bytes, else "BUTTON_DATA_INVALID". Edits accept inline keyboards only.
    * edits: unknown or deleted message -> "message to edit not found"; a user's message ->
      "message can't be edited"; same text, entities and markup -> "message is not modified:
      ..."; no reply_markup on editMessageText removes the keyboard.
    * answerCallbackQuery twice, or an unknown id -> "query is too old and response timeout
      expired or query ID is invalid" (also after ``callback_answer_timeout`` seconds if set).
    * blocked users -> 403 "Forbidden: bot was blocked by the user" on send*/edit*/actions.
    * uploads over ``max_document_bytes`` (50 MB) / ``max_photo_bytes`` (10 MB) -> 413
      "Request Entity Too Large" (PTB raises NetworkError for 413).
    * ``strict_chats=True``: sending to a chat no user ever wrote from -> "chat not found".

Simulation API (in-process; all synchronous except the waits)
    user_sends(user_id, text, *, first_name="Ada", language_code="en", chat_type="private",
               chat_id=None, username=None) -> update_id
    user_taps(user_id, message_id, data, *, chat_id=None, first_name="Ada",
              language_code="en", strict=True) -> callback_query_id
    add_update(update_without_id) -> update_id
    block(user_id) / unblock(user_id)
    fail_next(method, status, description=None, *, retry_after=None, times=1)   # method "*" = any
    delay(method, seconds, *, times=None, after_processing=False)  # math.inf hangs until stop
    rate_limit(per_second)          # None switches it off; 429s are counted in count_429
    calls, calls_of(method, **match), unknown_methods, token_seen, count_429, confirmed_offset
    bot_messages(chat_id) -> list[BotMessage], pending_updates(), my_commands(scope, lang)
    await wait_for_call(method, n=1, timeout=5, **match) -> list[Call]
    await wait_for_poll(timeout=5)  # until a getUpdates is held (the bot is polling)

    A call is recorded when it arrives and counts for ``calls_of``/``wait_for_call`` once the
    fake has answered it (``Call.status`` set; 499 if the client went away first).
    ``Call.params`` holds decoded values: JSON objects/arrays, ints and booleans become Python
    values; free-text fields (text, caption, data, ...) stay strings.

Standalone mode (for benchmarks and subprocess tests)
    ``python -m tests.fakes.bot_api [--port 0] [--host 127.0.0.1] [--token T]`` prints
    ``READY http://127.0.0.1:PORT/bot`` on stdout once listening and serves until SIGTERM or
    SIGINT. The sim API is exposed over HTTP (JSON bodies, JSON answers):

    POST /_sim/user_sends   {"user_id", "text", optional first_name, language_code,
                             chat_type, chat_id, username}          -> {"update_id"}
    POST /_sim/user_taps    {"user_id", "message_id", "data", optional chat_id, strict}
                                                                     -> {"callback_query_id"}
    POST /_sim/block        {"user_id"}          POST /_sim/unblock {"user_id"}
    POST /_sim/fail_next    {"method", "status", optional description, retry_after, times}
    POST /_sim/delay        {"method", "seconds" (null clears), optional times}
    POST /_sim/rate_limit   {"per_second": R or null}
    GET  /_sim/calls?method=sendMessage&since=N  -> {"calls": [...], "next": M}  (N, M are
                             indexes into the call log; pass "next" back as "since")
    GET  /_sim/wait_for_call?method=sendMessage&n=1&timeout=5  -> {"calls": [...]} or 408
    GET  /_sim/messages?chat_id=42               -> {"messages": [...]}
    GET  /_sim/state  -> {"confirmed_offset", "pending_updates", "count_429",
                          "unknown_methods", "token_seen", "calls", "chats"}
    Bad sim requests answer 400 {"error": "..."}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import itertools
import json
import math
import mimetypes
import re
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
PARSE_ERROR = "Bad Request: can't parse entities: "
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TOO_LARGE = "Request Entity Too Large"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Parameters that stay strings when a form body is decoded (everything else is JSON-decoded
# when it parses as JSON: ints, booleans, objects, arrays).
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "data",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "action",
        "document",
        "photo",
        "thumbnail",
        "file_id",
        "secret_token",
        "ip_address",
        "emoji",
        "query",
        "business_connection_id",
        "message_effect_id",
    }
)
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_RE = re.compile(r"[a-z]{2}")
BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?")
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, which is how Telegram counts characters and offsets."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error answer: HTTP status, Telegram description and optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]*));")
_START_TAG_RE = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_ATTR_RE = re.compile(
    r"\s+([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?"
)
_TAG_END_RE = re.compile(r"\s*>")
_END_TAG_RE = re.compile(r"</\s*([A-Za-z][A-Za-z0-9-]*)\s*>")


class _Html:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str) -> ApiError:
        return ApiError(400, PARSE_ERROR + message)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def entity(self, index: int) -> tuple[str, int]:
        """Decode the character entity at ``index``; return it and the index after it."""
        match = _ENTITY_RE.match(self.source, index)
        if match is None:
            raise self.fail(f"Character entity expected at byte offset {self.byte_offset(index)}")
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                raise self.fail(
                    f'Unsupported HTML entity "&{name};" at byte offset {self.byte_offset(index)}'
                )
            return _NAMED_ENTITIES[name], match.end()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.fail(f"Invalid character entity at byte offset {self.byte_offset(index)}")
        return chr(code), match.end()

    def unescape(self, value: str, at: int) -> str:
        out, i = [], 0
        while i < len(value):
            if value[i] == "&":
                match = _ENTITY_RE.match(value, i)
                if match is None or (match.group(3) and match.group(3) not in _NAMED_ENTITIES):
                    raise self.fail(f"Character entity expected at byte offset {at}")
                char, i = _Html(value).entity(i)
                out.append(char)
            else:
                out.append(value[i])
                i += 1
        return "".join(out)

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.source
        out: list[str] = []
        length = 0  # UTF-16 units emitted so far
        # (tag name, start offset, entity or None)
        stack: list[tuple[str, int, dict[str, Any] | None]] = []
        entities: list[dict[str, Any]] = []
        i = 0
        while i < len(src):
            char = src[i]
            if char == "&":
                text, i = self.entity(i)
            elif char == "<":
                if src.startswith("</", i):
                    i = self._end_tag(i, stack, entities, length)
                else:
                    i = self._start_tag(i, stack, length)
                continue
            else:
                text, i = char, i + 1
            out.append(text)
            length += utf16_len(text)
        if stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
        entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(out), entities

    def _start_tag(
        self, i: int, stack: list[tuple[str, int, dict[str, Any] | None]], length: int
    ) -> int:
        match = _START_TAG_RE.match(self.source, i)
        if match is None:
            raise self.fail(f'Unsupported start tag "" at byte offset {self.byte_offset(i)}')
        name = match.group(1).lower()
        if name not in _TAG_ENTITY:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(i)}')
        attrs: dict[str, str] = {}
        j = match.end()
        while (attr := _ATTR_RE.match(self.source, j)) is not None:
            raw = next((v for v in attr.groups()[1:] if v is not None), "")
            attrs[attr.group(1).lower()] = self.unescape(raw, self.byte_offset(attr.start()))
            j = attr.end()
        end = _TAG_END_RE.match(self.source, j)
        if end is None:
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(i)}")
        entity: dict[str, Any] | None = {"type": _TAG_ENTITY[name]}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(i)}'
            )
        if name == "a":
            entity = {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else None
        elif name == "tg-emoji":
            if not attrs.get("emoji-id"):
                raise self.fail(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                    f"{self.byte_offset(i)}"
                )
            entity = {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
        elif name == "blockquote" and "expandable" in attrs:
            entity = {"type": "expandable_blockquote"}
        elif name == "code" and stack and stack[-1][0] == "pre":
            pre = stack[-1][2]
            language = attrs.get("class", "")
            if pre is not None and language.startswith("language-"):
                pre["language"] = language.removeprefix("language-")
            entity = None  # <pre><code> is one pre entity
        stack.append((name, length, entity))
        return end.end()

    def _end_tag(
        self,
        i: int,
        stack: list[tuple[str, int, dict[str, Any] | None]],
        entities: list[dict[str, Any]],
        length: int,
    ) -> int:
        match = _END_TAG_RE.match(self.source, i)
        if match is None:
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(i)}")
        name = match.group(1).lower()
        if not stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(i)}")
        open_name, start, entity = stack[-1]
        if open_name != name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(i)}, "
                f'expected "</{open_name}>", found "</{name}>"'
            )
        stack.pop()
        if entity is not None and length > start:
            entities.append({**entity, "offset": start, "length": length - start})
        return match.end()


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise ApiError 400 like Telegram."""
    return _Html(source).parse()


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class UploadedFile:
    """A multipart file part as the bot sent it."""

    filename: str | None
    content: bytes
    mime_type: str | None
    size: int


@dataclass
class Call:
    """One request the bot made. ``time`` is ``time.monotonic()`` at arrival."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    time: float
    token: str
    http_method: str
    status: int | None = None  # None while in flight; 499 when the client went away first
    result: Any = None  # the "result" once performed (also when the answer never got out)
    error: str | None = None  # the description on failure

    @property
    def ok(self) -> bool:
        return self.status == 200

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "files": {
                name: {"filename": f.filename, "mime_type": f.mime_type, "size": f.size}
                for name, f in self.files.items()
            },
            "time": self.time,
            "status": self.status,
            "result": self.result,
            "error": self.error,
        }


@dataclass
class BotMessage:
    """The current state of a message the bot sent.

    ``text``/``caption`` are what the user sees (HTML parsed); ``raw_text``/``raw_caption``
    are what the bot sent. ``reply_markup`` is the inline keyboard (dict) or None.
    """

    chat_id: int
    message_id: int
    kind: str  # "text", "document" or "photo"
    date: int
    text: str | None = None
    raw_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    raw_caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    file: UploadedFile | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edited: bool = False
    deleted: bool = False
    sender: dict[str, Any] = field(default_factory=dict, repr=False)  # the bot user

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "file"}
        if self.file is not None:
            data["file"] = {"filename": self.file.filename, "size": self.file.size}
        return data


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    filename: str | None
    mime_type: str | None
    content: bytes | None
    url: str | None = None

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0

    @property
    def path(self) -> str:
        suffix = ""
        if self.filename and "." in self.filename:
            suffix = "." + self.filename.rsplit(".", 1)[1]
        return f"{self.kind}s/file_{self.file_unique_id}{suffix}"


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Delay:
    seconds: float
    times: int | None
    after_processing: bool


@dataclass(eq=False)
class _Poll:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False


@dataclass
class _Query:
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


def _png_size(content: bytes | None) -> tuple[int, int]:
    if content and content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    return 320, 320


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in TEXT_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, float) and not math.isfinite(decoded):
        return value
    return decoded


def _same(left: Any, right: Any) -> bool:
    return left == right or (
        left is not None and right is not None and str(left).lower() == str(right).lower()
    )


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
    """A fake Bot API server; see the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        bot_username: str = "FounderCoachTestBot",
        bot_first_name: str = "Founder Coach",
        strict_chats: bool = False,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
        max_photo_bytes: int = MAX_PHOTO_BYTES,
        callback_answer_timeout: float | None = None,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_chats = strict_chats
        self.max_document_bytes = max_document_bytes
        self.max_photo_bytes = max_photo_bytes
        self.callback_answer_timeout = callback_answer_timeout
        self.shutdown_timeout = shutdown_timeout

        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.token_seen: set[str] = set()
        self.count_429 = 0
        self.confirmed_offset = 0
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_max_connections = 40
        self.webhook_allowed_updates: list[str] | None = None
        # (unix time, message) of the last failed delivery, as getWebhookInfo reports it
        self.webhook_last_error: tuple[int, str] | None = None
        self.allowed_updates: list[str] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[int, dict[int, BotMessage]] = {}
        self._user_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._blocked: set[int] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, _Delay] = {}
        self._rate: float | None = None
        self._sent: deque[float] = deque()
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._polls: set[_Poll] = set()
        self._poll_started = asyncio.Event()
        self._calls_changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

        self._methods: dict[str, Callable[..., Any]] = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getchat": self._get_chat,
            "getfile": self._get_file,
        }

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.base}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.base}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_document_bytes * 2)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_sim/{action}", self._handle_sim)
        app.router.add_get("/_sim/{action}", self._handle_sim)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self.shutdown_timeout,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release held polls and hung requests, then close the server."""
        self._stopping.set()
        for poll in list(self._polls):
            poll.event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- simulation API ----------------------------------------------------------------------

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (without update_id); wake held polls; return its update_id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        for poll in list(self._polls):
            poll.event.set()
        return update_id

    def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ada",
        language_code: str | None = "en",
        chat_type: str = "private",
        chat_id: int | None = None,
        username: str | None = None,
    ) -> int:
        """Queue a text message from a user; commands get a bot_command entity at offset 0."""
        user = self._remember_user(user_id, first_name, language_code, username)
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else -user_id
        chat = self._chats.get(chat_id)
        if chat is None or chat["type"] != chat_type:
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
                if username:
                    chat["username"] = username
            else:
                chat["title"] = f"Group {chat_id}"
            self._chats[chat_id] = chat
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat_id),
            "from": user,
            "chat": dict(chat),
            "date": int(time.time()),
            "text": text,
        }
        command = BOT_COMMAND_RE.match(text)
        if command is not None:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            ]
        self._user_messages.setdefault(chat_id, {})[message["message_id"]] = message
        return self.add_update({"message": message})

    def user_taps(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        first_name: str = "Ada",
        language_code: str | None = "en",
        strict: bool = True,
    ) -> str:
        """Queue a callback query on a bot message; ``strict``: the button must exist."""
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"the bot has no message {message_id} in chat {chat_id}")
        if strict and data not in message.callback_data():
            raise LookupError(
                f"message {message_id} in chat {chat_id} has no button with callback_data "
                f"{data!r}; its buttons: {message.callback_data()!r}"
            )
        user = self._users.get(user_id) or self._remember_user(
            user_id, first_name, language_code, None
        )
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(chat_id, message_id, data, time.monotonic())
        self.add_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": self._message_json(message),
                    "chat_instance": str(abs(chat_id) * 7919 + 1),
                    "data": data,
                }
            }
        )
        return query_id

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to that chat answer 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) with this error."""
        if description is None:
            description = {
                400: "Bad Request: injected by fake",
                403: BLOCKED,
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
            }.get(status, f"Error {status}")
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.setdefault(method.lower(), deque()).append(
            _Fault(status, description, retry_after, times)
        )

    def delay(
        self,
        method: str,
        seconds: float | None,
        *,
        times: int | None = None,
        after_processing: bool = False,
    ) -> None:
        """Slow down ``method`` ("*" = any) by ``seconds`` (``math.inf`` hangs until stop).

        ``times=None`` keeps the delay until it is cleared with ``seconds=None``.
        ``after_processing=True`` performs the call first and delays only the answer, so a
        client that times out has in fact sent its message.
        """
        if seconds is None:
            self._delays.pop(method.lower(), None)
        else:
            self._delays[method.lower()] = _Delay(seconds, times, after_processing)

    def rate_limit(self, per_second: float | None) -> None:
        """Answer send*/edit* calls beyond ``per_second`` per rolling second with 429."""
        self._rate = per_second
        self._sent.clear()

    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """The current state of every message the bot sent to ``chat_id``, oldest first."""
        return list(self._messages.get(chat_id, {}).values())

    def take_updates(self) -> list[dict[str, Any]]:
        """Hand over the queued updates (webhook mode: the test posts them to a worker)."""
        taken, self._updates = self._updates, []
        return taken

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by an offset."""
        return copy.deepcopy(self._updates)

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]] | None:
        """The commands set for this scope and language, or None if never set."""
        return self._commands.get((self._scope_key(scope), language_code))

    def calls_of(self, method: str | None = None, **match: Any) -> list[Call]:
        """Answered calls of ``method`` (None or "*" = any) whose params match ``match``."""
        wanted = None if method in (None, "*") else method.lower()
        return [
            call
            for call in self.calls
            if call.status is not None
            and (wanted is None or call.method.lower() == wanted)
            and all(_same(call.params.get(k), v) for k, v in match.items())
        ]

    async def wait_for_call(
        self,
        method: str,
        n: int = 1,
        timeout: float = 5,  # noqa: ASYNC109 - the API the tests asked for
        **match: Any,
    ) -> list[Call]:
        """Wait until ``n`` answered calls of ``method`` match; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.calls_of(method, **match)
            if len(found) >= n:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"waited {timeout}s for {n} {method} call(s) matching {match}, "
                    f"got {len(found)}.\n{self.dump_calls()}"
                )
            event = self._calls_changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    async def wait_for_poll(self, timeout: float = 5) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates request is being held (the bot is long-polling)."""
        async with asyncio.timeout(timeout):
            while not self._polls:
                self._poll_started.clear()
                await self._poll_started.wait()

    def dump_calls(self) -> str:
        """A readable list of the recorded calls, for failure messages."""
        if not self.calls:
            return "no calls recorded"
        start = self.calls[0].time
        lines = ["calls:"]
        for index, call in enumerate(self.calls):
            params = json.dumps(call.params, ensure_ascii=False, default=str)
            if len(params) > 300:
                params = params[:300] + "..."
            files = f" files={list(call.files)}" if call.files else ""
            outcome = call.error or ""
            lines.append(
                f"  #{index} +{call.time - start:.3f}s {call.method} -> {call.status} "
                f"{outcome} {params}{files}"
            )
        return "\n".join(lines)

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        self.token_seen.add(token)
        call = Call(method, {}, {}, time.monotonic(), token, request.method)
        self.calls.append(call)
        status = 499
        try:
            try:
                call.params, call.files = await self._read_params(request, method)
                result = await self._process(call)
            except ApiError as error:
                status = error.status
                call.error = error.description
                if status == 429:
                    self.count_429 += 1
                return web.json_response(error.body(), status=status)
            except Exception as error:  # a bug in the fake: make it loud, not a hang
                status = 500
                call.error = f"Internal Server Error: fake bug: {error!r}"
                body = {"ok": False, "error_code": 500, "description": call.error}
                return web.json_response(body, status=500)
            status = 200
            call.result = result
            return web.json_response({"ok": True, "result": result})
        finally:
            call.status = status
            event, self._calls_changed = self._calls_changed, asyncio.Event()
            event.set()

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        too_large = False
        if request.content_type == "multipart/form-data":
            limit = (
                self.max_photo_bytes if method.lower() == "sendphoto" else self.max_document_bytes
            )
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    raw[part.name] = await part.text()
                    continue
                chunks, size = [], 0
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    if size <= limit:
                        chunks.append(chunk)
                too_large = too_large or size > limit
                mime = part.headers.get("Content-Type")
                files[part.name] = UploadedFile(part.filename, b"".join(chunks), mime, size)
        elif request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            raw.update(body)
        elif request.can_read_body:
            raw.update(await request.post())
        params = {key: _decode_value(key, value) for key, value in raw.items()}
        if too_large:
            raise ApiError(413, TOO_LARGE)
        return params, files

    async def _process(self, call: Call) -> Any:
        if self.token is not None and call.token != self.token:
            raise ApiError(401, "Unauthorized")
        if not TOKEN_RE.fullmatch(call.token):
            raise ApiError(404, "Not Found")
        key = call.method.lower()
        handler = self._methods.get(key)
        if handler is None:
            self.unknown_methods.append(call.method)
            raise ApiError(404, f"Not Found: method {call.method} not implemented by fake")
        for name in (key, "*"):
            faults = self._faults.get(name)
            if faults:
                fault = faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    faults.popleft()
                raise ApiError(fault.status, fault.description, fault.retry_after)
        delay = self._delays.get(key) or self._delays.get("*")
        if delay is not None:
            if delay.times is not None:
                delay.times -= 1
                if delay.times <= 0:
                    self._delays = {k: v for k, v in self._delays.items() if v is not delay}
            if not delay.after_processing:
                await self._sleep(delay.seconds)
        if key.startswith(("send", "edit")):
            self._check_rate()
        result = handler(call.params, call.files, call.token)
        if asyncio.iscoroutine(result):
            result = await result
        call.result = result  # done: kept even if the client goes away before the answer
        if delay is not None and delay.after_processing:
            await self._sleep(delay.seconds)
        return result

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                await self._stopping.wait()

    def _check_rate(self) -> None:
        if self._rate is None:
            return
        now = time.monotonic()
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        if len(self._sent) >= self._rate:
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._sent.append(now)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.path == path and stored.content is not None:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # -- helpers -----------------------------------------------------------------------------

    def _bot_user(self, token: str) -> dict[str, Any]:
        head = token.split(":", 1)[0]
        return {
            "id": int(head) if head.isdigit() else 1234567,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _remember_user(
        self, user_id: int, first_name: str, language_code: str | None, username: str | None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        self._users[user_id] = user
        return user

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat(self, params: dict[str, Any], *, check_blocked: bool = True) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.get("username", "").lower() == chat_id[1:].lower():
                        chat_id = chat["id"]
                        break
                else:
                    raise ApiError(400, CHAT_NOT_FOUND)
            else:
                raise ApiError(400, CHAT_NOT_FOUND)
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise ApiError(400, CHAT_NOT_FOUND)
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise ApiError(400, CHAT_NOT_FOUND)
            chat = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
            if chat_id < 0:
                chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            self._chats[chat_id] = chat
        if check_blocked and chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _format(
        self, raw: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """Validate text or caption; return (plain text, entities)."""
        if raw is None or raw == "":
            if caption:
                return None, []
            raise ApiError(400, TEXT_EMPTY)
        raw = raw if isinstance(raw, str) else json.dumps(raw)
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            plain, found = parse_html(raw)
        elif mode in ("", "markdown", "markdownv2"):
            plain = raw
            found = entities if isinstance(entities, list) else []
        else:
            raise bad_request("unsupported parse_mode")
        if not plain.strip():
            if caption:
                return None, []
            raise ApiError(400, TEXT_EMPTY)
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if utf16_len(plain) > limit:
            raise ApiError(400, CAPTION_TOO_LONG if caption else TEXT_TOO_LONG)
        return plain, found

    @staticmethod
    def _markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Validate reply_markup; return the inline keyboard to store, or None."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard button: array of arrays expected")
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict):
                    raise bad_request("can't parse inline keyboard button: object expected")
                if not isinstance(button.get("text"), str) or not button["text"]:
                    raise bad_request(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                actions = [name for name in BUTTON_ACTIONS if name in button]
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if len(actions) > 1:
                    raise bad_request(
                        "can't parse inline keyboard button: exactly one of the optional fields "
                        f"must be used, found {actions}"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if (
                        not isinstance(data, str)
                        or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise ApiError(400, BUTTON_DATA_INVALID)
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
                        raise bad_request(
                            f"inline keyboard button URL {url!r} is invalid: Wrong HTTP URL"
                        )
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse keyboard button: array of arrays expected")
            for button in (b for row in rows for b in row):
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
            return None
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return None
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        message_id = params.get("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        if message_id is None:
            return None
        bot_message = self._messages.get(chat_id, {}).get(message_id)
        if bot_message is not None and not bot_message.deleted:
            return self._message_json(bot_message, with_reply=False)
        user_message = self._user_messages.get(chat_id, {}).get(message_id)
        if user_message is not None:
            return user_message
        if allow:
            return None
        raise bad_request("message to be replied not found")

    def _message_json(self, message: BotMessage, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": message.sender or self._bot_user(""),
            "chat": dict(self._chats[message.chat_id]),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.document is not None:
            data["document"] = message.document
        if message.photo is not None:
            data["photo"] = message.photo
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to_message_id is not None:
            replied = self._messages.get(message.chat_id, {}).get(message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self._message_json(replied, with_reply=False)
            else:
                user_message = self._user_messages.get(message.chat_id, {}).get(
                    message.reply_to_message_id
                )
                if user_message is not None:
                    data["reply_to_message"] = user_message
        return data

    def _store(self, message: BotMessage, token: str) -> dict[str, Any]:
        message.sender = self._bot_user(token)
        self._messages.setdefault(message.chat_id, {})[message.message_id] = message
        return self._message_json(message)

    def _find_message(self, params: dict[str, Any], not_found: str) -> BotMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = params.get("message_id")
        if message_id in (None, ""):
            raise bad_request("message identifier is not specified")
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is None and message_id in self._user_messages.get(chat["id"], {}):
            raise bad_request("message can't be edited")
        if message is None or message.deleted:
            raise ApiError(400, not_found)
        return message

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope:
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True)

    def _file(
        self, kind: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> tuple[_StoredFile, UploadedFile | None]:
        upload = files.get(kind)
        if upload is not None:
            if upload.size == 0:
                raise bad_request("file must be non-empty")
            number = next(self._file_numbers)
            prefix = "BQACAgIAAxk" if kind == "document" else "AgACAgIAAxk"
            mime = upload.mime_type
            if kind == "document" and not mime and upload.filename:
                mime = mimetypes.guess_type(upload.filename)[0]
            stored = _StoredFile(
                file_id=f"{prefix}{number:08d}FAKE",
                file_unique_id=f"AgAD{number:06d}",
                kind=kind,
                filename=upload.filename,
                mime_type=mime or "application/octet-stream",
                content=upload.content,
            )
            self._files[stored.file_id] = stored
            return stored, upload
        reference = params.get(kind)
        if isinstance(reference, str) and reference in self._files:
            return self._files[reference], None
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            number = next(self._file_numbers)
            stored = _StoredFile(
                file_id=f"URL{number:08d}FAKE",
                file_unique_id=f"AgAD{number:06d}",
                kind=kind,
                filename=urlsplit(reference).path.rsplit("/", 1)[-1] or None,
                mime_type=None,
                content=None,
                url=reference,
            )
            self._files[stored.file_id] = stored
            return stored, None
        if reference in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    # -- methods -----------------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        return {
            **self._bot_user(token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, params: dict[str, Any], files: Any, token: str) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any], files: Any, token: str) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: Wrong max_connections specified")
        self.webhook_url = url
        self.webhook_secret = str(params.get("secret_token") or "")
        self.webhook_max_connections = max_connections
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = list(allowed) if isinstance(allowed, list) else None
        self.webhook_last_error = None  # Telegram forgets the last error of the old webhook
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:  # as Telegram: the secret token is never shown
            info["max_connections"] = self.webhook_max_connections
            if self.webhook_allowed_updates is not None:
                info["allowed_updates"] = self.webhook_allowed_updates
            if self.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        elif offset < 0:
            self._updates = self._updates[offset:]
            if self._updates:
                self.confirmed_offset = max(self.confirmed_offset, self._updates[0]["update_id"])

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        if self.allowed_updates:
            self._updates = [
                u for u in self._updates if any(kind in u for kind in self.allowed_updates)
            ]
        return copy.deepcopy(self._updates[:limit])

    async def _get_updates(
        self, params: dict[str, Any], files: Any, token: str
    ) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        for other in list(self._polls):  # Telegram ends the older of two concurrent polls
            other.superseded = True
            other.event.set()
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            timeout = max(float(params.get("timeout") or 0), 0.0)
        except (TypeError, ValueError) as error:
            raise bad_request(f"wrong parameter value: {error}") from None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed]
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        poll = _Poll()
        self._polls.add(poll)
        self._poll_started.set()
        try:
            while True:
                if poll.superseded:
                    raise ApiError(409, POLL_CONFLICT)
                ready = self._deliverable(limit)
                remaining = deadline - loop.time()
                if ready or remaining <= 0 or self._stopping.is_set():
                    return ready
                poll.event.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await poll.event.wait()
        finally:
            self._polls.discard(poll)

    def _send_message(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._markup(params.get("reply_markup"))
        replied = self._reply_to(chat["id"], params)
        return self._store(
            BotMessage(
                chat_id=chat["id"],
                message_id=self._new_message_id(chat["id"]),
                kind="text",
                date=int(time.time()),
                text=text,
                raw_text=params.get("text"),
                entities=entities,
                parse_mode=params.get("parse_mode"),
                reply_markup=markup,
                reply_to_message_id=replied["message_id"] if replied else None,
            ),
            token,
        )

    def _send_file(
        self, kind: str, params: dict[str, Any], files: dict[str, UploadedFile], token: str
    ) -> dict[str, Any]:
        chat = self._chat(params)
        stored, upload = self._file(kind, params, files)
        caption, entities = self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        markup = self._markup(params.get("reply_markup"))
        replied = self._reply_to(chat["id"], params)
        message = BotMessage(
            chat_id=chat["id"],
            message_id=self._new_message_id(chat["id"]),
            kind=kind,
            date=int(time.time()),
            caption=caption,
            raw_caption=params.get("caption"),
            caption_entities=entities,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            file=upload,
            reply_to_message_id=replied["message_id"] if replied else None,
        )
        if kind == "document":
            message.document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
            }
            if stored.filename:
                message.document["file_name"] = stored.filename
            if stored.mime_type:
                message.document["mime_type"] = stored.mime_type
        else:
            width, height = _png_size(stored.content)
            message.photo = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            ]
        return self._store(message, token)

    def _send_document(
        self, params: dict[str, Any], files: dict[str, UploadedFile], token: str
    ) -> dict[str, Any]:
        return self._send_file("document", params, files, token)

    def _send_photo(
        self, params: dict[str, Any], files: dict[str, UploadedFile], token: str
    ) -> dict[str, Any]:
        return self._send_file("photo", params, files, token)

    def _edit_message_text(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        message = self._find_message(params, EDIT_NOT_FOUND)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.raw_text = params.get("text")
        message.parse_mode = params.get("parse_mode")
        message.edited = True
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _edit_message_reply_markup(
        self, params: dict[str, Any], files: Any, token: str
    ) -> dict[str, Any]:
        message = self._find_message(params, EDIT_NOT_FOUND)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edited = True
        return self._message_json(message)

    def _delete_message(self, params: dict[str, Any], files: Any, token: str) -> bool:
        chat = self._chat(params, check_blocked=False)
        message_id = params.get("message_id")
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is not None and not message.deleted:
            message.deleted = True
            return True
        if self._user_messages.get(chat["id"], {}).pop(message_id, None) is not None:
            return True
        raise bad_request("message to delete not found")

    def _answer_callback_query(self, params: dict[str, Any], files: Any, token: str) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise ApiError(400, QUERY_TOO_OLD)
        if (
            self.callback_answer_timeout is not None
            and time.monotonic() - query.created > self.callback_answer_timeout
        ):
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = dict(params)
        self.callback_answers[query_id] = dict(params)
        return True

    def _send_chat_action(self, params: dict[str, Any], files: Any, token: str) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _set_my_commands(self, params: dict[str, Any], files: Any, token: str) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("too many commands")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: object expected")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not LANGUAGE_RE.fullmatch(language):
            raise bad_request("LANG_CODE_INVALID")
        key = (self._scope_key(params.get("scope")), language)
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(
        self, params: dict[str, Any], files: Any, token: str
    ) -> list[dict[str, str]]:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: dict[str, Any], files: Any, token: str) -> bool:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self._commands.pop(key, None)
        return True

    def _get_chat(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id not in self._chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        return {
            **self._chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, params: dict[str, Any], files: Any, token: str) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    # -- sim API over HTTP (standalone mode) -------------------------------------------------

    async def _handle_sim(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "JSON body expected"}, status=400)
        query = request.query
        try:
            return await self._sim(action, request.method, body, query)
        except (KeyError, TypeError, ValueError, LookupError) as error:
            return web.json_response({"error": f"{type(error).__name__}: {error}"}, status=400)

    async def _sim(self, action: str, verb: str, body: dict[str, Any], query: Any) -> web.Response:
        def ok(**data: Any) -> web.Response:
            return web.json_response({"ok": True, **data})

        options = ("first_name", "language_code", "chat_type", "chat_id", "username")
        if verb == "POST" and action == "user_sends":
            extra = {k: body[k] for k in options if k in body}
            return ok(update_id=self.user_sends(int(body["user_id"]), body["text"], **extra))
        if verb == "POST" and action == "user_taps":
            extra = {k: body[k] for k in ("chat_id", "first_name", "strict") if k in body}
            query_id = self.user_taps(
                int(body["user_id"]), int(body["message_id"]), body["data"], **extra
            )
            return ok(callback_query_id=query_id)
        if verb == "POST" and action in ("block", "unblock"):
            getattr(self, action)(int(body["user_id"]))
            return ok()
        if verb == "POST" and action == "fail_next":
            self.fail_next(
                body["method"],
                int(body["status"]),
                body.get("description"),
                retry_after=body.get("retry_after"),
                times=int(body.get("times", 1)),
            )
            return ok()
        if verb == "POST" and action == "delay":
            seconds = body.get("seconds")
            self.delay(
                body["method"],
                None if seconds is None else float(seconds),
                times=body.get("times"),
                after_processing=bool(body.get("after_processing", False)),
            )
            return ok()
        if verb == "POST" and action == "rate_limit":
            self.rate_limit(body.get("per_second"))
            return ok()
        if action == "calls":
            since = int(query.get("since", 0))
            method = query.get("method")
            chosen = [
                call.to_json()
                for call in self.calls[since:]
                if call.status is not None
                and (method is None or call.method.lower() == method.lower())
            ]
            return ok(calls=chosen, next=len(self.calls))
        if action == "wait_for_call":
            try:
                found = await self.wait_for_call(
                    query["method"], int(query.get("n", 1)), float(query.get("timeout", 5))
                )
            except TimeoutError as error:
                return web.json_response({"error": str(error)}, status=408)
            return ok(calls=[call.to_json() for call in found])
        if action == "messages":
            messages = self.bot_messages(int(query["chat_id"]))
            return ok(messages=[m.to_json() for m in messages])
        if action == "state":
            return ok(
                confirmed_offset=self.confirmed_offset,
                pending_updates=self.pending_updates(),
                count_429=self.count_429,
                unknown_methods=self.unknown_methods,
                token_seen=sorted(self.token_seen),
                calls=len(self.calls),
                chats=list(self._chats.values()),
            )
        return web.json_response({"error": f"unknown sim action {verb} {action}"}, status=404)


# --------------------------------------------------------------------------------------------
# Standalone mode
# --------------------------------------------------------------------------------------------


async def _serve(host: str, port: int, token: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with FakeBotApi(host=host, port=port, token=token) as fake:
        sys.stdout.write(f"READY {fake.base_url}\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="only accept this bot token")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
