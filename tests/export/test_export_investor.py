"""The investor-update draft is safe to send (issue #13, finding B13).

Cash, burn and runway when the founder gave them; no section padded with "nothing
recorded"; the founder's private notes (weekly obstacles) flagged and left out on request;
goals labelled with their week; a change only between updates a week or more apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.export.investor import investor_update
from bot.export.summary import Summary, WeeklyUpdate
from bot.rendering import Renderer, Target
from bot.storage import Database
from tests.checkins.test_checkins_dispatch import ADA, commit_after_funding, onboard
from tests.checkins.test_checkins_weekly import answer_update
from tests.coach.helpers import say

# renderer fixture shared with the documents' tests
from tests.export.test_export_documents import (
    TODAY,
    make_summary,
    renderer,  # noqa: F401
    words_for,
)

WORDS = {
    "en": {
        "cash": "- Cash in the bank: $450,000 (as of 2026-03-04)",
        "burn": "- Net burn: $55,000 a month",
        "runway": "- Runway: about 8.2 months at that burn",
        "padding": ["Nothing recorded", "No key metric"],
        "highlights": "**Highlights**",
        "lowlights": "**Lowlights**",
        "goals": "**Goals for the week after 2026-03-23**",
    },
    "zh": {
        "cash": "- 账上现金：45万美元（截至 2026-03-04）",
        "burn": "- 每月净烧钱：5.5万美元",
        "runway": "- 现金跑道：按这个速度约 8.2 个月",
        "padding": ["暂无记录", "没有记录关键指标"],
        "highlights": "**亮点**",
        "lowlights": "**问题与挑战**",
        "goals": "**2026-03-23 之后一周的目标**",
    },
}
LOCALES = ["en", "zh"]


def key_numbers(**numbers: Any) -> Any:
    """Cash, burn and runway (imported here, so the module loads on older code and fails)."""
    from bot.export.summary import KeyNumbers

    return KeyNumbers(**numbers)


def with_money(locale: str) -> Summary:
    summary = make_summary(locale)
    summary.currency = "USD"
    summary.key_numbers = key_numbers(
        as_of="2026-03-04", cash=450_000, burn=55_000, runway_months=450_000 / 55_000
    )
    return summary


@pytest.mark.parametrize("locale", LOCALES)
def test_cash_burn_and_runway_are_key_numbers(renderer: Renderer, locale: str) -> None:  # noqa: F811
    draft = investor_update(with_money(locale), words_for(renderer, locale), today=TODAY)
    assert draft is not None
    lines = draft.splitlines()
    expected = WORDS[locale]
    at = lines.index(expected["cash"])
    assert lines[at : at + 3] == [expected["cash"], expected["burn"], expected["runway"]]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_funding_numbers_no_lines_about_them(renderer: Renderer, locale: str) -> None:  # noqa: F811
    draft = investor_update(make_summary(locale), words_for(renderer, locale), today=TODAY)
    assert draft is not None
    assert WORDS[locale]["cash"][2:6] not in draft


@pytest.mark.parametrize("locale", LOCALES)
def test_empty_sections_are_left_out_not_padded(renderer: Renderer, locale: str) -> None:  # noqa: F811
    """One update with only next week's goals: no highlights, lowlights or metric to invent."""
    summary = make_summary(locale)
    summary.weekly_updates = [WeeklyUpdate(date="2026-03-23", goals_next=["Sign the pilot"])]
    words = words_for(renderer, locale)
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    for padding in WORDS[locale]["padding"]:
        assert padding not in draft
    assert WORDS[locale]["highlights"] not in draft
    assert WORDS[locale]["lowlights"] not in draft
    assert f"**{words('investor.headline')}**" not in draft
    assert "- Sign the pilot" in draft
    # with the funding run's numbers, the key numbers are back
    summary.key_numbers = key_numbers(as_of="2026-03-04", cash=450_000, burn=55_000)
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    assert f"**{words('investor.headline')}**" in draft


