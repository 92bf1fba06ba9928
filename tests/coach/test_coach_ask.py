"""/ask through the real Coach and SQLite, and the optional model answer against a fake
OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.adapters.telegram.keyboards import ButtonWords, decode, keyboard
from bot.coach import Coach
from bot.knowledge import LlmConfig
from bot.models import Tapped
from bot.rendering import Target
from bot.storage import Database, facts, llm_usage, users
from tests.coach.helpers import ADA, answer_onboarding, say

KEY = "sk-test-SECRET-never-logged"


@pytest.fixture
def coach(db: Database, real_catalog: Any, clock: Any) -> Coach:
    return Coach(db, real_catalog, clock)


async def test_ask_with_a_question_answers_with_sources_and_a_way_deeper(coach: Coach) -> None:
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/ask how much equity should my cofounder get?")
    answer = replies[0]
    assert answer.step == "ask"
    assert "Splitting equity between cofounders" in answer.text
    assert "From “" in answer.text
    assert "/team" in answer.text
    assert [o.id for o in answer.options] == ["team"]


async def test_ask_alone_takes_the_next_message_as_the_question(coach: Coach) -> None:
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/ask")
    assert "What would you like to know?" in replies[-1].text
    replies = await say(coach, ADA, "we have 7 months of cash left, when do I start fundraising")
    assert "runway" in replies[0].text.lower()
    # no longer waiting for a question: words nothing answers get the menu, not "I don't know"
    replies = await say(coach, ADA, "my dog ate the printer again")
    assert all(r.step != "ask" for r in replies)
    assert "You wrote" in replies[-1].text


async def test_an_unrelated_question_gets_i_dont_know(coach: Coach) -> None:
    await answer_onboarding(coach, ADA)
    replies = await say(coach, ADA, "/ask best pizza recipe with a thin crust")
    assert replies[0].text.startswith("I don't know that one.")
    assert not replies[0].options


async def test_ask_mid_conversation_asks_the_current_question_again(coach: Coach) -> None:
    await answer_onboarding(coach, ADA, upto=2)
    replies = await say(coach, ADA, "/ask should we offer a free tier")
    assert "free" in replies[0].text.lower()
    assert replies[-1].step == "pitch"


async def test_a_chinese_question_is_answered_in_chinese(coach: Coach) -> None:
    await answer_onboarding(coach, ADA)
    await say(coach, ADA, "/lang zh")
    replies = await say(coach, ADA, "/ask 联合创始人股权怎么分")
    assert "联合创始人之间怎么分股权" in replies[0].text
    assert "出自《" in replies[0].text


async def test_an_english_question_from_a_chinese_founder_is_answered_in_chinese(
    coach: Coach,
) -> None:
    """Founder trial: "selling in the US" typed in English by a founder who reads Chinese."""
    await answer_onboarding(coach, ADA)
    await say(coach, ADA, "/lang zh")
    replies = await say(coach, ADA, "/ask we are selling in the US, which privacy laws apply")
    assert "美国" in replies[0].text
    assert "出自《" in replies[0].text


async def test_the_go_deeper_button_opens_the_conversation(coach: Coach) -> None:
    await answer_onboarding(coach, ADA)
    answer = (await say(coach, ADA, "/ask how long should my runway be"))[0]
    markup = keyboard(answer, ButtonWords("b", "s", "d"))
    assert markup is not None
    data = markup.inline_keyboard[0][0].callback_data
    assert data == "a:funding"
    tap = decode(data)
    assert tap == Tapped(run_id=None, step="ask", option_ids=("funding",))
    replies = await coach.handle(ADA, tap)
    assert replies[-1].flow == "funding"
    forged = await coach.handle(ADA, Tapped(run_id=None, step="ask", option_ids=("checkin",)))
    assert forged[0].type == "error"  # not a menu conversation: a stale button


async def test_the_founders_stage_decides_which_debt_passage(coach: Coach, db: Database) -> None:
    await answer_onboarding(coach, ADA)  # stage: prototype
    replies = await say(coach, ADA, "/ask can we get a bank loan?")
    assert "Why debt rarely works before revenue" in replies[0].text
    assert "Bank loans and debt for an early AI startup" not in replies[0].text


# ------------------------------------------------------------ the optional model


class FakeModel:
    """An OpenAI-compatible /chat/completions on 127.0.0.1 that says what it is told to."""

    def __init__(self) -> None:
        self.reply: str = ""
        self.delay = 0.0
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.auth.append(request.headers.get("Authorization", ""))
        await asyncio.sleep(self.delay)
        body = {"choices": [{"message": {"role": "assistant", "content": self.reply}}]}
        return web.json_response(body, status=self.status)


@pytest.fixture
async def model() -> AsyncIterator[tuple[FakeModel, str]]:
    fake = FakeModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield fake, f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def _llm_coach(db: Database, catalog: Any, clock: Any, url: str, **kw: Any) -> Coach:
    config = LlmConfig(base_url=url, api_key=SecretStr(KEY), model="fake", **kw)
    return Coach(db, catalog, clock, llm=config)


async def test_a_grounded_model_answer_replaces_the_passages(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fake, url = model
    coach = _llm_coach(db, real_catalog, clock, url)
    await answer_onboarding(coach, ADA)
    fake.reply = "Split by what each of you brings from now on [team-equity-split]."
    caplog.set_level(logging.DEBUG)
    replies = await say(coach, ADA, "/ask how much equity should my cofounder get?")
    assert replies[0].text.startswith("Split by what each of you brings")
    assert "[team-equity-split] Splitting equity between cofounders" in replies[0].text
    assert [o.id for o in replies[0].options] == ["team"]
    sent = fake.requests[0]["messages"][1]["content"]
    assert "[team-equity-split]" in sent
    assert "Acme AI" in sent
    assert "Ada" not in sent
    assert fake.auth == [f"Bearer {KEY}"]
    assert KEY not in caplog.text
    async with db.reading() as conn:  # never a fact; the day's count is kept
        user = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
        assert user is not None
        known = await facts.load(conn, user.id)
        assert all("Split by" not in json.dumps(v) for v in known.values())
        assert await llm_usage.used(conn, user.id, clock.now().date()) == 1


@pytest.mark.parametrize(
    "reply",
    [
        "No citations at all.",
        "Give everyone 25% [made-up-id].",
        "Mixed [team-equity-split] and [funding-runway].",
    ],
)
async def test_an_answer_citing_what_was_not_retrieved_is_dropped(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any, reply: str
) -> None:
    fake, url = model
    coach = _llm_coach(db, real_catalog, clock, url)
    await answer_onboarding(coach, ADA)
    fake.reply = reply
    replies = await say(coach, ADA, "/ask how much equity should my cofounder get?")
    assert "**" not in replies[0].text
    assert "Splitting equity between cofounders" in replies[0].text
    assert reply not in replies[0].text


async def test_a_slow_or_failing_model_leaves_the_passages(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any
) -> None:
    fake, url = model
    coach = _llm_coach(db, real_catalog, clock, url, timeout=0.3)
    await answer_onboarding(coach, ADA)
    fake.reply, fake.delay = "Late [team-equity-split].", 2.0
    replies = await say(coach, ADA, "/ask how much equity should my cofounder get?")
    assert "Late" not in replies[0].text
    assert "Splitting equity" in replies[0].text
    fake.delay, fake.status = 0.0, 500
    replies = await say(coach, ADA, "/ask how much equity should my cofounder get?")
    assert "Splitting equity" in replies[0].text


async def test_the_daily_cap_stops_model_calls(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any
) -> None:
    fake, url = model
    coach = _llm_coach(db, real_catalog, clock, url, daily_cap=2)
    await answer_onboarding(coach, ADA)
    fake.reply = "Vest over four years [team-vesting]."
    for _ in range(3):
        replies = await say(coach, ADA, "/ask my cofounder might leave, what about his shares")
    assert len(fake.requests) == 2
    assert "Vesting protects the founders who stay" in replies[0].text  # passages again
    unrelated = await say(coach, ADA, "/ask best pizza recipe with a thin crust")
    assert unrelated[0].text.startswith("I don't know")
    assert len(fake.requests) == 2


async def test_the_days_count_goes_with_the_founder(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any
) -> None:
    fake, url = model
    coach = _llm_coach(db, real_catalog, clock, url)
    await answer_onboarding(coach, ADA)
    fake.reply = "Vest over four years [team-vesting]."
    await say(coach, ADA, "/ask my cofounder might leave, what about his shares")
    async with db.reading() as conn:
        user = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
        assert user is not None
        assert await llm_usage.used(conn, user.id, clock.now().date()) == 1
    await say(coach, ADA, "/delete_my_data")
    await say(coach, ADA, "1")
    async with db.reading() as conn:
        assert await llm_usage.used(conn, user.id, clock.now().date()) == 0


async def test_menu_free_text_can_be_handed_to_ask(coach: Coach, db: Database) -> None:
    """The hook the menu's free text uses: one call, the same answer as /ask."""
    await answer_onboarding(coach, ADA)
    async with db.transaction() as conn:
        user = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
        assert user is not None
        from bot.coach.service import _After, _Turn

        turn = _Turn(conn, user, coach._presenter(user), [], after=_After(), who=ADA)
        assert await coach.answer_question(turn, "how should I price for accounting firms?")
        assert "Pricing an AI product" in turn.replies[0].text
        turn.replies.clear()
        assert not await coach.answer_question(turn, "what is the capital of Australia")
        assert turn.replies[0].text.startswith("I don't know")


