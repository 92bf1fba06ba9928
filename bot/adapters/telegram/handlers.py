"""Thin PTB callbacks: a Telegram update in, ``Coach.handle``, the replies out.

No coaching logic here: only translation between Telegram's objects and ours.
"""

from __future__ import annotations

import logging
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from bot.adapters.telegram.keyboards import BadCallback, Toggle, chosen_labels, decode, toggled
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
    if message is None or update.effective_user is None:
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
    await transport.send(who, message.chat_id, replies)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button tap: answered at once, then resolved against the database by the Coach."""
    query = update.callback_query
    if query is None or update.effective_user is None:
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
    chat_id = update.effective_chat.id if update.effective_chat else int(who.external_id)
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
            await transport.edit_markup(who, message, markup)
        return
    if tap.step == "export":  # show that the file is being built
        await context.bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)
    replies = await coach.handle(
        who, tap, once=f"tg:{update.update_id}", resume_if_done=_replayed(update, context)
    )
    if message is not None and replies and replies[0].type != "error":
        await _show_answer(coach, transport, who, message, tap, replies[0].locale)
    await transport.send(who, chat_id, replies)


async def _show_answer(
    coach: Coach,
    transport: TelegramTransport,
    who: UserRef,
    message: Any,
    tap: Any,
    locale: str | None,
) -> None:
    """Edit the answered question: its keyboard goes and the chosen answer is shown."""
    labels = chosen_labels(message.reply_markup, tap) if tap.action == "pick" else []
    if not labels:
        await transport.edit_markup(who, message, None)
        return
    locale = locale or await coach.locale_of(who)
    answer = coach.renderer.ui("buttons.answered", locale, Target.HTML, answer=", ".join(labels))
    original = message.text_html if message.text else escape(message.caption or "")
    await transport.edit(who, message, f"{original}\n\n{answer}", None)


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
