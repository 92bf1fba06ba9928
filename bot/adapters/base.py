"""What every line-based adapter shares: reading input without blocking the event loop."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO


async def read_line(stream: TextIO | None = None) -> str | None:
    """The next line without its newline, or None at end of input."""
    source = stream or sys.stdin
    line = await asyncio.to_thread(source.readline)
    if line == "":
        return None
    return line.rstrip("\r\n")
