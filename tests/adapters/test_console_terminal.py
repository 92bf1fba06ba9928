"""The console in a real (pseudo-)terminal: Ctrl-C, pasted blocks, answers of several lines."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adapters.terminal import CTRL_C, Terminal, seed_founder

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")


@pytest.fixture
def full_env() -> dict[str, str]:
    """The real flows and content, no token, UTF-8."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8", LANG="C.UTF-8", TERM="dumb")
    return environ


@pytest.mark.parametrize("command", ["chat", "run"])
def test_ctrl_c_at_the_prompt_leaves_at_once(
    tmp_path: Path, env: dict[str, str], command: str
) -> None:
    """Ctrl-C while the coach waits for input: one goodbye line, status 0, no traceback.

    It used to print ^C and keep running until Enter: the thread blocked in readline()
    held up the shutdown.
    """
    args = [command, "--db", str(tmp_path / "c.db")]
    founder = "ada" if command == "chat" else getpass.getuser()  # `run`: the OS user
    term = Terminal(args + (["--user", "ada"] if command == "chat" else []), env, tmp_path)
    try:
        term.read_until("Is that all right?")
        term.wait_for_prompt()
        mark = term.type(CTRL_C)
        assert term.exit_status(timeout=10) == 0, term.text[-2000:]
        assert f"talking to “{founder}”" in term.text  # the banner says who the founder is
        after = term.text[mark:]
        assert "Nothing you said was kept, only that I asked." in after
        assert "Saved." not in after  # nothing was: the consent question is unanswered
        assert "Traceback" not in term.text
    finally:
        term.close()


def test_ctrl_c_mid_flow_keeps_every_answer(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "c.db"
    term = Terminal(["chat", "--db", str(db), "--user", "ada"], env, tmp_path)
    try:
        term.read_until("Is that all right?")
        term.wait_for_prompt()
        mark = term.type("1\r")
        term.read_until("(1/8)", after=mark)
        term.wait_for_prompt(after=mark)
        mark = term.type("Ada\r")
        term.read_until("(2/8)", after=mark)
        term.wait_for_prompt(after=mark)
        mark = term.type(CTRL_C)
        assert term.exit_status(timeout=10) == 0, term.text[-2000:]
        assert "Saved. See you next time." in term.text[mark:]
        assert "Traceback" not in term.text
    finally:
        term.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT step_id, value_json FROM answers").fetchall() == [
            ("name", '"Ada"')
        ]


def test_ctrl_c_ends_json_lines_in_a_terminal(tmp_path: Path, env: dict[str, str]) -> None:
    """JSON lines: status 130 (SIGINT), stdout stays JSON, no traceback."""
    term = Terminal(
        ["chat", "--jsonl", "--db", str(tmp_path / "c.db"), "--user", "ada"], env, tmp_path
    )
    try:
        term.read_until('"step": "consent"')
        time.sleep(0.3)  # the coach is now waiting in its read
        term.type(CTRL_C)
        assert term.exit_status(timeout=10) == 130, term.text[-2000:]
        assert "Traceback" not in term.text
    finally:
        term.close()


@pytest.mark.parametrize(("jsonl", "status"), [(False, 0), (True, 130)])
def test_sigint_ends_a_piped_session_without_waiting_for_input(
    tmp_path: Path, env: dict[str, str], jsonl: bool, status: int
) -> None:
    """A program that drives the coach through pipes can stop it; stdin stays open."""
    args = ["chat", "--db", str(tmp_path / "c.db"), "--user", "ada"]
    args += ["--jsonl"] if jsonl else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, cwd=tmp_path, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        for line in proc.stdout:
            if "Is that all right?" in line or '"step": "consent"' in line:
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)  # stdin stays open (it used to hang until it was closed)
        assert proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == status
    assert "Traceback" not in err
    if jsonl:
        assert all(json.loads(line) for line in out.splitlines())


def _answers(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT step_id, value_json FROM answers WHERE flow_id = 'update' ORDER BY id"
        ).fetchall()
    return {step: json.loads(value) for step, value in rows}


def test_a_pasted_block_is_one_answer(tmp_path: Path, full_env: dict[str, str]) -> None:
    """Three lines pasted at once never answer the two questions after this one."""
    db = tmp_path / "c.db"
    seed_founder(db)
    term = Terminal(["chat", "--db", str(db), "--user", "ada"], full_env, tmp_path)
    try:
        term.read_until("What would you like to work on?")
        term.wait_for_prompt()
        mark = term.type("/update\r")
        term.read_until("(1 of up to", after=mark)
        term.wait_for_prompt(after=mark)
        mark = term.type("Paying firms\n3\n4\n")  # one write: a paste
        term.read_until("(2 of up to", after=mark)
        term.wait_for_prompt(after=mark)
        time.sleep(0.5)  # had the other lines gone on, the next questions would show now
        assert "(3 of up to" not in term.text[mark:]
        assert "(4 of up to" not in term.text[mark:]
    finally:
        term.close()
    assert _answers(db) == {"metric_name": "Paying firms\n3\n4"}


def test_goals_take_several_lines_until_an_empty_one(
    tmp_path: Path, full_env: dict[str, str]
) -> None:
    """ "One per line" works: Enter after each goal (typed or pasted), Enter on an empty line."""
    db = tmp_path / "c.db"
    seed_founder(db)
    term = Terminal(["chat", "--db", str(db), "--user", "ada"], full_env, tmp_path)
    try:
        term.read_until("What would you like to work on?")
        term.wait_for_prompt()
        for answer, next_question in (
            ("/update", "(1 of up to"),
            ("Paying firms", "(2 of up to"),
            ("3", "(3 of up to"),
            ("4", "(4 of up to"),
            ("Pilots are slow", "Which of these comes closest to it?"),
            ("7", "goals for the coming week"),
        ):
            mark = term.type(answer + "\r")
            term.read_until(next_question, after=mark)
            term.wait_for_prompt(after=mark)
        assert "press Enter on an empty line to send them" in term.text[mark:]
        mark = term.type("Close 2 pilots\nHire a PM\n")  # pasted: more may follow
        term.wait_for_prompt(after=mark, prompt="… ")
        mark = term.type("Ship the SOC 2 summary\r")  # typed
        term.wait_for_prompt(after=mark, prompt="… ")
        mark = term.type("\r")  # the empty line sends them
        term.read_until("Which day should I ask for your update", after=mark)
    finally:
        term.close()
    goals = _answers(db)["goals_next"]
    assert goals == "Close 2 pilots\nHire a PM\nShip the SOC 2 summary"
