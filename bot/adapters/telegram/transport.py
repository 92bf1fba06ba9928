"""Send the Coach's replies to Telegram: split, add keyboards, and handle what goes wrong.

- 403 Forbidden (the founder blocked the bot): mark them inactive, send nothing more.
- "message is not modified": harmless, ignored.
- 429 is retried by PTB's AIORateLimiter; network errors and 5xx are retried here with
  backoff, a few times, then logged. The answer was committed before sending, so a lost
  reply costs the founder one /start, never their data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from html import escape

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.adapters.telegram.keyboards import ButtonWords, keyboard
from bot.adapters.telegram.split import TEXT_LIMIT, split_message, utf16_len
from bot.coach import Coach
from bot.models import OutMessage, UserRef
from bot.rendering import Target

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_SECONDS = 0.5


class Blocked(Exception):
    """The founder blocked the bot; nothing more can be sent to them."""


def is_not_modified(exc: BadRequest) -> bool:
    """Whether an edit failed only because nothing changed."""
    return "message is not modified" in exc.message.lower()


class TelegramTransport:
    """Turns OutMessages into Bot API calls for one chat at a time."""

    def __init__(self, bot: Bot, coach: Coach) -> None:
        self.bot = bot
        self.coach = coach

    async def words(self, who: UserRef, replies: Sequence[OutMessage] = ()) -> ButtonWords:
        """The keyboard's own button labels in the replies' (else the founder's) language."""
        locale = next((r.locale for r in replies if r.locale), None)
        if locale is None:
            locale = await self.coach.locale_of(who)
        renderer = self.coach.renderer

        def label(key: str) -> str:
            return renderer.ui(f"buttons.{key}", locale, Target.PLAIN)

        return ButtonWords(back=label("back"), skip=label("skip"), done=label("done"))

    async def send(
        self, who: UserRef, chat_id: int, replies: Sequence[OutMessage], *, strict: bool = False
    ) -> list[Message]:
        """Send replies in order; consecutive plain ones are merged to spare the chat's limit.

        With ``strict`` a blocked founder raises :class:`Blocked` (the check-in dispatcher
        records it); otherwise the rest of the replies is dropped quietly.
        """
        if not replies:
            return []
        words = await self.words(who, replies)
        sent: list[Message] = []
        try:
            for reply in replies:
                if reply.file is not None:
                    document = await self.call(
                        who, self.bot.send_document, chat_id=chat_id,
                        document=InputFile(reply.file.data, filename=reply.file.filename),
                        caption=reply.file.caption[:1024], parse_mode=None,
                    )  # fmt: skip
                    if isinstance(document, Message):
                        sent.append(document)
            replies = [reply for reply in replies if reply.file is None]
            for text, markup in _batches(replies, words):
                for index, chunk in enumerate(chunks := split_message(text)):
                    last = index == len(chunks) - 1
                    message = await self.call(
                        who,
                        self.bot.send_message,
                        chat_id=chat_id,
                        text=chunk,
                        reply_markup=markup if last else None,
                    )
                    if isinstance(message, Message):
                        sent.append(message)
        except Blocked:
            log.info("chat %s blocked the bot; remaining replies dropped", chat_id)
            if strict:
                raise
        return sent

    async def edit(
        self, who: UserRef, message: Message, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit a message the bot sent; an unchanged edit is fine."""
        with contextlib.suppress(Blocked):
            await self.call(
                who,
                self.bot.edit_message_text,
                chat_id=message.chat_id,
                message_id=message.message_id,
                text=text,
                reply_markup=markup,
            )

    async def edit_markup(
        self, who: UserRef, message: Message, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Replace or remove a message's keyboard."""
        with contextlib.suppress(Blocked):
            await self.call(
                who,
                self.bot.edit_message_reply_markup,
                chat_id=message.chat_id,
                message_id=message.message_id,
                reply_markup=markup,
            )

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
            except NetworkError:  # includes TimedOut and 5xx
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        return None  # pragma: no cover - the loop always returns or raises


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
