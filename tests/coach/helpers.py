"""Small helpers for driving a Coach in tests."""

from __future__ import annotations

from bot.coach import Coach
from bot.models import OutMessage, Said, Tapped, UserRef

ADA = UserRef(channel="console", external_id="ada", display_name="Ada")
BOB = UserRef(channel="console", external_id="bob", display_name="Bob")

ONBOARDING_ANSWERS = [
    ("name", "Ada"),
    ("startup", "Acme AI"),
    ("pitch", "Contract review for small law firms, on an open model."),
    ("stage", "2"),
    ("sector", "vertical_ai"),
    ("team_size", "4"),
    ("timezone", "Berlin"),
    ("language", "English"),
]


async def say(coach: Coach, who: UserRef, text: str) -> list[OutMessage]:
    return await coach.handle(who, Said(text))


async def tap(
    coach: Coach, who: UserRef, run_id: int | None, step: str, *ids: str
) -> list[OutMessage]:
    return await coach.handle(who, Tapped(run_id=run_id, step=step, option_ids=ids))


def last_question(replies: list[OutMessage]) -> OutMessage:
    asks = [r for r in replies if r.type in ("question", "review", "menu")]
    assert asks, f"no question in {replies}"
    return asks[-1]


async def start(coach: Coach, who: UserRef) -> list[OutMessage]:
    """/start and agree to the privacy note: the replies end with the first question."""
    replies = await say(coach, who, "/start")
    assert replies[-1].step == "consent", replies
    return await say(coach, who, "1")


async def answer_onboarding(
    coach: Coach, who: UserRef, *, upto: int | None = None
) -> list[OutMessage]:
    """Start and answer onboarding (the first ``upto`` questions, or all and confirm)."""
    replies = await start(coach, who)
    for step, text in ONBOARDING_ANSWERS[:upto]:
        assert last_question(replies).step == step
        replies = await say(coach, who, text)
    if upto is None:
        assert last_question(replies).type == "review"
        replies = await say(coach, who, "1")
    return replies
