"""Send the Coach's replies to Telegram: split, add keyboards, and handle what goes wrong.

- 403 Forbidden (the founder blocked the bot): mark them inactive, send nothing more.
- "message is not modified": harmless, ignored.
- 429 is retried here after ``retry_after``, that message alone; 5xx and network errors
  with backoff; ``ATTEMPTS`` tries in all.
- A send that timed out while reading the answer may have reached Telegram: it is never
  retried blindly (:class:`Uncertain`), so it can arrive twice at most.
- **Outbox**: a reply that still could not go out is kept, with everything after it, in
  the ``outbox`` table (one row per Bot API call, split and rendered). A founder's kept
  replies go out oldest first and before anything new is sent to them; a background drain
  tries again every few seconds with backoff. While a founder has kept replies, a typed
  answer is not taken (they did not see the question it would answer): they get the kept
  replies with a short note instead (:meth:`TelegramTransport.held_back`).
- **Cosmetic edits** (showing the tapped answer, removing an old keyboard) go in the rate
  limiter's cosmetic lane (``bot/adapters/telegram/lanes.py``), after the reply and beside
  the founder's turns (:meth:`TelegramTransport.later`): they wait for spare budget or are
  dropped, and a reply never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram import unparsed
from bot.adapters.telegram.http import never_sent
from bot.adapters.telegram.keyboards import ButtonWords, keyboard
from bot.adapters.telegram.lanes import COSMETIC, Dropped, LaneLimiter
from bot.adapters.telegram.split import TEXT_LIMIT, split_message, utf16_len
from bot.coach import Coach
from bot.errors import StorageError
from bot.models import OutMessage, UserRef
from bot.rendering import Target
from bot.storage import outbox

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
CHANNEL = "telegram"
OUTBOX_BACKOFF = (1, 2, 5, 10, 30, 60)  # seconds before the next try of a founder's kept replies
SENDS = frozenset({"send_message", "send_document", "sendMessage", "sendDocument", "send_text"})


class Blocked(Exception):
    """The founder blocked the bot; nothing more can be sent to them."""


class Uncertain(Exception):
    """A send timed out after the request left: Telegram may or may not have delivered it."""


def is_not_modified(exc: BadRequest) -> bool:
    """Whether an edit failed only because nothing changed."""
    return "message is not modified" in exc.message.lower()


def _retryable(exc: BaseException) -> bool:
    """Worth keeping for later: Telegram was busy or unreachable (not a refusal of the call)."""
    if isinstance(exc, Uncertain | RetryAfter):
        return True
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def _maybe_delivered(exc: TimedOut) -> bool:
    """A read or write time-out: the request may have been processed. Connect/pool: not."""
    if never_sent(exc) or isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return "pool timeout" not in str(exc).lower()


@dataclass(frozen=True)
class _Call:
    """One planned Bot API call: a text chunk with its keyboard, or a document."""

    method: str  # "message" or "document"
    text: str | None
    markup: InlineKeyboardMarkup | None = None
    data: bytes | None = None
    filename: str | None = None


FounderLock = Callable[[int], AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def _no_lock(_key: int) -> AsyncIterator[None]:
    yield


class TelegramTransport:
    """Turns OutMessages into Bot API calls for one chat at a time."""

    def __init__(
        self, bot: Bot, coach: Coach, *, founder_lock: FounderLock = _no_lock,
        shared: bool = False,
    ) -> None:  # fmt: skip
        self.bot = bot
        self.coach = coach
        self.founder_lock = founder_lock  # the processor's: drains never cross a turn
        # several workers: another worker may keep replies (and die), so the outbox is read
        # again on every drain instead of trusting what this process kept
        self.shared = shared
        self._pending: set[str] = set()  # founders with kept replies (mirrors the outbox)
        self.looks: set[asyncio.Task[None]] = set()  # cosmetic edits under way (see later)

    async def words(self, who: UserRef, replies: Sequence[OutMessage] = ()) -> ButtonWords:
        """The keyboard's own button labels in the replies' (else the founder's) language."""
        locale = next((r.locale for r in replies if r.locale), None)
        if locale is None:
            locale = await self.coach.locale_of(who)
        renderer = self.coach.renderer

        def label(key: str) -> str:
            return renderer.ui(f"buttons.{key}", locale, Target.PLAIN)

        return ButtonWords(back=label("back"), skip=label("skip"), done=label("done"))

    # ------------------------------------------------------------ sending

    async def send(
        self, who: UserRef, chat_id: int, replies: Sequence[OutMessage], *, strict: bool = False
    ) -> None:
        """Send replies in order; consecutive plain ones are merged to spare the chat's limit.

        Kept replies of this founder go first. Without ``strict`` (a turn's replies), what
        Telegram does not take is kept in the outbox and a blocked founder's replies are
        dropped quietly. With ``strict`` (a check-in) nothing is kept: :class:`Blocked`,
        :class:`Uncertain` or the Telegram error is raised for the dispatcher to record.
        """
        if not replies:
            return
        calls = _plan(replies, await self.words(who, replies))
        if who.external_id in self._pending and not await self.flush(who):
            if strict:
                raise NetworkError("earlier replies to this founder are still waiting")
            await self._keep(who, chat_id, calls, "earlier replies still waiting")
            return
        for index, planned in enumerate(calls):
            try:
                await self._do(who, chat_id, planned)
            except Blocked:
                log.info("chat %s blocked the bot; remaining replies dropped", chat_id)
                if strict:
                    raise
                return
            except (TelegramError, Uncertain) as exc:
                if strict or not _retryable(exc):
                    raise
                await self._keep(who, chat_id, calls[index:], _describe(exc))
                return

    async def _do(self, who: UserRef, chat_id: int, planned: _Call) -> object:
        if planned.method == "document":
            return await self.call(
                who, self.bot.send_document, chat_id=chat_id,
                document=InputFile(planned.data or b"", filename=planned.filename),
                caption=(planned.text or "")[:1024], parse_mode=None,
            )  # fmt: skip
        return await self.call(
            who, self.send_text, chat_id=chat_id, text=planned.text, reply_markup=planned.markup
        )

    async def send_text(self, **fields: Any) -> None:
        """``sendMessage``, Telegram's answer unparsed (:mod:`.unparsed`)."""
        await unparsed.call(self.bot, unparsed.SEND_MESSAGE, **fields)

    # ------------------------------------------------------------ the outbox

    async def load_pending(self) -> None:
        """At start-up: which founders have kept replies."""
        async with self.coach.db.reading() as conn:
            self._pending = set(await outbox.founders_due(conn, CHANNEL))

    def has_pending(self, who: UserRef) -> bool:
        """Whether replies to this founder are waiting in the outbox."""
        return who.external_id in self._pending

    async def _keep(self, who: UserRef, chat_id: int, calls: list[_Call], error: str) -> None:
        rows = [
            (c.method, c.text, c.markup.to_json() if c.markup else None, c.data, c.filename)
            for c in calls
        ]
        try:
            async with self.coach.db.transaction() as conn:
                kept = await outbox.add(
                    conn, channel=who.channel, external_id=who.external_id, chat_id=chat_id,
                    calls=rows, now=self.coach.clock.now(), error=error,
                )  # fmt: skip
        except StorageError:
            log.exception(
                "%d reply call(s) to chat %s lost: outbox unavailable", len(rows), chat_id
            )
            return
        if kept:
            self._pending.add(who.external_id)
            log.warning(
                "%d reply call(s) to chat %s kept in the outbox (%s)", kept, chat_id, error
            )

    async def flush(self, who: UserRef) -> bool:
        """Send this founder's kept replies, oldest first; True when none is left.

        The caller holds the founder's place (a turn, or :meth:`drain`). A row is deleted
        right after its call succeeds: a crash in between sends that one twice, never zero.
        """
        async with self.coach.db.reading() as conn:
            kept = await outbox.for_founder(conn, channel=who.channel, external_id=who.external_id)
        for row in kept:
            markup = (
                InlineKeyboardMarkup.de_json(json.loads(row.markup_json), self.bot)
                if row.markup_json
                else None
            )
            planned = _Call(row.method, row.text, markup, row.data, row.filename)
            try:
                await self._do(who, row.chat_id, planned)
            except Blocked:
                async with self.coach.db.transaction() as conn:
                    await outbox.drop(conn, channel=who.channel, external_id=who.external_id)
                break
            except (TelegramError, Uncertain) as exc:
                if _retryable(exc):
                    wait = OUTBOX_BACKOFF[min(row.attempts, len(OUTBOX_BACKOFF) - 1)]
                    if isinstance(exc, RetryAfter):
                        wait = max(wait, _seconds(exc.retry_after))
                    async with self.coach.db.transaction() as conn:
                        await outbox.failed(
                            conn, channel=who.channel, external_id=who.external_id,
                            next_attempt_at=self.coach.clock.now() + timedelta(seconds=wait),
                            error=_describe(exc),
                        )  # fmt: skip
                    return False
                log.error("a kept reply to chat %s was refused (%s); dropped", row.chat_id, exc)
            async with self.coach.db.transaction() as conn:
                await outbox.done(conn, row.id)
        self._pending.discard(who.external_id)
        return True

    async def drain(self) -> int:
        """Every few seconds: try again the kept replies whose next try is due (with
        several workers, whichever worker kept them: the outbox is read first)."""
        if self.shared:
            try:
                await self.load_pending()
            except StorageError as exc:
                log.warning("the outbox could not be read: %s", exc)
                return 0
        if not self._pending:
            return 0
        async with self.coach.db.reading() as conn:
            due = await outbox.founders_due(conn, CHANNEL, self.coach.clock.now())
        delivered = 0
        for external_id in due:
            who = UserRef(channel=CHANNEL, external_id=external_id)
            async with self.founder_lock(int(external_id)):
                if self.has_pending(who) and await self.flush(who):
                    delivered += 1
        return delivered

    def holds_back(self, who: UserRef, text: str) -> bool:
        """Whether a typed message must not be handled: it would answer an unseen question.

        A founder with kept replies has not seen the question their text would answer, so
        it is not taken (the caller records the update as handled and calls
        :meth:`redeliver`). A command (``/...``) is not an answer: it is handled, and its
        replies go out after the kept ones.
        """
        return self.has_pending(who) and not text.strip().startswith("/")

    async def redeliver(self, who: UserRef, chat_id: int) -> None:
        """A short note that the last reply did not arrive, then the kept replies."""
        locale = await self.coach.locale_of(who)
        note = self.coach.renderer.ui("notices.undelivered", locale, Target.HTML)
        with contextlib.suppress(TelegramError, Uncertain, Blocked):
            await self._do(who, chat_id, _Call("message", note))
        await self.flush(who)

    # ------------------------------------------------------------ edits

    def later(self, edit: Coroutine[Any, Any, None]) -> None:
        """Make a cosmetic edit beside the founder's turns, so their next reply never waits
        for it (it may wait for the budget, or be dropped); any failure only loses looks."""

        async def quietly() -> None:
            try:
                await edit
            except Exception as exc:  # a stopped bot, a refusal: the looks only
                log.info("a cosmetic edit was not made: %s", _describe(exc))

        task = asyncio.create_task(quietly(), name="telegram:cosmetic")
        self.looks.add(task)
        task.add_done_callback(self.looks.discard)

    def busy(self) -> bool:
        """Whether replies queue for the send budget now (a cosmetic edit would only wait)."""
        limiter = getattr(self.bot, "rate_limiter", None)
        return isinstance(limiter, LaneLimiter) and limiter.busy()

    async def edit(
        self, who: UserRef, message: Message, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Show the answer on a sent message: cosmetic, so it yields to replies or is lost."""
        await self._edit(
            who, "an edit", unparsed.EDIT_TEXT, message, True, text=text,
            reply_markup=markup,
        )  # fmt: skip

    async def edit_markup(
        self,
        who: UserRef,
        message: Message,
        markup: InlineKeyboardMarkup | None,
        *,
        cosmetic: bool = True,
    ) -> None:
        """Replace or remove a message's keyboard (a toggle's new marks are a reply, not looks)."""
        await self._edit(
            who, "a keyboard edit", unparsed.EDIT_MARKUP, message, cosmetic,
            reply_markup=markup,
        )  # fmt: skip

    async def _edit(
        self, who: UserRef, what: str, endpoint: str, message: Message, cosmetic: bool, **kwargs
    ):  # type: ignore[no-untyped-def]
        """An edit of a sent message (its answer unparsed): a block, a transient failure or
        (cosmetic) a full budget only loses the looks."""
        method = functools.partial(unparsed.call, self.bot, endpoint)
        if cosmetic and isinstance(getattr(self.bot, "rate_limiter", None), LaneLimiter):
            kwargs["rate_limit_args"] = COSMETIC  # PTB refuses the argument without a limiter
        with contextlib.suppress(Blocked):
            try:
                await self.call(
                    who, method, chat_id=message.chat_id, message_id=message.message_id, **kwargs
                )
            except Dropped as exc:
                log.info("%s in chat %s was dropped: %s", what, message.chat_id, exc)
            except (TelegramError, Uncertain) as exc:
                if not _retryable(exc):
                    raise
                log.warning("%s in chat %s was not made: %s", what, message.chat_id, exc)

    async def call(self, who: UserRef, method, **kwargs):  # type: ignore[no-untyped-def]
        """One Bot API call with our error policy."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await method(**kwargs)
            except Forbidden as exc:
                await self.coach.mark_blocked(who)
                raise Blocked(str(exc)) from exc
            except BadRequest as exc:
                if is_not_modified(exc):
                    return None
                raise
            except RetryAfter as exc:  # a 429: this message alone waits, then goes again
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(_seconds(exc.retry_after) + 0.1)
            except TimedOut as exc:
                if getattr(method, "__name__", "") in SENDS and _maybe_delivered(exc):
                    raise Uncertain(str(exc)) from exc  # never sent twice blindly
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            except NetworkError:  # 5xx, connection refused or reset
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        return None  # pragma: no cover - the loop always returns or raises


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _plan(replies: Sequence[OutMessage], words: ButtonWords) -> list[_Call]:
    """The Bot API calls for these replies: documents first, then the merged text chunks."""
    calls = [
        _Call("document", r.file.caption, None, r.file.data, r.file.filename)
        for r in replies
        if r.file is not None
    ]
    texts = [reply for reply in replies if reply.file is None]
    for text, markup in _batches(texts, words):
        chunks = split_message(text)
        for index, chunk in enumerate(chunks):
            calls.append(_Call("message", chunk, markup if index == len(chunks) - 1 else None))
    return calls


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def _batches(
    replies: Sequence[OutMessage], words: ButtonWords
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Group replies: text without buttons joins the next reply while it fits one message."""
    batches: list[tuple[str, InlineKeyboardMarkup | None]] = []
    pending = ""
    for reply in replies:
        markup = keyboard(reply, words)
        text = _text(reply)
        combined = f"{pending}\n\n{text}" if pending else text
        if markup is None:
            if pending and utf16_len(combined) > TEXT_LIMIT:
                batches.append((pending, None))
                pending = text
            else:
                pending = combined
            continue
        if pending and utf16_len(combined) > TEXT_LIMIT:
            batches.append((pending, None))
            combined = text
        batches.append((combined, markup))
        pending = ""
    if pending:
        batches.append((pending, None))
    return batches


TYPED_KINDS = ("text", "number", "timezone", "date")


def _text(reply: OutMessage) -> str:
    """A reply's text as HTML; typed answers get their hint, advice its commitments."""
    text = reply.text
    if reply.type == "advice" and reply.options:
        text += "\n" + "\n".join(f"• {escape(o.label, quote=False)}" for o in reply.options)
    if reply.hint and reply.kind in TYPED_KINDS:
        text += f"\n<i>{escape(reply.hint, quote=False)}</i>"
    return text
