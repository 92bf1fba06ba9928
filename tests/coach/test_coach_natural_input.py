"""Natural input through the Coach: currencies kept and shown, zones shown as UTC-3, date
examples computed from the founder's today, dates and times typed where a choice is asked,
and options that exclude the others refused on buttons too (issue #11)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.models import OutMessage
from bot.storage import checkins
from tests.coach.helpers import ADA, last_question, say, start, tap
from tests.dbrows import rows

# START in tests/conftest.py: Monday 2026-03-02 09:00 UTC


async def onboard(coach: Coach, *, zone: str = "Berlin", language: str = "English") -> list:
    replies = await start(coach, ADA)
    answers = ["Ada", "Ledgerly AI", "Reconciles invoices for mid-size accounting firms.", "3",
               "vertical_ai", "4", zone, language]  # fmt: skip
    for text in answers:
        replies = await say(coach, ADA, text)
    assert last_question(replies).type == "review", replies
    return replies


FUNDING = {"stage": "keep", "burn": "55k", "compute_spend": "/skip", "raise_amount": "2.5M",
           "funding_channels": "1", "instrument": "1", "pipeline": "2", "investor_updates": "1",
           "milestones": "1", "use_of_funds": "1", "risks": "1"}  # fmt: skip


async def funding_review(coach: Coach, **typed: str) -> OutMessage:
    """Walk /funding with ``typed`` answers over FUNDING's, up to the review."""
    answers = {**FUNDING, **typed}
    replies = await say(coach, ADA, "/funding")
    for _ in range(20):
        question = last_question(replies)
        if question.type == "review":
            return question
        replies = await say(coach, ADA, answers[question.step])
    raise AssertionError("funding did not reach its review")


def review_lines(review: OutMessage) -> list[str]:
    return [option.label for option in review.options]


# ---------------------------------------------------------------- 8. currencies


async def test_a_currency_typed_once_is_shown_with_every_amount(
    full_coach: Coach, tmp_path: Path
) -> None:
    """450k CAD: stored as 450000 (rules do arithmetic), the founder works in CAD, and every
    amount is shown in CAD: the review, the scores and the advice."""
    await onboard(full_coach)
    await say(full_coach, ADA, "1")
    review = await funding_review(full_coach, cash="450k CAD", compute_spend="$12k")
    lines = review_lines(review)
    assert any(line.endswith(": CAD 450,000") for line in lines), lines
    assert any(line.endswith(": CAD 55,000") for line in lines), lines
    assert any(line.endswith(": CAD 12,000") for line in lines), lines  # a bare $ stays CAD
    assert any(line.endswith(": CAD 2.5M") for line in lines), lines
    assert await rows(full_coach.db, "SELECT currency FROM users") == [("CAD",)]
    assert await rows(full_coach.db, "SELECT value_json FROM answers WHERE step_id = 'cash'") == [
        ("450000",)
    ]
    replies = await say(full_coach, ADA, "1")
    advice = "\n".join(reply.text for reply in replies)
    assert "CAD 450,000 in the bank at a net burn of CAD 55,000 a month" in advice


async def test_amounts_in_chinese_show_the_currency_after_them(full_coach: Coach) -> None:
    await onboard(full_coach, language="中文")
    await say(full_coach, ADA, "1")
    review = await funding_review(full_coach, cash="45万加元", burn="每月5万")
    lines = review_lines(review)
    assert any(line.endswith("：45万加元") for line in lines), lines
    assert any(line.endswith("：5万加元") for line in lines), lines


@pytest.mark.parametrize(
    ("cash", "shown"),
    [("$450k", "$450,000"), ("€450k", "€450,000"), ("£450k", "£450,000"),
     ("￥45万", "¥450,000"), ("450000", "450,000")],
)  # fmt: skip
async def test_signs_are_shown_back(full_coach: Coach, cash: str, shown: str) -> None:
    """USD, EUR, GBP and CNY keep their sign in English; no currency typed: as before."""
    await onboard(full_coach)
    await say(full_coach, ADA, "1")
    lines = review_lines(await funding_review(full_coach, cash=cash))
    assert any(line.endswith(f": {shown}") for line in lines), lines


