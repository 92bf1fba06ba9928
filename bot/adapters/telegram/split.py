"""Split long Telegram HTML replies on paragraph boundaries, under 4096 UTF-16 units."""

from __future__ import annotations

import re

TEXT_LIMIT = 4096
_OPEN_ENTITY = re.compile(r"&[#a-zA-Z0-9]*$")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 units (never half a character)."""
    if utf16_len(text) <= limit:
        return text
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text  # pragma: no cover - the length check above returned


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Chunks of at most ``limit`` UTF-16 units, cut at blank lines, then lines, then spaces.

    Our markup never spans a paragraph, so cutting between paragraphs keeps HTML tags
    balanced; a hard cut never lands inside an ``&entity;``.
    """
    if utf16_len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joiner = "\n\n" if current else ""
        if utf16_len(current + joiner + piece) <= limit:
            current += joiner + piece
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if utf16_len(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        pieces.extend(_split_long(paragraph, limit))
    return pieces


def _split_long(paragraph: str, limit: int) -> list[str]:
    """A paragraph over the limit: cut at newlines, then spaces, then anywhere safe."""
    parts: list[str] = []
    rest = paragraph
    while utf16_len(rest) > limit:
        window = _prefix_within(rest, limit)
        cut = max(window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            cut = len(window)
            entity = _OPEN_ENTITY.search(window)
            if entity:
                cut = entity.start()
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text
