"""Commitments from /business_model and /risk_legal are followed up as that kind of work.

End to end through the Coach and the check-in dispatcher (frozen clock, real SQLite), in
both languages: the commitment keeps its flow; when its check-in comes, the note asks about
what that work leaves behind (a number; the proof kept) and the advice is the flow's own,
not the generic words; the export names the commitment's topic by the flow's title.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.checkins.service import CheckinService
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.models import OutMessage
from tests.checkins.conftest import Outbox
from tests.checkins.test_checkins_dispatch import ADA, ONBOARDING
from tests.coach.helpers import last_question, say
from tests.dbrows import rows

# no revenue model yet, no evidence of demand: advice with commitments to pick
BUSINESS = {"revenue_model": "7", "payer": "4", "price": "0", "serve_cost": "300",
            "acquisition_cost": "/skip", "paying_customers": "0", "demand_evidence": "7",
            "lenses": "1", "bubble_signs": "4"}  # fmt: skip
# selling in the EU and China, end users' data, nothing checked yet
RISK = {"markets": "1, 2", "personal_data": "3", "generates": "1", "decision_areas": "6",
        "model_source": "2", "licences_checked": "3", "ip_assigned": "3", "contracts": "6",
        "lawyer": "3", "open_question": "/skip"}  # fmt: skip
ANSWERS = {"business_model": BUSINESS, "risk_legal": RISK}

WORDS = {
    ("business_model", "en"): ("What did it show?", "Done: put what it showed in your plan",
                               "Business model"),
    ("business_model", "zh"): ("结果怎么样", "完成了：把结果写进计划", "商业模式"),
    ("risk_legal", "en"): ("where's the proof kept", "Done: keep the proof", "Risk, legal"),
    ("risk_legal", "zh"): ("凭证放在哪里", "完成了：把凭证留好", "风险"),
}  # fmt: skip
GENERIC = {"en": "Done: a promise kept", "zh": "完成了，说到做到"}


async def _onboard(coach: Coach, locale: str) -> None:
    await say(coach, ADA, "/start")
    await say(coach, ADA, "1")
    for text in ONBOARDING:
        replies = await say(coach, ADA, locale if text == "en" else text)
    assert last_question(replies).type == "menu"


async def _walk(coach: Coach, flow: str) -> list[OutMessage]:
    replies = await say(coach, ADA, f"/{flow}")
    for _ in range(30):
        question = last_question(replies)
        if question.flow != flow:
            return replies
        text = "1" if question.type == "review" else ANSWERS[flow][question.step]
        replies = await say(coach, ADA, text)
    raise AssertionError(f"{flow} did not finish")


def _export_csv(db: Path | str) -> list[list[str]]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--db", str(db), "--user", "ada",
         "--format", "csv"],
        capture_output=True, text=True, env={**environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return list(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff"))))


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("flow", ["business_model", "risk_legal"])
async def test_a_commitment_gets_its_flows_checkin(
    full_coach: Coach,
    service: CheckinService,
    outbox: Outbox,
    clock: FrozenClock,
    tmp_path: Path,
    flow: str,
    locale: str,
) -> None:
    note_asks, advice_title, topic_title = WORDS[flow, locale]
    await _onboard(full_coach, locale)
    replies = await _walk(full_coach, flow)
    pick = last_question(replies)
    assert (pick.flow, pick.step) == ("commit", "pick")
    offered = pick.options[0].label
    replies = await say(full_coach, ADA, "1")
    while last_question(replies).type != "menu":
        replies = await say(full_coach, ADA, "h09")
    db = full_coach.db
    assert await rows(db, "SELECT text, flow_id FROM commitments") == [(offered, flow)]
    [(checkin_id,)] = await rows(db, "SELECT id FROM checkins")
    clock.advance(timedelta(days=30))  # its horizon: up to four weeks, a weekend moved on
    await service.fire(checkin_id)
    question = outbox.sent[0][1][-1]
    assert (question.flow, question.step) == ("checkin", "outcome")
    assert {m.locale for m in outbox.sent[0][1]} == {locale}  # sent in the founder's language
    replies = await say(full_coach, ADA, "done")
    note = last_question(replies)
    assert note.step == "note"
    assert note_asks in note.text
    replies = await say(full_coach, ADA, "1,200" if flow == "business_model" else "/skip")
    advice = "\n".join(r.text for r in replies if r.type == "advice")
    assert advice_title in advice
    assert GENERIC[locale] not in advice
    assert f"“{offered}”" in advice
    table = _export_csv(db.path)
    mine = [row for row in table if row[2] == offered]  # its check-in rows
    assert mine, table
    assert all(row[1].startswith(topic_title) for row in mine), mine
