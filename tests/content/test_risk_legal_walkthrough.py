"""The risk, legal and compliance conversation, typed as founders type it, in both languages.

A founder answers every question through the real console and JSON-lines entry points and
gets advice for the markets they named only. In process: the markets question keeps the
answer the funding flow already has and writes a new one back to it, and commitments made
after this conversation are filed under it (so check-ins and exports name it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.coach import Coach
from bot.storage import Database, checkins, facts, users
from tests.coach.helpers import ADA, answer_onboarding, last_question, say
from tests.conftest import START

# A US-only hiring screener on a provider's API (English) and a mainland-China consumer
# writing assistant on an open model (Chinese, typed as labels, not numbers).
SCRIPTS = {
    "en": [
        "yes",
        "Dana",
        "Shortlist AI",
        "Screens applicants for retail chains",
        "3",
        "2",
        "6",
        "New York",
        "en",
        "1",
        "/risk_legal",
        "United States",
        "3",
        "2",
        "1",
        "1",
        "2",
        "1",
        "2",
        "never",
        "Can we keep candidates' video interviews for training?",
        "1",
        "/more",  # the advice after the top three
        "none",
        "/skip",
    ],
    "zh": [
        "是",
        "王磊",
        "妙笔",
        "面向大学生的中文写作助手",
        "2",
        "2",
        "3",
        "上海",
        "zh",
        "1",
        "/risk_legal",
        "中国大陆",
        "3",
        "1",
        "都不涉及",
        "2",
        "还没看",
        "不确定",
        "6",
        "从来没有",
        "我们用开源模型做的写作助手，需要自己去备案吗？",
        "1",
        "/more",
        "无",
        "/skip",
    ],
}
# Each founder's own market, and words that belong to markets they do not sell in.
OWN = {"en": ["New York City", "California"], "zh": ["算法备案", "个人信息保护法"]}
OTHERS = {
    "en": ["GDPR", "EU", "China", "Quebec", "PIPEDA", "ICO", "UK"],
    "zh": ["欧盟", "GDPR", "美国", "英国", "加拿大", "CCPA", "魁北克"],
}


def _env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ["PYTHONIOENCODING"] = "utf-8"
    return environ


def _chat(tmp_path: Path, locale: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *extra, "--db", str(tmp_path / f"{locale}.db"),
         "--user", "founder", "--lang", locale],
        input="\n".join(SCRIPTS[locale]) + "\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )  # fmt: skip


def test_walk_through_over_jsonl_and_console_in_both_languages(tmp_path: Path) -> None:
    for locale in ("en", "zh"):
        (tmp_path / "j").mkdir(exist_ok=True)
        jsonl = _chat(tmp_path / "j", locale, "--jsonl")
        assert jsonl.returncode == 0, jsonl.stderr
        replies = [json.loads(line) for line in jsonl.stdout.splitlines()]
        assert [r for r in replies if r["type"] == "error"] == [], locale
        asked = [
            r["step"] for r in replies if r.get("flow") == "risk_legal" and r["type"] == "question"
        ]
        assert asked[0] == "markets", asked
        assert len(asked) >= 8, asked
        assessment = [r["text"] for r in replies if r["type"] == "assessment"]
        assert len(assessment) == 1, assessment
        assert assessment[0].count("/5") == 4, assessment
        advice = "\n".join(r["text"] for r in replies if r["type"] == "advice")
        for words in OWN[locale]:
            assert words in advice, (locale, words)
        for words in OTHERS[locale]:
            assert words not in advice + assessment[0], (locale, words)
        assert any(r.get("flow") == "commit" for r in replies), "commitments are offered"

        (tmp_path / "c").mkdir(exist_ok=True)
        console = _chat(tmp_path / "c", locale)
        assert console.returncode == 0, console.stderr
        for line in assessment[0].splitlines():
            assert line in console.stdout, line


async def _founder(db: Database) -> tuple[int, dict[str, dict[str, Any]]]:
    async with db.reading() as conn:
        user = await users.find(conn, channel="console", external_id="ada")
        assert user is not None
        return user.id, await facts.load(conn, user.id)


async def test_markets_are_shared_with_funding(full_coach: Coach, db: Database) -> None:
    """The funding flow's markets are offered to keep; a new answer goes back to funding."""
    await answer_onboarding(full_coach, ADA)
    user_id, _ = await _founder(db)
    async with db.transaction() as conn:  # as a funding run that asked about markets leaves it
        await facts.put(
            conn, user_id=user_id, flow_id="funding", name="markets", value=["eu"], run_id=None,
            now=START,
        )  # fmt: skip
    replies = await say(full_coach, ADA, "/risk_legal")
    question = last_question(replies)
    assert question.step == "markets"
    assert question.keep_label == "Keep: European Union"
    for text in ["keep", "3", "2", "6", "1", "2", "1", "2", "never", "/skip"]:
        replies = await say(full_coach, ADA, text)
    assert last_question(replies).type == "review"
    replies = await say(full_coach, ADA, "1")
    advice = "\n".join(r.text for r in replies if r.type == "advice")
    assert "EU:" in advice
    assert "US:" not in advice
    assert "China" not in advice
    _, known = await _founder(db)
    assert known["risk_legal"]["markets"] == ["eu"]

    # a different answer on a re-run is written back to the funding flow's fact
    await say(full_coach, ADA, "none")  # no commitment this time
    await say(full_coach, ADA, "/risk_legal")
    await say(full_coach, ADA, "United States, Canada")
    for text in ["keep"] * 9:
        replies = await say(full_coach, ADA, text)
    replies = await say(full_coach, ADA, "1")
    _, known = await _founder(db)
    assert known["risk_legal"]["markets"] == ["us", "ca"]
    assert known["funding"]["markets"] == ["us", "ca"]


async def test_a_commitment_after_this_conversation_is_filed_under_it(
    full_coach: Coach, db: Database
) -> None:
    await answer_onboarding(full_coach, ADA)
    await say(full_coach, ADA, "/risk_legal")
    for text in ["United States", "3", "2", "1", "1", "2", "1", "2", "never", "/skip", "1"]:
        replies = await say(full_coach, ADA, text)
    assert last_question(replies).flow == "commit"
    replies = await say(full_coach, ADA, "1")
    for _ in range(6):  # answer the rest of the commit flow with its first option
        question = last_question(replies)
        if question.flow != "commit":
            break
        replies = await say(full_coach, ADA, "1" if question.options else "/skip")
    user_id, _ = await _founder(db)
    async with db.reading() as conn:
        rows = await checkins.for_user(conn, user_id)
    assert rows
    assert {row.topic for row in rows} == {"risk_legal"}
