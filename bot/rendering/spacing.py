"""Spaces around values put into Chinese text: only where Chinese meets Latin letters or digits.

A zh template writes ``用一句话介绍 **{{ onboarding.startup }}**：`` or ``用一句话介绍**{{ …
}}**：``; either way the founder should read ``用一句话介绍 Ledgerly AI：`` but
``用一句话介绍深言智能：`` (Chinese text takes no spaces between Chinese characters, and a
space between Chinese and Latin text is the usual convention). The values a template
inserts are only known when it renders, so the renderer marks each one
(:data:`OPEN` … :data:`CLOSE`) and :func:`space_values` settles the space at each edge of
each value, then drops the marks. Only the edges of inserted values are touched: the
template's own words and the founder's text are left as they are.
"""

from __future__ import annotations

import re

OPEN = "\ue000"  # private-use characters: never in content, dropped from founder text
CLOSE = "\ue001"
_VALUE = re.compile(f"({OPEN}[^{OPEN}{CLOSE}]*{CLOSE})")
# markup between a value and the text beside it: HTML tags, Markdown emphasis marks
_MARKUP_AFTER = re.compile(r"(?:<[^<>]*>|[*_])*")
_MARKUP_BEFORE = re.compile(r"(?:<[^<>]*>|[*_])*\Z")  # \Z: "$" would match before a newline


def _kind(char: str | None) -> str:
    """``han``, ``latin`` (letters, digits, %), ``fw`` (Chinese punctuation) or ``other``."""
    if char is None:
        return "other"
    code = ord(char)
    if (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF
    ):
        return "han"
    if char.isascii() and (char.isalnum() or char in "%$"):
        return "latin"
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
        return "latin"  # full-width letters and digits
    if 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or char in "“”‘’…—":
        return "fw"
    if 0x00C0 <= code <= 0x024F or char in "€£":
        return "latin"
    return "other"


def _spaces(outside: str | None, inside: str | None, count: int) -> int:
    """How many spaces belong between a character of the text and one of the value."""
    kinds = {_kind(outside), _kind(inside)}
    if kinds == {"han", "latin"}:
        return count or 1
    if kinds == {"han"} or ("fw" in kinds and kinds <= {"fw", "han", "latin"}):
        return 0
    return count


def _split_end(text: str) -> tuple[str, int, str]:
    """``text`` as (core, trailing spaces, trailing markup)."""
    markup = _MARKUP_BEFORE.search(text)
    assert markup is not None  # the pattern matches the empty string
    before = text[: markup.start()]
    core = before.rstrip(" ")
    return core, len(before) - len(core), markup.group(0)


def _split_start(text: str) -> tuple[str, int, str]:
    """``text`` as (leading markup, leading spaces, core)."""
    markup = _MARKUP_AFTER.match(text)
    assert markup is not None
    after = text[markup.end() :]
    core = after.lstrip(" ")
    return markup.group(0), len(after) - len(core), core


def space_values(text: str) -> str:
    """Settle the spaces at the edges of the marked values in ``text``; drop the marks."""
    if OPEN not in text:
        return text
    parts = _VALUE.split(text)
    # parts alternate: text, value, text, value, ..., text
    for index in range(1, len(parts), 2):
        value = parts[index][1:-1]
        if not value:
            continue
        core, count, markup = _split_end(parts[index - 1])
        if core and core[-1] != "\n":
            wanted = _spaces(core[-1], value[0], count)
            parts[index - 1] = core + " " * wanted + markup
        markup, count, core = _split_start(parts[index + 1])
        if core and core[0] != "\n":
            wanted = _spaces(core[0], value[-1], count)
            parts[index + 1] = markup + " " * wanted + core
    return "".join(part.strip(OPEN + CLOSE) if i % 2 else part for i, part in enumerate(parts))


def mark(value: str) -> str:
    """A value as the renderer puts it into a Chinese template."""
    return OPEN + value.replace(OPEN, "").replace(CLOSE, "") + CLOSE