async def test_cad_450k_is_no_longer_refused(full_coach: Coach) -> None:
    await onboard(full_coach)
    await say(full_coach, ADA, "1")
    replies = await say(full_coach, ADA, "/funding")
    replies = await say(full_coach, ADA, "keep")
    assert last_question(replies).step == "cash"
    replies = await say(full_coach, ADA, "CAD 450k")
    assert [reply.type for reply in replies] == ["question"]
    assert last_question(replies).step == "burn"


async def test_the_chinese_money_error_gives_a_chinese_example(full_coach: Coach) -> None:
    await onboard(full_coach, language="中文")
    await say(full_coach, ADA, "1")
    await say(full_coach, ADA, "/funding")
    await say(full_coach, ADA, "keep")
    replies = await say(full_coach, ADA, "很多钱")
    assert replies[0].type == "error"
    assert "25万" in replies[0].text
    assert "250k" not in replies[0].text


# ---------------------------------------------------------------- 7. zones as people write them


async def test_an_offset_zone_is_shown_as_utc_minus(full_coach: Coach, tmp_path: Path) -> None:
    """UTC-3 is stored as Etc/GMT+3 (IANA) but never shown so."""
    review = last_question(await onboard(full_coach, zone="UTC-3"))
    assert "Time zone: UTC-3" in review_lines(review)
    await say(full_coach, ADA, "1")
    assert await rows(full_coach.db, "SELECT timezone FROM users") == [("Etc/GMT+3",)]
    replies = await say(full_coach, ADA, "/timezone")
    assert replies[0].text.startswith("Your time zone is UTC-3.")
    replies = await say(full_coach, ADA, "/timezone UTC+8")
    assert replies[0].text == "Time zone set to UTC+8."
    assert await rows(full_coach.db, "SELECT timezone FROM users") == [("Etc/GMT-8",)]


async def test_zones_in_chinese(full_coach: Coach) -> None:
    review = last_question(await onboard(full_coach, zone="UTC+5", language="中文"))
    assert "时区：UTC+5" in review_lines(review)
    await say(full_coach, ADA, "1")
    replies = await say(full_coach, ADA, "/timezone GMT-4")
    assert replies[0].text == "时区已设置为 UTC-4。"


async def test_the_checkin_list_names_the_zone(full_coach: Coach, clock: FrozenClock) -> None:
    await onboard(full_coach, zone="UTC-3")
    await say(full_coach, ADA, "1")
    async with full_coach.db.transaction() as conn:
        commitment = await checkins.add_commitment(
            conn, user_id=1, topic="funding", text="Send the deck", now=clock.now()
        )
        await checkins.create(
            conn, user_id=1, kind="commitment", due_at=clock.now() + timedelta(days=2),
            timezone="Etc/GMT+3", local_intent="2026-03-04T09:00", now=clock.now(),
            commitment_id=commitment,
        )  # fmt: skip
    replies = await say(full_coach, ADA, "/checkins")
    assert replies[0].text == "Your check-ins (your local time, UTC-3):"


async def test_the_export_shows_the_zone_and_the_currency(full_coach: Coach) -> None:
    await onboard(full_coach, zone="UTC-3")
    await say(full_coach, ADA, "1")
    await funding_review(full_coach, cash="450k CAD")
    await say(full_coach, ADA, "1")
    await say(full_coach, ADA, "/cancel")
    await say(full_coach, ADA, "/export")
    replies = await say(full_coach, ADA, "1")
    file = next(reply.file for reply in replies if reply.file is not None)
    text = file.data.decode("utf-8")
    assert "- Time zone: UTC-3\n" in text  # read as typed: a "-" inside a line needs no escape
    assert "Etc/GMT" not in text
    assert "CAD 450,000" in text
    await say(full_coach, ADA, "/export")
    replies = await say(full_coach, ADA, "3")
    data = json.loads(next(reply.file for reply in replies if reply.file is not None).data)
    assert (data["timezone"], data["currency"]) == ("Etc/GMT+3", "CAD")  # data: IANA, ISO


