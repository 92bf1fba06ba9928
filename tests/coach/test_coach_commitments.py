"""When commitments are checked, and which are offered: the Coach on a real SQLite file
with a frozen clock (dates are the point here, so the clock must be ours)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import OutMessage, UserRef
from bot.storage import Database, users
from bot.storage import checkins as stored
from tests.coach.helpers import last_question, say

ADA = UserRef(channel="console", external_id="ada", display_name="Ada")
SATURDAY = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)  # 11:00 in Berlin
TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
PROBLEM = {"en": "our only ML engineer is threatening to leave", "zh": "唯一的算法工程师要走了"}
LANGUAGE = {"en": "English", "zh": "中文"}
WEEK = {"en": "Hold a founders' meeting about the equity split within a week",
        "zh": "一周内开一次创始人会议，专门谈股权分配"}  # fmt: skip
TWO_WEEKS = {"en": "Send a draft founder agreement with the split and vesting to a lawyer",
             "zh": "两周内把写明股权比例和成熟安排的创始人协议草稿发给律师"}  # fmt: skip


@pytest.fixture
def catalog(real_catalog: Catalog) -> Catalog:
    return real_catalog


async def coach_at(
    tmp_path: Path, catalog: Catalog, moment: datetime
) -> tuple[Coach, FrozenClock]:
    clock = FrozenClock(moment)
    db = await Database.open(tmp_path / "coach.db")
    return Coach(db, catalog, clock), clock


async def onboard(coach: Coach, locale: str) -> None:
    await say(coach, ADA, "/start")
    await say(coach, ADA, "1")
    for text in ["Ada", "Acme AI", "Contract review for small law firms", "2", "vertical_ai",
                 "4", "Berlin", LANGUAGE[locale], "1"]:  # fmt: skip
        replies = await say(coach, ADA, text)
    assert last_question(replies).type == "menu"


async def run_team(coach: Coach, locale: str) -> list[OutMessage]:
    replies: list[OutMessage] = []
    for text in ["/team", "3", "2", "no", "1", "yes", "4", "no", PROBLEM[locale], "2", "0", "1"]:
        replies = await say(coach, ADA, text)
    return replies


def checkins(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            """SELECT m.text, c.local_intent FROM checkins c JOIN commitments m
               ON m.id = c.commitment_id ORDER BY c.due_at, c.id"""
        ).fetchall()


def number_of(question: OutMessage, words: str) -> str:
    return str(next(i for i, o in enumerate(question.options, 1) if words in o.label))


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_each_commitment_is_checked_on_its_own_horizon(
    tmp_path: Path, catalog: Catalog, locale: str
) -> None:
    """A week's action and a two-week one, picked together on a Tuesday: two dates."""
    coach, _ = await coach_at(tmp_path, catalog, TUESDAY)
    try:
        await onboard(coach, locale)
        pick = last_question(await run_team(coach, locale))
        chosen = f"{number_of(pick, WEEK[locale])}, {number_of(pick, TWO_WEEKS[locale])}"
        assert last_question(await say(coach, ADA, chosen)).step == "hour"
        replies = await say(coach, ADA, "h09")
    finally:
        await coach.db.close()
    due = dict(checkins(tmp_path / "coach.db"))
    assert due[next(t for t in due if WEEK[locale] in t)] == "2026-03-10T09:00"
    assert due[next(t for t in due if TWO_WEEKS[locale] in t)] == "2026-03-17T09:00"
    shown = "\n".join(reply.text for reply in replies)
    tuesday = {"en": ("Tue 10 Mar, 09:00", "Tue 17 Mar, 09:00"),
               "zh": ("3月10日（周二）09:00", "3月17日（周二）09:00")}[locale]  # fmt: skip
    assert all(when in shown for when in tuesday)


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_a_week_from_saturday_is_the_monday_after_and_it_says_so(
    tmp_path: Path, catalog: Catalog, locale: str
) -> None:
    coach, _ = await coach_at(tmp_path, catalog, SATURDAY)
    try:
        await onboard(coach, locale)
        pick = last_question(await run_team(coach, locale))
        await say(coach, ADA, number_of(pick, WEEK[locale]))
        replies = await say(coach, ADA, "h09")
    finally:
        await coach.db.close()
    assert [when for _, when in checkins(tmp_path / "coach.db")] == ["2026-03-16T09:00"]
    shown = "\n".join(reply.text for reply in replies)
    said = {
        "en": (
            "Mon 16 Mar, 09:00",
            "It would land on a Saturday, so I moved it to the Monday after",
        ),
        "zh": ("3月16日（周一）09:00", "原本落在周六，已顺延到之后的周一"),
    }[locale]
    assert all(words in shown for words in said), shown


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_an_open_commitment_is_not_offered_again_as_new(
    tmp_path: Path, catalog: Catalog, locale: str
) -> None:
    """Committed on Tuesday; the same advice on Wednesday offers the rest, not it again."""
    coach, clock = await coach_at(tmp_path, catalog, TUESDAY)
    try:
        await onboard(coach, locale)
        pick = last_question(await run_team(coach, locale))
        await say(coach, ADA, number_of(pick, WEEK[locale]))
        await say(coach, ADA, "h09")
        clock.advance(timedelta(days=1))
        again = last_question(await run_team(coach, locale))
    finally:
        await coach.db.close()
    assert again.step == "pick"
    labels = [option.label for option in again.options]
    assert not any(WEEK[locale] in label for label in labels)
    assert any(TWO_WEEKS[locale] in label for label in labels)
    assert len(labels) == len(pick.options) - 1


async def test_a_checkin_asked_again_later_offers_no_new_commitments(
    tmp_path: Path, catalog: Catalog
) -> None:
    """ "Not yet", ask again in a week: the commitment goes on; no picker on top of it."""
    coach, clock = await coach_at(tmp_path, catalog, TUESDAY)
    try:
        await onboard(coach, "en")
        pick = last_question(await run_team(coach, "en"))
        await say(coach, ADA, number_of(pick, WEEK["en"]))
        await say(coach, ADA, "h09")
        clock.advance(timedelta(days=7))
        async with coach.db.transaction() as conn:
            row = (await stored.for_user(conn, 1))[0]
            user = await users.find(conn, channel="console", external_id="ada")
            assert user is not None
            opened, run_id = await coach.open_checkin(conn, user, row, reminder=False)
            await stored.set_status(conn, row.id, "sent", run_id=run_id)  # as the dispatcher
        assert last_question(opened).step == "outcome"
        await say(coach, ADA, "not_yet")
        await say(coach, ADA, "/skip")
        replies = await say(coach, ADA, "in_a_week")
    finally:
        await coach.db.close()
    assert last_question(replies).type == "menu"
    assert not any(reply.step == "pick" for reply in replies)
