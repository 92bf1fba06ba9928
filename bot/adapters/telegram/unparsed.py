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
"""

from __future__ import annotations

from typing import Any

from telegram import Bot

SEND_MESSAGE = "sendmessage"
EDIT_TEXT = "editmessagetext"
EDIT_MARKUP = "editmessagereplymarkup"
FORMATTED = frozenset({SEND_MESSAGE, EDIT_TEXT})  # the methods that take parse_mode


async def call(
    bot: Bot, endpoint: str, /, rate_limit_args: str | None = None, **fields: Any
) -> None:
    """Make the call; raise what ``send_message`` and the edits raise; return nothing."""
    if endpoint in FORMATTED:
        defaults = getattr(bot, "defaults", None)  # an ExtBot's (the Application's)
        if defaults is not None:
            fields.setdefault("parse_mode", defaults.parse_mode)
            fields.setdefault("link_preview_options", defaults.link_preview_options)
    extra = {} if rate_limit_args is None else {"rate_limit_args": rate_limit_args}
    await bot.do_api_request(endpoint, api_kwargs=fields, **extra)
