"""Inline keyboards and the compact callback-data scheme behind their buttons.

Callback data is at most 64 bytes and must still mean something after a restart, so it
names the run and step of the question and an option's *position*; the Coach resolves
that against the database (never ``arbitrary_callback_data``). A multiple-choice
keyboard carries its own selection as a bit mask, so toggling needs no stored state:

=====================  ==========================================
``q:RUN:STEP:I``       pick option I of the question
``t:RUN:STEP:I:MASK``  toggle option I of a multi question
``d:RUN:STEP:MASK``    done: submit the options in MASK
``b:RUN:STEP``         back
``s:RUN:STEP``         skip (or keep the shared value)
``m:I``                menu item I
``x:I``                delete-my-data confirmation (0 delete, 1 keep)
``c:I``                privacy consent (0 agree, 1 not now)
``e:I``                export format I
``k:ACTION:ID``        manage check-in ID (later, pause, resume, cancel)
``a:FLOW``             open conversation FLOW (under an /ask answer)
``v:RUN``              more advice: the items of run RUN's advice after the top three
=====================  ==========================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import OutMessage, Tapped

MAX_CALLBACK_BYTES = 64
MENU_STEP = "menu"
DELETE_STEP = "delete_my_data"
CONSENT_STEP = "consent"
CHECKINS_STEP = "checkins"
MORE_ADVICE_STEP = "more_advice"
EXPORT_STEP = "export"
ASK_STEP = "ask"
_TOP_LEVEL = {"m": MENU_STEP, "x": DELETE_STEP, "c": CONSENT_STEP, "e": EXPORT_STEP}
_TOP_PREFIX = {step: prefix for prefix, step in _TOP_LEVEL.items() if prefix != "m"}
CHECK = "✓ "
_PATTERN = re.compile(
    r"^(?:(?P<kind>[qtdbs]):(?P<run>\d{1,12}):(?P<step>[a-z][a-z0-9_]{0,31})"
    r"(?::(?P<a>[0-9a-f]{1,16}))?(?::(?P<b>[0-9a-f]{1,16}))?"
    r"|(?P<top>[mxce]):(?P<index>\d{1,3})"
    r"|k:(?P<action>later|pause|resume|cancel):(?P<checkin>\d{1,12})"
    r"|a:(?P<flow>[a-z][a-z0-9_]{0,31})"
    r"|v:(?P<more>\d{1,12}))$"
)


class BadCallback(ValueError):
    """Callback data that is not ours, or not well formed."""


@dataclass(frozen=True)
class Toggle:
    """A tap on a multiple-choice option: re-draw the keyboard, nothing else."""

    run_id: int
    step: str
    index: int
    mask: int

    @property
    def new_mask(self) -> int:
        """The selection after this toggle."""
        return self.mask ^ (1 << self.index)


def _data(*parts: object) -> str:
    data = ":".join(str(part) for part in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Tapped | Toggle:
    """Parse callback data into a tap for the Coach or a toggle for the keyboard."""
    match = _PATTERN.match(data or "")
    if match is None:
        raise BadCallback(data)
    if match["flow"]:
        return Tapped(run_id=None, step=ASK_STEP, option_ids=(match["flow"],))
    if match["more"]:
        return Tapped(run_id=None, step=MORE_ADVICE_STEP, option_ids=(match["more"],))
    if match["action"]:
        choice = f"{match['action']}:{match['checkin']}"
        return Tapped(run_id=None, step=CHECKINS_STEP, option_ids=(choice,))
    if match["top"]:
        step = _TOP_LEVEL[match["top"]]
        return Tapped(run_id=None, step=step, indexes=(int(match["index"]),))
    run_id, step, kind = int(match["run"]), match["step"], match["kind"]
    if kind == "q" and match["a"] and not match["b"] and match["a"].isdigit():
        return Tapped(run_id=run_id, step=step, indexes=(int(match["a"]),))
    if kind == "t" and match["a"] and match["b"] and match["a"].isdigit():
        return Toggle(run_id, step, int(match["a"]), int(match["b"], 16))
    if kind == "d" and match["a"] and not match["b"]:
        mask = int(match["a"], 16)
        return Tapped(run_id=run_id, step=step, indexes=_indexes(mask))
    if kind in "bs" and not match["a"]:
        return Tapped(run_id=run_id, step=step, action="back" if kind == "b" else "skip")
    raise BadCallback(data)


def _indexes(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


@dataclass(frozen=True)
class ButtonWords:
    """The labels of the keyboard's own buttons, in the founder's language."""

    back: str
    skip: str
    done: str


def keyboard(message: OutMessage, words: ButtonWords) -> InlineKeyboardMarkup | None:
    """The inline keyboard for a reply, or None when it has nothing to tap."""
    rows: list[list[InlineKeyboardButton]] = []
    if message.step == CHECKINS_STEP and message.options:
        rows = [[InlineKeyboardButton(o.label, callback_data=_data("k", o.id))
                 for o in message.options]]  # fmt: skip
    elif message.step == ASK_STEP and message.run_id is None and message.options:
        rows = [[InlineKeyboardButton(o.label, callback_data=_data("a", o.id))]
                for o in message.options]  # fmt: skip
    elif message.step == MORE_ADVICE_STEP and message.options:
        rows = [[InlineKeyboardButton(o.label, callback_data=_data("v", o.id))
                 for o in message.options]]  # fmt: skip
    elif message.type == "menu":
        rows = [[InlineKeyboardButton(o.label, callback_data=_data("m", i))]
                for i, o in enumerate(message.options)]  # fmt: skip
    elif message.step in _TOP_PREFIX and message.run_id is None:
        prefix = _TOP_PREFIX[message.step]
        rows = [[InlineKeyboardButton(o.label, callback_data=_data(prefix, i))]
                for i, o in enumerate(message.options)]  # fmt: skip
    elif message.type in ("question", "review") and message.run_id is not None and message.step:
        run, step = message.run_id, message.step
        if message.kind == "multi":
            mask = sum(1 << i for i, o in enumerate(message.options) if o.selected)
            rows = multi_rows([o.label for o in message.options], run, step, mask, words)
        elif message.kind in ("scale", "yesno"):
            rows = [[InlineKeyboardButton(o.label, callback_data=_data("q", run, step, i))
                     for i, o in enumerate(message.options)]]  # fmt: skip
        else:
            rows = [[InlineKeyboardButton(o.label, callback_data=_data("q", run, step, i))]
                    for i, o in enumerate(message.options)]  # fmt: skip
        nav = []
        if message.can_back:
            nav.append(InlineKeyboardButton(words.back, callback_data=_data("b", run, step)))
        if message.can_skip:
            # "Keep: MVP" when /skip keeps an answer, "Not now" where it declines
            label = message.keep_label or message.skip_label or words.skip
            nav.append(InlineKeyboardButton(label, callback_data=_data("s", run, step)))
        if nav:
            rows.append(nav)
    return InlineKeyboardMarkup(rows) if rows else None


def multi_rows(
    labels: list[str], run: int, step: str, mask: int, words: ButtonWords
) -> list[list[InlineKeyboardButton]]:
    """Option rows with ✓ on the selected ones, then Done (carrying the selection)."""
    rows = [
        [
            InlineKeyboardButton(
                (CHECK if mask >> i & 1 else "") + label,
                callback_data=_data("t", run, step, i, f"{mask:x}"),
            )
        ]
        for i, label in enumerate(labels)
    ]
    rows.append(
        [InlineKeyboardButton(words.done, callback_data=_data("d", run, step, f"{mask:x}"))]
    )
    return rows


def toggled(
    markup: InlineKeyboardMarkup, toggle: Toggle, words: ButtonWords
) -> InlineKeyboardMarkup:
    """The keyboard of a multi question after one toggle, read off the current keyboard."""
    labels: list[str] = []
    tail: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard:
        first = row[0]
        if isinstance(first.callback_data, str) and first.callback_data.startswith("t:"):
            labels.append(first.text.removeprefix(CHECK))
        elif isinstance(first.callback_data, str) and first.callback_data.startswith(("b:", "s:")):
            tail.append(list(row))
    if not 0 <= toggle.index < len(labels):
        raise BadCallback("toggle outside the keyboard")
    mask = toggle.new_mask & ((1 << len(labels)) - 1)  # a forged mask names no other button
    try:
        rows = multi_rows(labels, toggle.run_id, toggle.step, mask, words)
    except ValueError as exc:  # forged run or step ids too long for a button
        raise BadCallback("toggle data over 64 bytes") from exc
    return InlineKeyboardMarkup([*rows, *tail])


def chosen_labels(markup: InlineKeyboardMarkup | None, tap: Tapped) -> list[str]:
    """The labels of the buttons a tap chose (to show the answer in the edited message)."""
    if markup is None:
        return []
    buttons = [b for row in markup.inline_keyboard for b in row if _data_of(b).startswith("q:")]
    if not buttons:  # a multi question: its toggle buttons, in order
        buttons = [
            b for row in markup.inline_keyboard for b in row if _data_of(b).startswith("t:")
        ]
    return [buttons[i].text.removeprefix(CHECK) for i in tap.indexes if 0 <= i < len(buttons)]


def _data_of(button: InlineKeyboardButton) -> str:
    return button.callback_data if isinstance(button.callback_data, str) else ""
