"""The small Markdown-like markup of content, converted per target before rendering.

Content is trusted; founder text is not. So the markup of a template's *source* is turned
into the target's markup once (``**bold**`` into ``<b>bold</b>`` for Telegram HTML), and the
values put into it at render time are escaped by the target's environment. A founder who
types ``**`` or ``<b>`` therefore sees exactly that.
"""

from __future__ import annotations

import html
import re
from enum import StrEnum

_TAG = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.DOTALL)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![\w*])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w])")
_BULLET = re.compile(r"^- ", re.MULTILINE)


class Target(StrEnum):
    """Where rendered text goes."""

    HTML = "html"  # Telegram's HTML parse mode (and HTML exports)
    PLAIN = "plain"  # the console and JSON-lines
    MARKDOWN = "markdown"  # Markdown exports


def convert(source: str, target: Target) -> str:
    """Convert the markup of a template source for ``target``, leaving jinja tags alone."""
    tags: list[str] = []

    def hide(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return f"\x00{len(tags) - 1}\x00"

    text = _TAG.sub(hide, source)
    if target is Target.HTML:
        text = html.escape(text, quote=False)
        text = _BOLD.sub(r"<b>\1</b>", text)
        text = _ITALIC.sub(r"<i>\1</i>", text)
        text = _BULLET.sub("• ", text)
    elif target is Target.PLAIN:
        text = _BOLD.sub(r"\1", text)
        text = _ITALIC.sub(r"\1", text)
        text = _BULLET.sub("• ", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: tags[int(m.group(1))], text)


def format_text(text: str, target: Target) -> str:
    """Text built in Python (an investor-update draft) for a target: escaped, then its markup.

    Unlike :func:`convert`, the whole text is treated as untrusted: it is escaped first,
    so a ``<`` or ``&`` in it can never break Telegram's HTML.
    """
    if target is Target.HTML:
        escaped = html.escape(text, quote=False)
        return _BULLET.sub("• ", _BOLD.sub(r"<b>\1</b>", escaped))
    if target is Target.PLAIN:
        return _BULLET.sub("• ", _BOLD.sub(r"\1", text))
    return text


# Escaping for Markdown, kept to what could change how founder text renders, so the raw
# file reads as typed ("mid-size", "2.5M", "(vertical AI)" stay as they are).
_MD_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)")  # "\" that would escape or break
_MD_ALWAYS = re.compile(r"[`*\[\]<~]")  # code, emphasis, links and images, HTML, strikes
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # "_" not inside a word
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # "&copy;" would show as ©
_MD_LINE_START = re.compile(r"^(\s*)(#|>|[-+=](?=\s|$|[-+=]))")  # heading, quote, list, rule
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])")  # "1." or "1)" would start a numbered list
_MD_CLOSING_HASH = re.compile(r"(?<=\s)#+\s*$")  # "### Hire #" would lose the "#"


def _escape_md_line(line: str) -> str:
    text = _MD_BACKSLASH.sub(r"\\\\", line)
    text = _MD_ALWAYS.sub(lambda m: "\\" + m.group(0), text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    text = _MD_CLOSING_HASH.sub(lambda m: "\\" + m.group(0), text)
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    return _MD_NUMBERED.sub(r"\1\\\2", text)


def escape_markdown(value: str) -> str:
    """Escape a value for Markdown so founder text cannot add formatting, links or headings.

    Only what Markdown would act on is escaped: emphasis, code, links, HTML, entities,
    strikethrough, and a list, quote, heading or rule marker at the start of a line.
    """
    return "\n".join(_escape_md_line(line) for line in value.split("\n"))


def tidy(text: str) -> str:
    """Trim trailing spaces and collapse runs of blank lines left by template logic."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