@pytest.mark.parametrize("locale", LOCALES)
def test_private_notes_can_be_left_out(renderer: Renderer, locale: str) -> None:  # noqa: F811
    summary = make_summary(locale)
    from bot.export.investor import private_notes

    words = words_for(renderer, locale)
    assert private_notes(summary, TODAY) == ["OBSTACLE", "Hiring is slow"]
    full = investor_update(summary, words, today=TODAY)
    public = investor_update(summary, words, today=TODAY, private=False)
    assert full is not None
    assert public is not None
    assert "- OBSTACLE" in full
    assert "OBSTACLE" not in public
    assert "Hiring is slow" not in public
    assert WORDS[locale]["lowlights"] in public  # the dropped goal is still there
    assert words("investor.dropped", goal="Old plan") in public
    summary.weekly_updates[2].goals_dropped = []
    public = investor_update(summary, words, today=TODAY, private=False)
    assert public is not None
    assert WORDS[locale]["lowlights"] not in public  # and with nothing else, no section


@pytest.mark.parametrize("locale", LOCALES)
def test_goals_are_labelled_with_their_week(renderer: Renderer, locale: str) -> None:  # noqa: F811
    draft = investor_update(make_summary(locale), words_for(renderer, locale), today=TODAY)
    assert draft is not None
    lines = draft.splitlines()
    at = lines.index(WORDS[locale]["goals"])
    assert lines[at + 1 : at + 3] == ["- Close the seed round", "- Hire the ML engineer"]
    assert "next month" not in draft
    assert "下月目标" not in draft


def metric_updates(*days_values: tuple[str, float]) -> list[WeeklyUpdate]:
    return [
        WeeklyUpdate(date=day, metric_name="Paying firms", metric_value=value)
        for day, value in days_values
    ]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("updates", "shown"),
    [
        # two updates minutes apart: the second corrects the first, no change is claimed
        ((("2026-03-23", 3), ("2026-03-23", 2)), None),
        # five days apart: not yet a week, no change
        ((("2026-03-18", 3), ("2026-03-23", 2)), None),
        # a week apart: a change
        ((("2026-03-16", 3), ("2026-03-23", 2)), "2026-03-16"),
        # same day twice, then a week later: the change is from the corrected value
        ((("2026-03-09", 9), ("2026-03-09", 4), ("2026-03-16", 6)), "2026-03-09"),
    ],
)
def test_a_change_needs_two_updates_a_week_apart(
    renderer: Renderer,  # noqa: F811
    locale: str,
    updates: tuple[tuple[str, float], ...],
    shown: str | None,
) -> None:
    summary = make_summary(locale)
    summary.weekly_updates = metric_updates(*updates)
    words = words_for(renderer, locale)
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    last = updates[-1][1]
    if shown is None:
        assert f"- {words('investor.metric_single', metric='Paying firms', value=str(last))}" in (
            draft.splitlines()
        )
        assert "→" not in draft
    else:
        first = next(v for d, v in reversed(updates) if d == shown)
        assert f"{first:g} → {last:g}" in draft
        assert shown in draft
    if updates[0][0] == "2026-03-09":
        assert "+2" in draft  # 4 (the correction) → 6, not 9 → 6


# --- through the coach: the warning and the version without private notes -------------------


