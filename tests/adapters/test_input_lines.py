"""Console and JSON-lines input that is not text, or too long (issue #12): a clear message,
nothing stored, the same question again, and the session goes on (exit status 0)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

MAX_LINE = 4096  # bot.adapters.base.MAX_LINE (a literal, so the test also runs on old code)


def _chat(tmp_path: Path, stdin: bytes, *extra: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    env.update(PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *extra, "--db", str(tmp_path / "c.db"),
         "--user", "ada"],
        input=stdin, capture_output=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip


def _names(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "c.db") as conn:
        found = conn.execute("SELECT value_json FROM answers WHERE step_id = 'name'")
        return [row[0] for row in found]


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_invalid_utf8_on_jsonl_is_an_error_and_the_same_question(
    tmp_path: Path, locale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", locale)
    done = _chat(tmp_path, b"agree\nAda\xff\xfeLovelace\nAda\n/quit\n", "--jsonl")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    error = next(r for r in replies if r["type"] == "error")
    assert "UTF-8" in error["text"]
    after = replies[replies.index(error) + 1]
    assert (after["type"], after["step"]) == ("question", "name")
    assert b"Traceback" not in done.stderr
    assert _names(tmp_path) == [json.dumps("Ada")]


def test_an_over_long_line_is_refused_with_a_message(tmp_path: Path) -> None:
    long = b"x" * (MAX_LINE * 3)
    done = _chat(tmp_path, b"agree\n" + long + b"\nAda\n/quit\n", "--jsonl")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    [error] = [r for r in replies if r["type"] == "error"]
    assert str(MAX_LINE) in error["text"]
    assert len(_names(tmp_path)) == 1
    assert "xxxx" not in _names(tmp_path)[0]


def test_the_console_refuses_both_and_goes_on(tmp_path: Path) -> None:
    stdin = b"agree\nAda\xffLovelace\n" + b"y" * (MAX_LINE + 1) + b"\nAda\n/quit\n"
    done = _chat(tmp_path, stdin)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "not valid text" in out
    assert f"longer than {MAX_LINE}" in out
    assert len(_names(tmp_path)) == 1
