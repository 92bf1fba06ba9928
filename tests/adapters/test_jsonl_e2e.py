"""The JSON-lines protocol, driven line by line by another program (this test)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

TIMEOUT = 30


class JsonlCoach:
    """Drive ``founder-coach chat --jsonl`` as a subprocess, one input at a time."""

    def __init__(self, db: Path, environ: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--user", "ada"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=cwd,
        )

    def read_until_question(self) -> list[dict[str, Any]]:
        """Replies up to and including the next one that waits for input."""
        assert self.proc.stdout is not None
        replies = []
        while True:
            line = self.proc.stdout.readline()
            assert line, (
                f"coach exited early: {self.proc.stderr.read() if self.proc.stderr else ''}"
            )
            reply = json.loads(line)
            replies.append(reply)
            if reply["type"] in ("question", "review", "menu"):
                return replies

    def send(self, text: str) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.read_until_question()

    def close(self) -> int:
        """End input; the coach must exit by itself."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def test_jsonl_drives_a_whole_onboarding(tmp_path: Path, env: dict[str, str]) -> None:
    """Questions carry flow, step, kind, options and progress; errors name the step."""
    coach = JsonlCoach(tmp_path / "coach.db", env, tmp_path)
    try:
        consent = coach.read_until_question()[-1]
        assert (consent["step"], consent["options"][0]["id"]) == ("consent", "agree")
        first = coach.send("agree")
        assert first[-1] == {
            "type": "question",
            "flow": "onboarding",
            "step": "name",
            "kind": "text",
            "text": "(1/8) First, what should I call you?",
            "progress": [1, 8],
        }
        coach.send("Ada")
        coach.send("Acme")
        stage = coach.send("/skip")[-1]
        assert stage["kind"] == "choice"
        assert stage["options"][0] == {"id": "idea", "label": "Idea: still validating the problem"}
        error, question = coach.send("seventeen")
        assert error == {
            "type": "error",
            "step": "stage",
            "text": "That is not one of the options. Reply with a number from 1 to 5, "
            "or an option's name.",
        }
        assert question["step"] == "stage"
        assert coach.send("mvp")[-1]["step"] == "sector"
        coach.send("ai_infrastructure")
        coach.send("3")
        coach.send("UTC+8")
        review = coach.send("en")[-1]
        assert review["type"] == "review"
        assert review["options"][0]["id"] == "confirm"
        done = coach.send(review["options"][0]["id"])
        assert [r["type"] for r in done] == ["message", "menu"]
        assert done[0]["text"] == "Good to meet you, Ada. Your profile is saved."
    finally:
        assert coach.close() == 0


def test_jsonl_rerun_numbers_are_the_options_and_keep_is_named(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Issue #11 over JSON lines: redoing the profile, the stage's options are the five
    stages, `keep` names what /skip keeps, and sending 1 stores the first option listed."""
    coach = JsonlCoach(tmp_path / "coach.db", env, tmp_path)
    try:
        coach.read_until_question()
        for text in ("agree", "Ada", "Acme", "/skip", "2", "3", "3", "UTC+8", "en", "confirm"):
            coach.send(text)
        name = coach.send("/onboarding")[-1]
        assert (name["step"], name["keep"]) == ("name", "Keep: Ada")
        coach.send("/skip")
        coach.send("/skip")
        stage = coach.send("/skip")[-1]
        assert stage["step"] == "stage"
        assert [o["id"] for o in stage["options"]] == [
            "idea",
            "prototype",
            "mvp",
            "revenue",
            "scaling",
        ]
        assert stage["keep"].startswith("Keep: Prototype")
        assert [o["id"] for o in stage["options"] if o.get("selected")] == ["prototype"]
        assert coach.send("1")[-1]["step"] == "sector"
    finally:
        assert coach.close() == 0
    with sqlite3.connect(tmp_path / "coach.db") as conn:
        stored = conn.execute(
            "SELECT value_json FROM answers WHERE flow_id = 'onboarding' AND step_id = 'stage'"
            " ORDER BY id"
        ).fetchall()
    assert stored == [('"prototype"',), ('"idea"',)]
