"""The real entry point in a subprocess: a whole onboarding piped through the console."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = """1
Ada
Acme <b>AI</b>
/skip
2
4
4
Shanghai
English
1
"""


def run_cli(
    args: list[str], stdin: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_piped_onboarding_completes(tmp_path: Path, env: dict[str, str]) -> None:
    """A scripted session runs to the end, prints every prompt and exits cleanly."""
    db = tmp_path / "coach.db"
    result = run_cli(["chat", "--db", str(db), "--user", "ada"], SCRIPT, env, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for prompt in (
        "(1/8) First, what should I call you?",
        "(4/8) Which stage is Acme <b>AI</b> at?",
        "Here is your profile.",
        "Good to meet you, Ada.",
    ):
        assert prompt in out
    assert "> Acme <b>AI</b>" in out  # piped input is echoed
    assert out.rstrip().endswith("Saved. See you next time.")
    with sqlite3.connect(db) as conn:
        facts = dict(conn.execute("SELECT name, value_json FROM facts").fetchall())
    assert json.loads(facts["timezone"]) == "Asia/Shanghai"
    assert json.loads(facts["startup"]) == "Acme <b>AI</b>"
    assert "pitch" not in facts


def test_end_of_input_mid_flow_exits_cleanly_and_resumes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Input ending mid-flow exits 0; the next session continues at the same question."""
    db = tmp_path / "coach.db"
    first = run_cli(["chat", "--db", str(db), "--user", "ada"], "1\nAda\nAcme\n", env, tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_cli(["chat", "--db", str(db), "--user", "ada"], "", env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "(3/8) Describe Acme in one sentence" in second.stdout


def test_two_users_share_a_database_without_seeing_each_other(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """--user keeps founders apart in one file."""
    db = tmp_path / "coach.db"
    run_cli(["chat", "--db", str(db), "--user", "ada"], "1\nAda\nAda Labs\n", env, tmp_path)
    bob = run_cli(["chat", "--db", str(db), "--user", "bob"], "1\n", env, tmp_path)
    assert "(1/8) First, what should I call you?" in bob.stdout
    assert "Ada Labs" not in bob.stdout


def test_lang_flag_speaks_chinese(tmp_path: Path, env: dict[str, str]) -> None:
    """--lang zh opens the conversation in Chinese."""
    result = run_cli(
        ["chat", "--db", str(tmp_path / "c.db"), "--lang", "zh"], "1\n小林\n", env, tmp_path
    )
    assert "（1/8）先认识一下：怎么称呼你？" in result.stdout
    assert "  （" in result.stdout  # a Chinese hint in full-width parentheses
    assert "  (" not in result.stdout
    assert result.stdout.rstrip().endswith("已保存，下次见。")


def test_run_without_token_opens_the_console(tmp_path: Path, env: dict[str, str]) -> None:
    """`founder-coach run` with no token is the console coach (scripted input works)."""
    result = run_cli(["run", "--db", str(tmp_path / "c.db")], "1\n", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(1/8) First, what should I call you?" in result.stdout
