"""Thin PTB callbacks: a Telegram update in, ``Coach.handle``, the replies out.

No coaching logic here: only translation between Telegram's objects and ours.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from bot.adapters.telegram.keyboards import BadCallback, Toggle, chosen_labels, decode, toggled
from bot.adapters.telegram.split import TEXT_LIMIT, clip_utf16, utf16_len
from bot.errors import StorageError
from bot.models import Said, UserRef
from bot.rendering import Target

if TYPE_CHECKING:
    from telegram.ext import ContextTypes

    from bot.adapters.telegram.transport import TelegramTransport
    from bot.coach import Coach

log = logging.getLogger(__name__)

CHANNEL = "telegram"


def founder(update: Update) -> UserRef:
    """The founder behind an update."""
    user = update.effective_user
    assert user is not None
    return UserRef(
        channel=CHANNEL,
        external_id=str(user.id),
        display_name=user.first_name,
        language_code=user.language_code,
    )


def own_private_chat(update: Update) -> bool:
    """Whether an update comes from a founder in their own private chat with the bot.

    In a private chat the chat's id is the user's id. Telegram never sends anything else,
    but a forged update (a self-hosted Bot API server, a leaked webhook secret) could pair
    one founder's id with another chat, to act as them and receive their replies there:
    such an update is dropped (logged, nothing stored, nothing sent).
    """
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    return chat.type == ChatType.PRIVATE and chat.id == user.id


def _refuse_foreign(update: Update) -> bool:
    """Log and report an update whose chat is not the sender's own private chat."""
    if own_private_chat(update):
        return False
    log.warning(
        "update %s dropped: its chat is not the sender's own private chat", update.update_id
    )
    return True