@pytest.fixture
def coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every flow, on either backend (the suite's ``db``)."""
    return Coach(db, real_catalog, clock)


async def _month(coach: Coach, clock: FrozenClock, obstacle: str) -> None:
    await onboard(coach)
    await commit_after_funding(coach)  # cash 100k, burn 50k: two months of runway
    await say(coach, ADA, "/menu")
    week = {"metric_name": "Paying firms", "morale": "3", "goals_next": "Close one pilot",
            "weekday": "mon", "hour": "h09"}  # fmt: skip
    await answer_update(coach, {**week, "metric_value": "3", "obstacle": obstacle,
                                "obstacle_kind": "people"})  # fmt: skip
    clock.advance(timedelta(days=7))
    await answer_update(coach, {**week, "metric_name": "keep", "metric_value": "5",
                                "obstacle": "/skip", "goals_done": "1",
                                "goals_carry": "none"})  # fmt: skip


async def test_the_draft_warns_about_private_notes_and_offers_a_version_without(
    coach: Coach, clock: FrozenClock
) -> None:
    await _month(coach, clock, "cofounder fight ongoing")
    replies = await say(coach, ADA, "/export")
    labels = [o.label for o in replies[-1].options]
    assert "Investor-update draft, without my private notes" in labels
    replies = await say(coach, ADA, "investor")
    *_, warning, draft = (r.text for r in replies)  # after what the draft still lacks
    assert "quote the obstacles from your weekly updates" in warning
    assert "cofounder fight ongoing" in draft
    assert "Cash in the bank: 100,000" in draft
    assert "Net burn: 50,000 a month" in draft
    assert "Runway: about 2 months at that burn" in draft
    assert "Paying firms: 3 → 5 since" in draft
    assert "Nothing recorded" not in draft

    await say(coach, ADA, "/export")
    replies = await say(coach, ADA, str(len(labels)))  # the last option, by its number
    draft = replies[-1].text
    assert not any("quote the obstacles" in r.text for r in replies)
    assert "cofounder fight ongoing" not in draft
    assert "Cash in the bank: 100,000" in draft


async def test_no_warning_without_private_notes(coach: Coach, clock: FrozenClock) -> None:
    await _month(coach, clock, "/skip")
    await say(coach, ADA, "/export")
    replies = await say(coach, ADA, "investor")
    assert not any("quote the obstacles" in r.text for r in replies)
    assert "Investor update" in replies[-1].text


def test_the_drafts_say_the_same_in_chinese(renderer: Renderer) -> None:  # noqa: F811
    """The warning and the option exist in zh, in Chinese only."""
    warning = renderer.ui("exporting.private_notes", "zh", Target.PLAIN)
    option = renderer.ui("exporting.investor_public", "zh", Target.PLAIN)
    assert "问题与挑战" in warning
    assert option in warning
    assert "（" in option


# ---------------------------------------------------------------- before any weekly update


@pytest.mark.parametrize("locale", LOCALES)
def test_a_draft_without_weekly_updates_uses_what_there_is(
    renderer: Renderer,  # noqa: F811
    locale: str,
) -> None:
    """Founder trial: no /update yet, but cash and burn are known: they make a draft."""
    from bot.export.investor import missing

    summary = with_money(locale)
    summary.weekly_updates = []
    draft = investor_update(summary, words_for(renderer, locale), today=TODAY)
    assert draft is not None
    assert WORDS[locale]["cash"] in draft.splitlines()
    assert WORDS[locale]["goals"][:4] not in draft  # no goals to label with a week
    assert TODAY.isoformat() in draft.splitlines()[1]  # dated today, not a week of updates
    assert missing(summary, TODAY) == ["update", "business_model", "product_tech"]


def test_nothing_at_all_makes_no_draft(renderer: Renderer) -> None:  # noqa: F811
    summary = make_summary("en")
    summary.weekly_updates = []
    assert investor_update(summary, words_for(renderer, "en"), today=TODAY) is None


@pytest.mark.parametrize(
    ("locale", "gaps", "cash"),
    [
        ("en", ["Not in it yet:", "/update: this week's key metric"], "Cash in the bank: 100,000"),
        ("zh", ["还缺这些：", "/update：本周的关键指标"], "账上现金：10万"),
    ],
)
async def test_the_coach_drafts_before_the_first_update_and_says_what_is_missing(
    coach: Coach, locale: str, gaps: list[str], cash: str
) -> None:
    await onboard(coach)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    await commit_after_funding(coach)
    await say(coach, ADA, "/menu")
    await say(coach, ADA, "/export")
    replies = await say(coach, ADA, "5")  # the investor draft
    said, draft = (r.text for r in replies)
    for words in gaps:
        assert words in said
    assert "/funding" not in said  # it has those numbers
    assert cash in draft
    assert "/update" not in draft  # what is missing is said beside the draft, never in it
