"""SIGKILL the real console coach mid-flow: on restart nothing is lost or doubled."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")


def _start(db: Path, environ: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "ada"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environ,
        cwd=cwd,
    )


def _wait_for(proc: subprocess.Popen[str], marker: str) -> None:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, f"exited before {marker!r}"
        if marker in line:
            return


@pytest.mark.parametrize("answered", [1, 3, 5])
def test_sigkill_mid_flow_then_resume(
    tmp_path: Path,
    env: dict[str, str],
    answered: int,
) -> None:
    """Killed right after question N+1 was shown, the founder restarts at question N+1."""
    db = tmp_path / "coach.db"
    answers = ["Ada", "Acme", "We review contracts for small law firms.", "2", "4", "4"]
    proc = _start(db, env, tmp_path)
    assert proc.stdin is not None
    _wait_for(proc, "Is that all right?")
    proc.stdin.write("1\n")
    proc.stdin.flush()
    _wait_for(proc, "(1/8)")
    for index in range(answered):
        proc.stdin.write(answers[index] + "\n")
        proc.stdin.flush()
        _wait_for(proc, f"({index + 2}/8)")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    for stream in (proc.stdin, proc.stdout):
        stream.close()

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT step_id, revision FROM answers ORDER BY id").fetchall()
    assert len(rows) == answered
    assert all(revision == 1 for _, revision in rows)

    again = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "ada"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0
    assert f"({answered + 1}/8)" in again.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == answered
        assert conn.execute("SELECT COUNT(*) FROM flow_runs").fetchone()[0] == 1
