"""Words written at the menu are heard: quoted back, with what each conversation is for.

Nothing is guessed from the words (no keyword routing): the founder picks the conversation
that fits, from the same menu, in their language.
"""

from __future__ import annotations

from bot.coach import Coach
from bot.rendering import Target
from tests.coach.helpers import ADA, answer_onboarding, last_question, say


async def test_a_question_at_the_menu_is_acknowledged_and_routed_by_choice(
    full_coach: Coach,
) -> None:
    replies = await answer_onboarding(full_coach, ADA)
    assert last_question(replies).type == "menu"
    replies = await say(full_coach, ADA, "How should I price for accounting firms?")
    menu = last_question(replies)
    assert menu.type == "menu"
    assert not [r for r in replies if r.type == "error"]
    assert "You wrote: “How should I price for accounting firms?”" in menu.text
    # what each conversation is for, to choose from
    assert "Marketing: Segment, positioning, pricing, channels" in menu.text
    assert "Funding: Runway, the raise, channels, investors and risks" in menu.text
    assert [o.id for o in menu.options] == ["onboarding", "team", "funding", "marketing", "update"]
    replies = await say(full_coach, ADA, "4")  # the founder's pick opens that conversation
    assert last_question(replies).flow == "marketing"


async def test_chinese_free_text_at_the_menu(full_coach: Coach) -> None:
    await answer_onboarding(full_coach, ADA)
    await say(full_coach, ADA, "/lang zh")
    replies = await say(full_coach, ADA, "很多投资人说要先看到收入，我该怎么办？")
    menu = last_question(replies)
    assert menu.type == "menu"
    assert "你写道：“很多投资人说要先看到收入，我该怎么办？”" in menu.text
    assert "融资：现金跑道、融资额" in menu.text
    assert not [r for r in replies if r.type == "error"]


async def test_long_free_text_is_quoted_short_and_a_bad_number_still_says_why(
    full_coach: Coach,
) -> None:
    await answer_onboarding(full_coach, ADA)
    replies = await say(full_coach, ADA, "word " * 100)
    assert "…”" in last_question(replies).text
    replies = await say(full_coach, ADA, "9")  # a number is a pick, not words: the error says why
    assert replies[0].type == "error"
    assert "You wrote" not in last_question(replies).text


async def test_free_text_is_escaped_in_telegram_html(full_coach: Coach) -> None:
    full_coach.target = Target.HTML
    await answer_onboarding(full_coach, ADA)
    replies = await say(full_coach, ADA, "<b>pricing</b> & packaging?")
    text = last_question(replies).text
    assert "“&lt;b&gt;pricing&lt;/b&gt; &amp; packaging?”" in text
    assert "<b>pricing</b>" not in text
