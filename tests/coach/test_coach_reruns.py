"""What a founder meets on their second time through: re-runs, paused runs, early commands.

Driven through the real flows and content (as a founder on the console would), with the
stored answers read back from the SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, answer_onboarding, last_question, say

FUNDING = [
    ("stage", None),  # shared with the profile: asked to confirm it
    ("cash", "450k"),
    ("burn", "55k"),
    ("compute_spend", "20k"),
    ("raise_amount", "0"),
    ("funding_channels", "1"),
    ("investor_updates", "1"),
    ("milestones", "1"),
    ("risks", "1"),
]


@pytest.fixture
def coach(full_coach: Coach) -> Coach:
    """Every real flow: these walk the profile, team, funding and the weekly update."""
    return full_coach


def _latest(db_path: Path, flow: str, step: str) -> object:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT value_json FROM answers WHERE flow_id = ? AND step_id = ? ORDER BY id DESC",
            (flow, step),
        ).fetchone()
    return json.loads(row[0]) if row else None


def _count(db_path: Path, flow: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM answers WHERE flow_id = ?", (flow,)).fetchone()[
            0
        ]


async def _funding(coach: Coach, stage_typed: str) -> None:
    replies = await say(coach, ADA, "/funding")
    for step, text in FUNDING:
        assert last_question(replies).step == step, replies
        replies = await say(coach, ADA, stage_typed if text is None else text)
    assert last_question(replies).type == "review"
    await say(coach, ADA, "1")


async def test_typed_one_on_the_stage_of_a_rerun_is_the_first_option_shown(
    coach: Coach, db_path: Path
) -> None:
    """The screen lists the flow's options only; 1 is the first of them, as shown."""
    await answer_onboarding(coach, ADA)  # stage 2: prototype
    replies = await say(coach, ADA, "/funding")
    question = last_question(replies)
    assert question.step == "stage"
    assert [o.id for o in question.options] == ["idea", "prototype", "mvp", "revenue", "scaling"]
    assert [o.id for o in question.options if o.selected] == ["prototype"]
    assert question.keep_label is not None
    assert question.keep_label.startswith("Keep: Prototype")
    assert question.can_skip
    await say(coach, ADA, "3")
    assert _latest(db_path, "funding", "stage") == "mvp"  # 3 is the third option shown


async def test_skip_or_keep_keeps_the_stage(coach: Coach, db_path: Path) -> None:
    """/skip and the words keep / 保持 keep what the profile says."""
    await answer_onboarding(coach, ADA)
    await say(coach, ADA, "/funding")
    await say(coach, ADA, "/skip")
    assert _latest(db_path, "funding", "stage") == "prototype"
    await say(coach, ADA, "/back")
    replies = await say(coach, ADA, "保持")
    assert all(r.type != "error" for r in replies), replies
    assert last_question(replies).step == "cash"
    assert _latest(db_path, "funding", "stage") == "prototype"


async def test_a_rerun_offers_every_earlier_answer(coach: Coach, db_path: Path) -> None:
    """The monthly funding check-up: /skip through and every answer is the same as before."""
    await answer_onboarding(coach, ADA)
    await _funding(coach, "2")
    first = _count(db_path, "funding")
    replies = await say(coach, ADA, "/funding")
    assert any("Each earlier answer is offered again" in r.text for r in replies)
    cash = None
    for step, _ in FUNDING:
        question = last_question(replies)
        assert question.step == step
        assert question.can_skip, step
        if step == "cash":
            cash = question
        replies = await say(coach, ADA, "/skip")
    assert cash is not None
    assert "Your answer so far: 450,000." in (cash.hint or "")
    assert last_question(replies).type == "review"
    assert _count(db_path, "funding") == 2 * first
    assert _latest(db_path, "funding", "burn") == 55000
    assert _latest(db_path, "funding", "funding_channels") == ["angel"]


