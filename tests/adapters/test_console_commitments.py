"""Commitments and advice length as a founder meets them in the console and JSON lines:
one picker a sitting, declined with one word, every suggestion pickable, each commitment
readable on its own in /checkins, and the top three pieces of advice before "/more"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROBLEM = {
    "en": "our only ML engineer is threatening to leave for a big lab",
    "zh": "唯一的算法工程师要被大厂挖走了",
}
LANGUAGE = {"en": "English", "zh": "中文"}
WORDS = {
    "en": {
        "picker": "Which of these will you actually do?",
        "declined": "No commitments this time",
        "own": "What will you commit to?",
        "today": "I already asked you about commitments today",  # not "you chose": they said no
        "more": "2 more pieces of advice are waiting: send /more",
        "item4": "4. Vertical AI without a domain expert",
        "item5": "5. The team has no fixed rhythm",
        "own_option": "11. Something else, in my own words",
        "problem_commitment": "Name one owner and one two-week experiment for “{problem}”",
        "fifth_advice_commitment": "Set up one shared task board with an owner on every task",
        "no": "no",
    },
    "zh": {
        "picker": "这几件里，你真正会去做的是哪些？",
        "declined": "这次不定承诺也没关系",
        "own": "你打算承诺做哪件事？",
        "today": "今天已经问过你要定哪些行动了",
        "more": "还有 2 条建议，有空时发送 /more 查看",
        "item4": "4. 做垂直行业 AI，却没有行业专家",
        "item5": "5. 团队没有固定节奏",
        "own_option": "11. 别的事，我自己写",
        "problem_commitment": "本周为“{problem}”这个问题指定一位负责人",
        "fifth_advice_commitment": "周五前搭好共享任务看板，每个任务都有负责人",
        "no": "不用了",
    },
}


@pytest.fixture
def full_env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8")
    return environ


def onboarding(locale: str) -> list[str]:
    return ["agree", "Ada", "Acme AI", "Contract review for small law firms", "2",
            "vertical_ai", "4", "Toronto", LANGUAGE[locale], "1"]  # fmt: skip


def team(locale: str) -> list[str]:
    """Five pieces of advice: equity, no ML engineer, the team problem, no domain expert
    (vertical AI) and no rhythm, in that order."""
    return ["/team", "3", "2", "no", "1", "yes", "4", "no", PROBLEM[locale], "9", "0", "1"]


def chat(lines: list[str], env: dict[str, str], cwd: Path, db: Path) -> str:
    """A piped console session of the real entry point; its output (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "ada"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, cwd=cwd,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_one_picker_a_sitting_declined_with_one_word(
    tmp_path: Path, full_env: dict[str, str], locale: str
) -> None:
    """ "no" (不用了) declines at once; the same day's next flow says why it asks nothing."""
    words = WORDS[locale]
    db = tmp_path / "c.db"
    out = chat([*onboarding(locale), *team(locale), words["no"], *team(locale)], full_env,
               tmp_path, db)  # fmt: skip
    assert words["picker"] in out
    second = out.split(words["picker"], 1)[1].split(f"> {words['no']}\n", 1)[1]
    assert words["declined"] in second.split("> /team", 1)[0]
    assert words["own"] not in second  # no second question to get out of it
    assert out.count(words["picker"]) == 1
    assert second.count(words["today"]) == 1
    assert words["picker"] not in second


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_every_suggestion_can_be_picked_and_reads_on_its_own(
    tmp_path: Path, full_env: dict[str, str], locale: str
) -> None:
    """Ten suggestions (five pieces of advice), all numbered; the 10th (from the fifth piece
    of advice, behind /more) and the one "for this problem" land in /checkins, the problem
    named."""
    words = WORDS[locale]
    db = tmp_path / "c.db"
    out = chat([*onboarding(locale), *team(locale), "/more", "5, 10", "2", "/checkins"],
               full_env, tmp_path, db)  # fmt: skip
    picker = out.split("> /more\n", 1)[0].rsplit(words["picker"], 1)[1]
    assert words["own_option"] in picker
    assert f"10. {words['fifth_advice_commitment']}" in picker
    more = out.split("> /more\n", 1)[1].split("> 5, 10", 1)[0]
    assert words["item4"] in more
    assert words["item5"] in more
    assert words["picker"] in more  # the question the founder is on comes back after
    listing = out.split("> /checkins\n", 1)[1]
    problem = words["problem_commitment"].format(problem=PROBLEM[locale])
    assert problem in listing
    assert words["fifth_advice_commitment"] in listing


class Jsonl:
    """``founder-coach chat --jsonl``, one input at a time."""

    def __init__(self, db: Path, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", str(db), "--user", "ada"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, cwd=cwd,
        )  # fmt: skip

    def read(self) -> list[dict[str, Any]]:
        assert self.proc.stdout is not None
        replies = []
        while True:
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read() if self.proc.stderr else ""
            replies.append(json.loads(line))
            if replies[-1]["type"] in ("question", "review", "menu"):
                return replies

    def send(self, text: str) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.read()

    def file(self, text: str) -> dict[str, Any]:
        """Send ``text`` (an export format) and read up to the reply naming the file."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read() if self.proc.stderr else ""
            if "path" in (reply := json.loads(line)):
                return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_json_lines_get_three_pieces_of_advice_then_more(
    tmp_path: Path, full_env: dict[str, str], locale: str
) -> None:
    """Three advice items, an offer naming /more, the picker with its "Not now"; /more
    brings items 4 and 5 and the picker again; the export keeps all five."""
    coach = Jsonl(tmp_path / "c.db", full_env, tmp_path)
    try:
        coach.read()
        for text in onboarding(locale):
            coach.send(text)
        replies: list[dict[str, Any]] = []
        for text in team(locale):
            replies = coach.send(text)
        advice = [r for r in replies if r["type"] == "advice"]
        assert [a["text"].split(". ", 1)[0] for a in advice] == ["1", "2", "3"]
        more = next(r for r in replies if r.get("step") == "more_advice")
        assert WORDS[locale]["more"] in more["text"]
        assert replies[-1]["step"] == "pick"
        assert replies[-1]["skip"] == ("Not now" if locale == "en" else "暂时不用")
        titles = [a["text"].split("\n", 1)[0] for a in advice]
        rest = coach.send("/more")
        later = [r for r in rest if r["type"] == "advice"]
        assert [a["text"].split(". ", 1)[0] for a in later] == ["4", "5"]
        assert rest[-1]["step"] == "pick"
        titles += [a["text"].split("\n", 1)[0] for a in later]
        coach.send("/skip")
        coach.send("/export")
        exported = coach.file("1")  # the summary, in Markdown
        document = (tmp_path / exported["path"]).read_text(encoding="utf-8")  # from its cwd
        for title in titles:
            assert title.split(". ", 1)[1] in document
    finally:
        coach.close()
