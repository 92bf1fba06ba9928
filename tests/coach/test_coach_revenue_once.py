"""A figure the founder already gave is confirmed, not asked afresh (founder trial, issue 1).

The business model gives monthly revenue (price x paying customers); product and technology
then offers that figure to confirm with /skip or keep, saying where it came from, and a
founder who never did the business model is asked as before (both languages).
"""

from __future__ import annotations

import pytest

from bot.coach import Coach
from tests.coach.helpers import ADA, last_question, say
from tests.coach.test_coach_recall import ONBOARDING, _answer, start

BUSINESS = {"revenue_model": "1", "payer": "2", "price": "800", "billing": "1",
            "serve_cost": "300", "acquisition_cost": "5000", "paying_customers": "5",
            "custom_share": "10", "demand_evidence": "2", "lenses": "1",
            "bubble_signs": "4"}  # fmt: skip
PRODUCT = {"approach": "2", "providers": "2", "data_assets": "2", "data_rights": "1",
           "feedback_loop": "2", "evaluation": "3", "moats": "2", "copy_threat": "2"}  # fmt: skip
FROM = {
    "en": "From what you told me in “Business model”: 4,000",
    "zh": "根据你在“商业模式”里的回答：4000",
}


async def _at_revenue(coach: Coach, locale: str, *, business: bool) -> list:
    await _answer(coach, await start(coach, ADA), ONBOARDING)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    if business:
        await _answer(coach, await say(coach, ADA, "/business_model"), BUSINESS)
        await say(coach, ADA, "/skip")  # no commitments
    replies = await say(coach, ADA, "/product_tech")
    while last_question(replies).step != "revenue":
        replies = await say(coach, ADA, PRODUCT[last_question(replies).step])
    return replies


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_revenue_from_the_business_model_is_offered_to_confirm(
    full_coach: Coach, locale: str
) -> None:
    question = last_question(await _at_revenue(full_coach, locale, business=True))
    assert "4" in (question.keep_label or "")
    assert FROM[locale] in (question.hint or "")
    replies = await say(full_coach, ADA, "/skip")
    assert last_question(replies).step == "compute_spend"
    replies = await say(full_coach, ADA, "1000")
    review = last_question(replies)
    assert review.type == "review"
    revenue = next(o.label for o in review.options if o.id == "revenue")
    assert "4,000" in revenue or "4000" in revenue


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_revenue_is_asked_when_nothing_gave_it(full_coach: Coach, locale: str) -> None:
    question = last_question(await _at_revenue(full_coach, locale, business=False))
    assert question.keep_label is None
    assert FROM[locale] not in (question.hint or "")
    replies = await say(full_coach, ADA, "/skip")
    assert replies[0].type == "error"