async def test_the_models_words_are_escaped_for_telegram(
    model: tuple[FakeModel, str], db: Database, real_catalog: Any, clock: Any
) -> None:
    fake, url = model
    config = LlmConfig(base_url=url, api_key=SecretStr(KEY), model="fake")
    coach = Coach(db, real_catalog, clock, target=Target.HTML, llm=config)
    await answer_onboarding(coach, ADA)
    fake.reply = '<a href="http://evil">Vest</a> & keep four years [team-vesting].'
    replies = await say(coach, ADA, "/ask my cofounder might leave, what about his shares")
    assert "&lt;a href=" in replies[0].text
    assert "<a href" not in replies[0].text
    assert "&amp; keep four years" in replies[0].text


async def test_a_button_after_ask_alone_drops_the_question(coach: Coach) -> None:
    replies = await answer_onboarding(coach, ADA, upto=3)
    stage = replies[-1]
    assert stage.step == "stage"
    await say(coach, ADA, "/ask")
    tapped = await coach.handle(ADA, Tapped(run_id=stage.run_id, step="stage", indexes=(0,)))
    assert tapped[-1].step == "sector"
    replies = await say(coach, ADA, "how should I price for accounting firms?")
    assert all(r.step != "ask" for r in replies)  # taken as an answer to the sector question