async def test_a_rerun_number_for_a_new_value_is_taken(coach: Coach, db_path: Path) -> None:
    """Typing a new amount on a re-run replaces the offered one."""
    await answer_onboarding(coach, ADA)
    await _funding(coach, "2")
    await say(coach, ADA, "/funding")
    await say(coach, ADA, "/skip")
    await say(coach, ADA, "300k")
    assert _latest(db_path, "funding", "cash") == 300000


@pytest.mark.parametrize("command", ["/team", "/funding", "/marketing", "/update"])
async def test_a_flow_before_onboarding_finishes_the_profile_first(
    coach: Coach, command: str
) -> None:
    """No 'something went wrong': the coach says why and resumes the profile."""
    replies = await answer_onboarding(coach, ADA, upto=3)
    replies = await say(coach, ADA, command)
    assert all(r.type != "error" for r in replies), replies
    assert "let's finish “Your profile” first" in replies[0].text
    assert last_question(replies).step == "stage"  # where onboarding was


async def test_a_menu_tap_before_onboarding_finishes_the_profile_first(coach: Coach) -> None:
    """Picking Funding from /menu mid-onboarding does the same."""
    await answer_onboarding(coach, ADA, upto=2)
    await say(coach, ADA, "/menu")
    replies = await say(coach, ADA, "3")
    assert all(r.type != "error" for r in replies), replies
    assert last_question(replies).step == "pitch"


async def test_cancel_mid_funding_then_resume_keeps_the_cash(coach: Coach, db_path: Path) -> None:
    """The finding's repro: the cash typed before /cancel is still there on resume."""
    await answer_onboarding(coach, ADA)
    await say(coach, ADA, "/funding")
    await say(coach, ADA, "/skip")
    await say(coach, ADA, "450k")
    replies = await say(coach, ADA, "/cancel")
    menu = last_question(replies)
    assert any(o.label.startswith("Funding: paused at question 3 of") for o in menu.options)
    replies = await say(coach, ADA, "/funding")
    assert last_question(replies).step == "burn"
    await say(coach, ADA, "/back")
    replies = await say(coach, ADA, "/skip")
    assert last_question(replies).step == "burn"
    assert _latest(db_path, "funding", "cash") == 450000


async def test_not_asked_is_not_skipped_in_the_changes(coach: Coach) -> None:
    """A question the earlier run asked and this one did not is '(not asked)'."""
    await answer_onboarding(coach, ADA)
    await _funding(coach, "2")
    replies = await say(coach, ADA, "/funding")
    while (question := last_question(replies)).type != "review":
        if question.step == "raise_amount":  # now raising: instrument, pipeline... are asked
            replies = await say(coach, ADA, "250k")
        else:
            replies = await say(coach, ADA, "/skip" if question.can_skip else "1")
    replies = await say(coach, ADA, "1")
    changes = next(r.text for r in replies if r.text.startswith("Since last time"))
    assert "(skipped)" not in changes
    assert "(not asked) → " in changes


async def test_a_stage_confirmed_in_funding_is_the_profile_stage_in_exports(
    coach: Coach,
) -> None:
    """The stage changed in /funding is shared back: the export's profile says so too."""
    await answer_onboarding(coach, ADA)  # stage: prototype
    await _funding(coach, "3")  # mvp
    await say(coach, ADA, "/export")
    replies = await say(coach, ADA, "1")  # Markdown
    document = next(r.file for r in replies if r.file is not None)
    text = document.data.decode()
    profile = text[: text.index("Funding")]
    assert "Pilot or MVP" in profile
    assert "Prototype" not in profile


async def test_a_forged_export_tap_without_the_export_menu_makes_no_file(coach: Coach) -> None:
    """Audit #20: an export button nobody was shown (mid-onboarding) writes nothing."""
    from bot.models import Tapped

    await answer_onboarding(coach, ADA, upto=2)
    replies = await coach.handle(ADA, Tapped(run_id=None, step="export", indexes=(0,)))
    assert all(r.file is None for r in replies)
    assert last_question(replies).step == "pitch"
