"""The fair peer of the update benchmark: what a developer would write with PTB alone.

A ``ConversationHandler`` with ``PicklePersistence`` asks the onboarding questions our bot
asks (name, startup, pitch, stage, sector, team size, time zone, language, then a review),
checks typed answers the same way, and makes the same calls per update: a typed answer
gets the next question; a tap is answered (``answerCallbackQuery``), the answered question
is edited to show the choice, and the next question is sent. After the review, the
commands the benchmark's founders send next (``/team``, ``/funding``, ``/marketing``) ask
the questions again. Messages carry the progress prefix and the button data our bot
uses, so the load generator drives both alike (see bench/loadgen.py).

    python -m bench.bots ptb-conv
"""

from __future__ import annotations

import html
import os
import tempfile
import zoneinfo
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

CONSENT, ASKING = range(2)
STEPS: list[dict[str, Any]] = [
    {"id": "name", "ask": "First, what should I call you?", "max": 60},
    {"id": "startup", "ask": "What is your startup called?", "max": 80},
    {"id": "pitch", "ask": "Your pitch in a sentence or two?", "min": 10, "max": 280},
    {"id": "stage", "ask": "Which stage is it at?",
     "options": ["Idea", "Prototype", "MVP", "Revenue", "Scaling"]},
    {"id": "sector", "ask": "Where does it sit in the AI stack?",
     "options": ["Foundation model", "AI application", "AI infrastructure", "Vertical AI",
                 "AI hardware", "Data services", "Other"]},
    {"id": "team_size", "ask": "How many people are on the team?", "number": (1, 10_000)},
    {"id": "timezone", "ask": "Which city are you in (for your time zone)?", "zone": True},
    {"id": "language", "ask": "Which language should I coach you in?",
     "options": ["English", "中文"]},
    {"id": "review", "ask": "Here is your profile. Confirm it, or start again.",
     "options": ["Looks right, save it", "Start again"]},
]  # fmt: skip
ZONES = {name.rsplit("/", 1)[-1].lower(): name for name in zoneinfo.available_timezones()}


def _question(context: ContextTypes.DEFAULT_TYPE) -> tuple[str, InlineKeyboardMarkup]:
    data = context.user_data
    assert data is not None
    run, index = data["run"], data["step"]
    step = STEPS[index]
    prefix = f"({index + 1}/8) " if index < 8 else ""
    text = prefix + step["ask"]
    if step["id"] == "review":
        text += "\n" + "\n".join(
            f"{key}: {html.escape(str(value))}" for key, value in data["answers"].items()
        )
    rows = [
        [InlineKeyboardButton(label, callback_data=f"q:{run}:{step['id']}:{i}")]
        for i, label in enumerate(step.get("options", []))
    ]
    rows.append([InlineKeyboardButton("◀ Back", callback_data=f"b:{run}:{step['id']}")])
    return text, InlineKeyboardMarkup(rows)


async def _ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    text, markup = _question(context)
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    return ASKING


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Agree and start", callback_data="c:0")]])
    await update.message.reply_text(
        "Hi! I keep your answers to coach you. Is that all right?", reply_markup=markup
    )
    return CONSENT


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    assert context.user_data is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data.update(run=context.user_data.get("run", 0) + 1, step=0, answers={})
    return await _ask(update, context)


def _check(step: dict[str, Any], text: str) -> str | None:
    """The answer to store, or None when it is not valid."""
    text = text.strip()
    if "options" in step or not text:
        return None
    if "number" in step:
        low, high = step["number"]
        return text if text.isdigit() and low <= int(text) <= high else None
    if step.get("zone"):
        return ZONES.get(text.lower().replace(" ", "_"))
    return text if step.get("min", 1) <= len(text) <= step["max"] else None


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    assert context.user_data is not None
    step = STEPS[context.user_data["step"]]
    value = _check(step, update.message.text or "")
    if value is None:
        await update.message.reply_text("That does not fit; please try again.")
        return await _ask(update, context)
    context.user_data["answers"][step["id"]] = value
    context.user_data["step"] += 1
    return await _ask(update, context)


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.user_data is not None
    await query.answer()
    kind, run, step_id, *rest = query.data.split(":")
    index = context.user_data["step"]
    step = STEPS[index]
    if int(run) != context.user_data["run"] or step_id != step["id"]:
        await context.bot.send_message(query.from_user.id, "That button is from an earlier one.")
        return await _ask(update, context)
    if kind == "b":
        await query.edit_message_reply_markup(None)
        context.user_data["step"] = max(0, index - 1)
        return await _ask(update, context)
    label = step["options"][int(rest[0])]
    shown = f"{query.message.text_html}\n\nYour answer: {html.escape(label)}"  # type: ignore[union-attr]
    await query.edit_message_text(shown, parse_mode="HTML")
    if step_id == "review":
        if rest[0] == "0":
            menu = InlineKeyboardMarkup([[InlineKeyboardButton("Team", callback_data="m:team")]])
            await context.bot.send_message(
                query.from_user.id, "Saved. What next?", reply_markup=menu
            )
            return ConversationHandler.END
        context.user_data.update(step=0, answers={})
        return await _ask(update, context)
    context.user_data["answers"][step_id] = label
    context.user_data["step"] = index + 1
    return await _ask(update, context)


async def again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """``/team``, ``/funding``, ``/marketing``: the questions again, as a new run."""
    assert context.user_data is not None
    context.user_data.update(run=context.user_data.get("run", 0) + 1, step=0, answers={})
    return await _ask(update, context)


def main() -> None:
    folder = Path(os.environ.get("BENCH_PEER_DIR") or tempfile.mkdtemp(prefix="peer-"))
    persistence = PicklePersistence(folder / "peer.pickle")
    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .persistence(persistence)
        .build()
    )
    text = filters.TEXT & ~filters.COMMAND
    restart = CommandHandler(["team", "funding", "marketing"], again)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start), restart],
            states={
                CONSENT: [CallbackQueryHandler(consent, pattern="^c:")],
                ASKING: [MessageHandler(text, typed), CallbackQueryHandler(tapped), restart],
            },
            fallbacks=[CommandHandler("start", start)],
            name="onboarding",
            persistent=True,
        )
    )
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])
