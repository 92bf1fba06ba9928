"""Bot API calls whose answer nobody reads, made without parsing that answer.

python-telegram-bot turns every answer into its objects: a sent or edited message becomes a
``Message``, with one object per button of its keyboard. We never read those answers, and
building them took about a twentieth of an update's CPU (issue #14). PTB's public
``Bot.do_api_request`` returns the answer as it came; the rate limiter, the request class
and every error (403, 429, 5xx, time-outs) are the same as with ``send_message``.

The method goes by its lower-case name: Bot API method names are case-insensitive, and
PTB warns when its own method is asked for by name (``sendMessage``). The Application's
defaults (HTML, no link previews) are added here, as ``send_message`` and
``edit_message_text`` add them.

A keyboard of plain buttons (a label and callback data: all of ours) and the link-preview
default go as plain JSON, written here in one pass: PTB's generic ``to_dict`` of each
button and of the options on every call was another twentieth of the CPU.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, TelegramObject

SEND_MESSAGE = "sendmessage"
EDIT_TEXT = "editmessagetext"
EDIT_MARKUP = "editmessagereplymarkup"
FORMATTED = frozenset({SEND_MESSAGE, EDIT_TEXT})  # the methods that take parse_mode
# what a button may carry besides its label and callback data (then PTB writes it)
OTHER_BUTTON_FIELDS = tuple(
    name for name in InlineKeyboardButton.__slots__ if name not in ("text", "callback_data")
)


async def call(
    bot: Bot, endpoint: str, /, rate_limit_args: str | None = None, **fields: Any
) -> None:
    """Make the call; raise what ``send_message`` and the edits raise; return nothing."""
    if endpoint in FORMATTED:
        defaults = getattr(bot, "defaults", None)  # an ExtBot's (the Application's)
        if defaults is not None:
            fields.setdefault("parse_mode", defaults.parse_mode)
            fields.setdefault("link_preview_options", defaults.link_preview_options)
    for name in ("reply_markup", "link_preview_options"):
        if isinstance(fields.get(name), TelegramObject):
            fields[name] = _plain(fields[name])
    extra = {} if rate_limit_args is None else {"rate_limit_args": rate_limit_args}
    await bot.do_api_request(endpoint, api_kwargs=fields, **extra)


def _plain(value: TelegramObject) -> dict[str, Any]:
    """The object as the Bot API's JSON: a plain keyboard directly, anything else by PTB."""
    if isinstance(value, InlineKeyboardMarkup):
        rows = value.inline_keyboard
        if all(_plain_button(button) for row in rows for button in row):
            return {
                "inline_keyboard": [
                    [{"text": b.text, "callback_data": b.callback_data} for b in row]
                    for row in rows
                ]
            }
        return value.to_dict()
    return _once(value)


def _plain_button(button: InlineKeyboardButton) -> bool:
    return isinstance(button.callback_data, str) and all(
        getattr(button, name, None) is None for name in OTHER_BUTTON_FIELDS
    )


@lru_cache(maxsize=8)
def _once(value: TelegramObject) -> dict[str, Any]:
    """``to_dict`` of an object used on every call (the link-preview default), written once."""
    return value.to_dict()
