"""LineReader on real pipes and files: lines, pasted batches, the end, and Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.base import LineReader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")


@pytest.fixture
def pipe() -> Iterator[tuple[object, int]]:
    """A pipe: the read end as a text stream (what stdin is), the write end as an fd."""
    read_fd, write_fd = os.pipe()
    stream = os.fdopen(read_fd, encoding="utf-8")
    try:
        yield stream, write_fd
    finally:
        stream.close()
        with contextlib.suppress(OSError):
            os.close(write_fd)


async def test_one_line_at_a_time_from_a_pipe(pipe: tuple[object, int]) -> None:
    stream, write_fd = pipe
    reader = LineReader(stream)  # type: ignore[arg-type]
    os.write(write_fd, "first\r\nsecond\n第三".encode())
    os.close(write_fd)
    assert await reader.batch() == ["first"]
    assert await reader.line() == "second"
    assert await reader.batch() == ["第三"]  # an unfinished last line still counts
    assert await reader.batch() is None
    reader.close()


async def test_lines_that_arrive_together_are_one_batch(pipe: tuple[object, int]) -> None:
    stream, write_fd = pipe
    reader = LineReader(stream, together=0.05)  # type: ignore[arg-type]
    os.write(write_fd, b"Close 2 pilots\nHire a PM\n")
    assert await reader.batch() == ["Close 2 pilots", "Hire a PM"]
    os.write(write_fd, b"later\n")
    assert await reader.batch() == ["later"]
    reader.close()


async def test_interrupt_ends_a_wait_at_once(pipe: tuple[object, int]) -> None:
    """Ctrl-C while nothing is typed: the wait ends now (it used to wait for Enter)."""
    stream, _ = pipe
    reader = LineReader(stream)  # type: ignore[arg-type]
    waiting = asyncio.ensure_future(reader.batch())
    await asyncio.sleep(0.1)
    assert not waiting.done()
    reader.interrupt()
    assert await asyncio.wait_for(waiting, 1) is None
    assert reader.interrupted
    reader.close()


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[object, object]]:
    """/dev/null, and a regular file holding a script."""
    script = tmp_path / "script.txt"
    script.write_text("1\nAda\n", encoding="utf-8")
    with open(os.devnull, encoding="utf-8") as devnull, script.open(encoding="utf-8") as file:
        yield devnull, file


async def test_ends_empty_tells_dev_null_from_a_script(
    pipe: tuple[object, int], files: tuple[object, object]
) -> None:
    devnull, file = files
    assert await LineReader(devnull).ends_empty(1.0)  # type: ignore[arg-type]
    stream, write_fd = pipe
    open_pipe = LineReader(stream)  # type: ignore[arg-type]
    assert not await open_pipe.ends_empty(0.1)  # still open: input may yet come
    os.write(write_fd, b"1\n")
    os.close(write_fd)
    assert not await open_pipe.ends_empty(1.0)
    assert await open_pipe.batch() == ["1"]  # what was looked at is still there
    open_pipe.close()
    from_file = LineReader(file)  # type: ignore[arg-type]  # a regular file: read directly
    assert not await from_file.ends_empty(1.0)
    assert [await from_file.line(), await from_file.line(), await from_file.line()] == [
        "1",
        "Ada",
        None,
    ]