# ---------------------------------------------------------------- 5, 6. dates and times


async def to_when(coach: Coach, *, language: str = "English") -> list[OutMessage]:
    """Onboard, run funding to its commitments, write one's own (the last option): the
    "when?" question is next (the advice's own suggestions are checked on their horizon)."""
    await onboard(coach, language=language)
    await say(coach, ADA, "1")
    await funding_review(coach, cash="100k", raise_amount="500k")
    replies = await say(coach, ADA, "1")
    pick = last_question(replies)
    assert pick.step == "pick"
    await say(coach, ADA, str(len(pick.options)))
    replies = await say(coach, ADA, "Email five pilot customers about pricing")
    assert last_question(replies).step == "when"
    return replies


async def test_the_date_hint_is_computed_from_today(full_coach: Coach) -> None:
    """A week from the founder's today, in ISO and in words; never 2026-12-01 or 12/01."""
    await to_when(full_coach)
    replies = await say(full_coach, ADA, "4")
    question = last_question(replies)
    assert question.step == "date"
    assert question.hint == "A date such as 9 Mar, 2026-03-09, friday or tomorrow."
    replies = await say(full_coach, ADA, "someday")
    assert replies[0].text.startswith("I could not read that as a date. Try 9 Mar, 2026-03-09,")


async def test_the_date_hint_in_chinese(full_coach: Coach) -> None:
    await to_when(full_coach, language="中文")
    question = last_question(await say(full_coach, ADA, "4"))
    assert question.hint == "写一个日期，例如 3月9日、2026-03-09、下周三或明天。"
    replies = await say(full_coach, ADA, "12/01")
    assert replies[0].text.startswith("不确定你指的是哪天：12月1日还是 1月12日？")


async def test_a_date_at_when_and_a_time_at_the_hour(full_coach: Coach, tmp_path: Path) -> None:
    """ "next friday" at "when?" and "21:30" at the hour: one check-in, then."""
    await to_when(full_coach)
    replies = await say(full_coach, ADA, "next friday")
    assert last_question(replies).step == "hour"
    replies = await say(full_coach, ADA, "21:30")
    assert any(
        "Email five pilot customers about pricing: Fri 13 Mar, 21:30" in reply.text
        for reply in replies
    )
    assert await rows(full_coach.db, "SELECT local_intent, timezone FROM checkins") == [
        ("2026-03-13T21:30", "Europe/Berlin")
    ]


async def test_tomorrow_at_3pm_in_chinese(full_coach: Coach, tmp_path: Path) -> None:
    await to_when(full_coach, language="中文")
    replies = await say(full_coach, ADA, "明天")
    assert last_question(replies).step == "hour"
    replies = await say(full_coach, ADA, "下午3点")
    assert any("3月3日（周二）15:00" in reply.text for reply in replies), [r.text for r in replies]
    assert await rows(full_coach.db, "SELECT local_intent FROM checkins") == [
        ("2026-03-03T15:00",)
    ]


# ---------------------------------------------------------------- 9. exclusive picks


async def test_nothing_yet_with_a_milestone_is_refused_on_buttons(full_coach: Coach) -> None:
    await onboard(full_coach)
    await say(full_coach, ADA, "1")
    replies = await say(full_coach, ADA, "/funding")
    for _ in range(20):
        question = last_question(replies)
        if question.step == "milestones":
            break
        replies = await say(full_coach, ADA, FUNDING.get(question.step, "100k"))
    assert question.run_id is not None
    replies = await tap(full_coach, ADA, question.run_id, "milestones", "prototype", "none_yet")
    assert replies[0].type == "error"
    assert replies[0].text == (
        "“None of these yet” cannot go together with the other options. "
        "Pick it alone, or leave it out."
    )
    assert last_question(replies).step == "milestones"
    replies = await say(full_coach, ADA, "Working prototype or demo, None of these yet")
    assert replies[0].text.startswith("“None of these yet” cannot go together")
