"""Console and JSON-lines exports: each founder's own file, never overwritten, 0600.

Audit finding 10: two founders of one database and working directory, whose startups have
Chinese names, both got ``exports/founder-coach-summary-<date>.md``; the second export
overwrote the first, and the first founder's JSON-lines ``path`` then pointed at the other
founder's data. The files were world-readable (0644).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.console import save_file
from bot.export.data import founder_folder
from bot.models import OutFile, OutMessage

ANSWERS = ["/start", "1", "{name}", "深度求索", "帮小律所用开源模型审合同。", "2", "4", "4",
           "上海", "中文", "1"]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8", FOUNDER_COACH_DB=str(tmp_path / "coach.db"))
    return environ


def jsonl(user: str, lines: list[str], env: dict[str, str], cwd: Path) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--user", user],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_two_founders_with_chinese_startups_keep_their_own_files(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Same startup name, same day, same folder: two files, each with its founder's data."""
    paths = {}
    for name in ("张三", "李四"):
        script = [a.format(name=name) for a in ANSWERS] + ["/export", "1"]
        [saved] = [r for r in jsonl(name, script, env, tmp_path) if "path" in r]
        paths[name] = tmp_path / saved["path"]
    assert paths["张三"] != paths["李四"]
    for name, path in paths.items():
        other = "李四" if name == "张三" else "张三"
        text = path.read_text(encoding="utf-8")
        assert name in text
        assert other not in text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert path.parent.parent == tmp_path / "exports"
    # the same founder exporting again that day keeps the first file too
    [again] = [r for r in jsonl("张三", ["/export", "1"], env, tmp_path) if "path" in r]
    assert tmp_path / again["path"] != paths["张三"]
    assert paths["张三"].exists()


def test_names_that_read_the_same_get_different_folders(tmp_path: Path) -> None:
    folders = {
        founder_folder(tmp_path, channel, name)
        for channel, name in [("console", "Ada"), ("console", "ada"), ("console", "ADA!"),
                              ("telegram", "ada"), ("console", "张三"), ("console", "李四")]
    }  # fmt: skip
    assert len(folders) == 6
    assert founder_folder(tmp_path, "console", "ada").name.startswith("console-ada-")


def test_a_file_is_never_overwritten_and_only_its_owner_can_read_it(tmp_path: Path) -> None:
    os.umask(0o022)
    message = OutMessage(
        type="file", text="", file=OutFile(filename="f.md", data=b"one", mime="text/markdown")
    )
    first = save_file(message, tmp_path / "mine")
    second = save_file(message.model_copy(update={"file": message.file.model_copy(
        update={"data": b"two"})}), tmp_path / "mine")  # fmt: skip
    assert first is not None
    assert second is not None
    assert (first.name, second.name) == ("f.md", "f-2.md")
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
