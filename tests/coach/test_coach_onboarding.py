"""The Coach over a real SQLite file: onboarding end to end, commits, resume, review."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.storage import Database, facts, users
from tests.coach.helpers import (
    ADA,
    ONBOARDING_ANSWERS,
    answer_onboarding,
    last_question,
    say,
    start,
)


def _answers(db_path: Path) -> list[tuple[str, str, int]]:
    """Answers as another process would see them (a separate connection)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT step_id, value_json, revision FROM answers ORDER BY id"
        ).fetchall()


async def test_first_contact_asks_consent_then_opens_onboarding(
    coach: Coach, db_path: Path
) -> None:
    """/start greets, explains what is kept and asks; agreeing opens question 1 of 8."""
    replies = await say(coach, ADA, "/start")
    assert replies[0].text.startswith("Hi! I am Founder Coach")
    assert (replies[1].step, [o.id for o in replies[1].options]) == (
        "consent",
        ["agree", "decline"],
    )
    assert "/delete_my_data" in replies[1].text
    replies = await say(coach, ADA, "Agree and start")
    question = last_question(replies)
    assert (question.flow, question.step, question.progress) == ("onboarding", "name", (1, 8))


async def test_nothing_is_kept_before_consent(coach: Coach, db_path: Path) -> None:
    """Before agreeing, no message is logged; declining erases even the founder row."""
    await say(coach, ADA, "/start")
    replies = await say(coach, ADA, "my secret plans")
    assert replies[0].type == "error"
    assert replies[-1].step == "consent"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM transcript").fetchone() == (0,)
    replies = await say(coach, ADA, "2")
    assert replies[0].text.startswith("All right: nothing you said has been kept.")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)


async def test_onboarding_completes_and_stores_facts(coach: Coach, db: Database) -> None:
    """All eight answers and a confirmed review become facts and profile settings."""
    replies = await answer_onboarding(coach, ADA)
    assert any("Good to meet you, Ada" in r.text for r in replies)
    assert last_question(replies).type == "menu"
    async with db.reading() as conn:
        user = await users.find(conn, channel="console", external_id="ada")
        assert user is not None
        stored = await facts.load(conn, user.id)
    assert stored["onboarding"] == {
        "name": "Ada",
        "startup": "Acme AI",
        "pitch": "Contract review for small law firms, on an open model.",
        "stage": "prototype",
        "sector": "vertical_ai",
        "team_size": 4,
        "timezone": "Europe/Berlin",
        "language": "en",
    }
    assert (user.display_name, user.timezone, user.locale) == ("Ada", "Europe/Berlin", "en")


async def test_each_answer_is_committed_before_the_next_question(
    coach: Coach, db_path: Path
) -> None:
    """When the next question is returned, its predecessor is already in the file."""
    replies = await start(coach, ADA)
    for index, (_, text) in enumerate(ONBOARDING_ANSWERS[:4], start=1):
        replies = await say(coach, ADA, text)
        assert [row[0] for row in _answers(db_path)] == [s for s, _ in ONBOARDING_ANSWERS[:index]]
    assert last_question(replies).step == "sector"


async def test_restart_resumes_at_the_same_step(
    db_path: Path, onboarding_catalog: Catalog, clock: FrozenClock
) -> None:
    """Closing the database mid-flow and opening a new Coach continues where we were."""
    db = await Database.open(db_path)
    await answer_onboarding(Coach(db, onboarding_catalog, clock), ADA, upto=5)
    await db.close()

    db = await Database.open(db_path)
    try:
        replies = await say(Coach(db, onboarding_catalog, clock), ADA, "/start")
        question = last_question(replies)
        assert (question.step, question.progress) == ("team_size", (6, 8))
        replies = await say(Coach(db, onboarding_catalog, clock), ADA, "/back")
        assert last_question(replies).step == "sector"
        assert "Industry solution" in (last_question(replies).hint or "")
    finally:
        await db.close()
    assert len(_answers(db_path)) == 5


async def test_review_edit_keeps_history_and_returns_to_review(
    coach: Coach, db_path: Path
) -> None:
    """Editing from the review appends a revision and comes back to the review."""
    await answer_onboarding(coach, ADA, upto=8)
    replies = await say(coach, ADA, "3")  # option 3 = the startup name
    assert last_question(replies).step == "startup"
    replies = await say(coach, ADA, "Acme Labs")
    review = last_question(replies)
    assert review.type == "review"
    assert any(option.label.endswith("Acme Labs") for option in review.options)
    startup = [row for row in _answers(db_path) if row[0] == "startup"]
    assert [(value, revision) for _, value, revision in startup] == [
        ('"Acme AI"', 1),
        ('"Acme Labs"', 2),
    ]


async def test_redoing_onboarding_says_what_changed(coach: Coach) -> None:
    """A second run of a flow lists the answers that differ from the first."""
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/onboarding")
    assert any("You completed this on 2026-03-02" in r.text for r in replies)
    for _, text in ONBOARDING_ANSWERS[:5]:
        replies = await say(coach, ADA, text)
    replies = await say(coach, ADA, "12")  # team size 4 -> 12
    for _, text in ONBOARDING_ANSWERS[6:]:
        replies = await say(coach, ADA, text)
    replies = await say(coach, ADA, "1")
    changes = next(r for r in replies if r.text.startswith("Since last time"))
    assert changes.text.splitlines()[1:] == ["Team size: 4 → 12"]


async def test_cancel_pauses_the_run_and_resume_keeps_its_answers(
    coach: Coach, db_path: Path
) -> None:
    """/cancel pauses the run; the menu says so; opening it again resumes where it was."""
    await answer_onboarding(coach, ADA, upto=3)
    replies = await say(coach, ADA, "/cancel")
    assert replies[0].text.startswith("Paused “Your profile”.")
    menu = last_question(replies)
    assert menu.type == "menu"
    assert menu.options[0].label.startswith("Your profile: paused at question 4 of")
    assert len(_answers(db_path)) == 3
    replies = await say(coach, ADA, "hello")  # at the menu, text is not an answer
    assert len(_answers(db_path)) == 3
    replies = await say(coach, ADA, "/onboarding")
    assert replies[0].text == "Picking up “Your profile” where you left it."
    assert last_question(replies).step == "stage"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT status FROM flow_runs").fetchall() == [("active",)]


async def test_menu_choice_by_number_starts_a_flow(coach: Coach) -> None:
    """With the menu open, a number picks a flow."""
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/menu")
    assert last_question(replies).options[0].label == "Your profile: completed 2026-03-02"
    replies = await say(coach, ADA, "1")
    assert last_question(replies).step == "name"


async def test_text_with_nothing_under_way_shows_the_menu(coach: Coach) -> None:
    """After onboarding, chatter with no flow open brings the menu, not an error."""
    await answer_onboarding(coach, ADA)
    await say(coach, ADA, "/onboarding")
    await say(coach, ADA, "/cancel")
    replies = await say(coach, ADA, "hello?")
    assert [r.type for r in replies] == ["menu"]  # heard, not refused as a bad option
    assert last_question(replies).text.startswith("You wrote: “hello?”")


async def test_a_redelivered_update_is_processed_once(coach: Coach, db_path: Path) -> None:
    """The same transport update twice: the second changes nothing and says nothing."""
    from bot.models import Said

    await start(coach, ADA)
    first = await coach.handle(ADA, Said("Ada"), once="tg:1001")
    second = await coach.handle(ADA, Said("Ada"), once="tg:1001")
    assert last_question(first).step == "startup"
    assert second == []
    assert [row[0] for row in _answers(db_path)] == ["name"]
