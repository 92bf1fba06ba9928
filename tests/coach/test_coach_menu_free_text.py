"""Words written at the menu are heard, never ignored.

A question the knowledge base answers is answered as ``/ask`` would (passages with their
sources and the conversation that goes deeper). Anything else is quoted back with what each
conversation is for: nothing is guessed from the words, the founder picks the conversation
that fits, from the same menu, in their language.
"""

from __future__ import annotations

from bot.coach import Coach
from bot.rendering import Target
from tests.coach.helpers import ADA, answer_onboarding, last_question, say


async def test_a_question_the_notes_answer_is_answered_at_the_menu(full_coach: Coach) -> None:
    await answer_onboarding(full_coach, ADA)
    replies = await say(full_coach, ADA, "How should I price for accounting firms?")
    assert replies[0].step == "ask"
    assert "From “" in replies[0].text  # where the passage comes from
    assert "marketing" in [o.id for o in replies[0].options]  # and the way deeper
    assert "You wrote" not in replies[0].text


async def test_words_nothing_answers_are_acknowledged_and_routed_by_choice(
    full_coach: Coach,
) -> None:
    replies = await answer_onboarding(full_coach, ADA)
    assert last_question(replies).type == "menu"
    replies = await say(full_coach, ADA, "my dog ate the printer again")
    menu = last_question(replies)
    assert menu.type == "menu"
    assert not [r for r in replies if r.type == "error"]
    assert "You wrote: “my dog ate the printer again”" in menu.text
    assert "/ask" in menu.text
    # what each conversation is for, to choose from
    assert "Marketing: Segment, positioning, pricing, channels" in menu.text
    assert "Funding: Runway, the raise, channels, investors and risks" in menu.text
    assert [o.id for o in menu.options] == [
        "onboarding",
        "team",
        "funding",
        "marketing",
        "business_model",
        "product_tech",
        "risk_legal",
        "update",
    ]
    replies = await say(full_coach, ADA, "4")  # the founder's pick opens that conversation
    assert last_question(replies).flow == "marketing"


async def test_chinese_free_text_at_the_menu(full_coach: Coach) -> None:
    await answer_onboarding(full_coach, ADA)
    await say(full_coach, ADA, "/lang zh")
    replies = await say(full_coach, ADA, "很多投资人说要先看到收入，我该怎么办？")
    assert replies[0].step == "ask"  # answered from the notes, in Chinese
    assert "出自《" in replies[0].text
    replies = await say(full_coach, ADA, "我家的猫今天又把打印机弄坏了")
    menu = last_question(replies)
    assert menu.type == "menu"
    assert "你写道：“我家的猫今天又把打印机弄坏了”" in menu.text
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
    replies = await say(full_coach, ADA, "<b>my dog</b> & the printer")
    text = last_question(replies).text
    assert "“&lt;b&gt;my dog&lt;/b&gt; &amp; the printer”" in text
    assert "<b>my dog</b>" not in text