def _replayed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether this update was stored before a crash and is being handled after it."""
    queue = context.bot_data.get("ledger")
    return queue is not None and queue.is_replay(update)


def _parts(context: ContextTypes.DEFAULT_TYPE) -> tuple[Coach, TelegramTransport]:
    data: dict[str, Any] = context.bot_data
    return data["coach"], data["transport"]


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a private chat: typed answers and commands."""
    message = update.effective_message
    if message is None or update.effective_user is None or _refuse_foreign(update):
        return
    coach, transport = _parts(context)
    who = founder(update)
    text = message.text or message.caption or ""
    if transport.holds_back(who, text):  # their last question never arrived: not an answer
        await coach.skip_update(f"tg:{update.update_id}")
        await transport.redeliver(who, message.chat_id)
        return
    replies = await coach.handle(
        who,
        Said(text),
        once=f"tg:{update.update_id}",
        resume_if_done=_replayed(update, context),
    )
    await transport.send(who, update.effective_user.id, replies)  # their own private chat


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is never a new answer (Telegram does not send them to us anyway:
    ``allowed_updates`` leaves them out). Nothing is stored and nothing is sent."""
    log.info("update %s is an edited message; ignored", update.update_id)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button tap: answered at once, then resolved against the database by the Coach."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    if _refuse_foreign(update):  # the same private-chat rule as messages; not even answered
        return
    try:
        await query.answer()
    except TelegramError as exc:  # too old (e.g. replayed after a restart): tap still counts
        log.info("callback query of update %s not answered: %s", update.update_id, exc)
    coach, transport = _parts(context)
    who = founder(update)
    message = (
        query.message if query.message is not None and hasattr(query.message, "text") else None
    )
    chat_id = update.effective_user.id  # their own private chat (checked above)
    try:
        tap = decode(query.data)
    except BadCallback:
        await transport.send(who, chat_id, [await _stale(coach, who)])
        return
    if isinstance(tap, Toggle):
        if message is not None and message.reply_markup is not None:
            try:
                markup = toggled(message.reply_markup, tap, await transport.words(who))
            except BadCallback:
                await transport.send(who, chat_id, [await _stale(coach, who)])
                return
            await transport.edit_markup(who, message, markup, cosmetic=False)  # the reply
        return
    if tap.step == "export":  # show that the file is being built
        await context.bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)
    replies = await coach.handle(
        who, tap, once=f"tg:{update.update_id}", resume_if_done=_replayed(update, context)
    )
    if message is None or not replies or replies[0].type == "error":
        await transport.send(who, chat_id, replies)
        return
    if transport.busy():  # replies queue: no edit; the next reply says what they chose
        await transport.send(who, chat_id, await _with_answer(coach, who, message, tap, replies))
        return
    await transport.send(who, chat_id, replies)  # the reply first: the edit only adds looks
    transport.later(_show_answer(coach, transport, who, message, tap, replies[0].locale))


async def _show_answer(
    coach: Coach,
    transport: TelegramTransport,
    who: UserRef,
    message: Any,
    tap: Any,
    locale: str | None,
) -> None:
    """Edit the answered question: its keyboard goes and the chosen answer is shown.

    The edited text must stay within Telegram's 4 096 UTF-16 units (counted on the text
    as shown, after the HTML is parsed): the chosen labels are clipped to the room left,
    and without room the keyboard alone is removed. This edit is cosmetic, so no error of
    it may stop the turn's replies.
    """
    labels = chosen_labels(message.reply_markup, tap) if tap.action == "pick" else []
    try:
        if not labels or not message.text:
            await transport.edit_markup(who, message, None)
            return
        locale = locale or await coach.locale_of(who)
        answer = _answer_line(coach, locale, ", ".join(labels), utf16_len(message.text) + 2)
        if answer is None:
            await transport.edit_markup(who, message, None)
            return
        await transport.edit(who, message, f"{message.text_html}\n\n{answer}", None)
    except TelegramError as exc:
        log.warning("the answered-question edit failed (%s); its keyboard is removed", exc.message)
        with contextlib.suppress(TelegramError):
            await transport.edit_markup(who, message, None)


async def _with_answer(
    coach: Coach, who: UserRef, message: Any, tap: Any, replies: list[Any]
) -> list[Any]:
    """The replies with "Your answer: …" above the first, when the question is not edited.

    Under load the answered question keeps its keyboard (a later tap on it is handled as
    stale), so the founder sees their choice at the top of what comes next.
    """
    labels = chosen_labels(message.reply_markup, tap) if tap.action == "pick" else []
    first = replies[0]
    if not labels:
        return replies
    locale = first.locale or await coach.locale_of(who)
    answer = _answer_line(coach, locale, ", ".join(labels), 0)  # long replies are split anyway
    if answer is None:
        return replies
    return [first.model_copy(update={"text": f"{answer}\n\n{first.text}"}), *replies[1:]]


def _answer_line(coach: Coach, locale: str, chosen: str, used: int) -> str | None:
    """ "Your answer: …" as HTML, clipped to what is left of the limit; None if nothing fits."""

    def shown(answer: str) -> int:  # the plain rendering is what Telegram counts
        plain = coach.renderer.ui("buttons.answered", locale, Target.PLAIN, answer=answer)
        return utf16_len(plain)

    room = TEXT_LIMIT - used
    if shown(chosen) > room:
        budget = room - shown("") - 1  # one unit for the ellipsis
        if budget < 1:
            return None
        chosen = clip_utf16(chosen, budget).rstrip() + "…"
    return coach.renderer.ui("buttons.answered", locale, Target.HTML, answer=chosen)


async def _stale(coach: Coach, who: UserRef) -> Any:
    from bot.models import OutMessage

    locale = await coach.locale_of(who)
    return OutMessage(type="error", text=coach.renderer.ui("buttons.stale", locale, Target.HTML))


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Groups: say once per command or mention that coaching is private; store nothing."""
    message = update.effective_message
    if message is None or message.chat.type == ChatType.PRIVATE:
        return
    coach, _ = _parts(context)
    mentioned = context.bot.username and f"@{context.bot.username}" in (message.text or "")
    if not (message.text or "").startswith("/") and not mentioned:
        return
    code = (update.effective_user.language_code if update.effective_user else None) or ""
    locale = (
        code.split("-")[0] if code.split("-")[0] in coach.catalog.locales else coach.default_locale
    )
    text = coach.renderer.ui("group_only", locale, Target.HTML)
    await context.bot.send_message(chat_id=message.chat_id, text=text)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler error with the update id (never the update's content)."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    drain = context.bot_data.get("drain")
    if update_id is not None and drain is not None and isinstance(context.error, StorageError):
        drain.unavailable(update_id)  # several workers: its row stays for the sweep
