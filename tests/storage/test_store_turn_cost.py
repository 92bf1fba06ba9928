"""What a turn costs the database: one write transaction of a few statements, and reads that
neither wait for the writer nor hold it up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import Said, UserRef
from bot.storage import Database, users
from tests.coach.helpers import ONBOARDING_ANSWERS

ADA = UserRef(channel="telegram", external_id="42", display_name="Ada", language_code="en")
MAX_STATEMENTS = 8  # BEGIN and COMMIT included
BEGIN = {"sqlite": "BEGIN IMMEDIATE", "postgresql": "BEGIN"}
NEVER = 60  # seconds: only a bound on a failure (a turn stuck behind a read), not a timing


@pytest.fixture
async def statements(db: Database) -> AsyncIterator[list[str]]:
    seen: list[str] = []
    await db.trace(seen.append)
    yield seen
    await db.trace(None)


async def test_an_ordinary_turn_is_one_write_transaction_of_few_statements(
    coach: Coach, statements: list[str], backend: str
) -> None:
    """A founder answering a question mid-flow: one transaction, at most eight statements,
    with the update's exactly-once claim and the transcript in it."""
    await coach.handle(ADA, Said("/start"), once="tg:1")
    await coach.handle(ADA, Said("1"), once="tg:2")
    for number, (step, text) in enumerate(ONBOARDING_ANSWERS[:6], start=3):
        statements.clear()
        replies = await coach.handle(ADA, Said(text), once=f"tg:{number}")
        assert replies[-1].type == "question", (step, replies)
        begun = [s for s in statements if s.startswith("BEGIN")]
        assert begun == [BEGIN[backend]], statements
        assert statements[-1] == "COMMIT"
        assert len(statements) <= MAX_STATEMENTS, (step, statements)
        assert any(s.startswith("INSERT INTO processed_updates") for s in statements)
        assert any(s.startswith("INSERT INTO transcript") for s in statements)


async def test_a_turn_commits_while_a_read_is_open(coach: Coach, db: Database) -> None:
    """A long read (a /checkins list, /stats, a founder's language) holds no lock a turn needs."""
    await coach.handle(ADA, Said("/start"))
    async with db.reading() as conn:
        before = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
        assert before is not None
        assert not before.consented
        await asyncio.wait_for(coach.handle(ADA, Said("1")), NEVER)  # agreed and committed
        again = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
        assert again is not None
        assert not again.consented
    async with db.reading() as conn:
        after = await users.find(conn, channel=ADA.channel, external_id=ADA.external_id)
    assert after is not None
    assert after.consented


async def test_a_read_runs_while_a_turn_is_open(
    db: Database, onboarding_catalog: Catalog, clock: FrozenClock
) -> None:
    """A read does not wait for a turn that holds the write transaction."""
    async with db.transaction() as conn:
        await users.get_or_create(conn, channel="console", external_id="ada", now=clock.now())
    async with db.transaction() as conn:
        await users.update(conn, 1, clock.now(), locale="zh")
        await users.find(conn, channel="console", external_id="ada")  # sent, not committed

        async def read() -> str | None:
            async with db.reading() as reader:
                found = await users.find(reader, channel="console", external_id="ada")
            return found.locale if found else "missing"

        assert await asyncio.wait_for(read(), NEVER) is None  # the committed state
    coach = Coach(db, onboarding_catalog, clock)
    assert await coach.locale_of(UserRef(channel="console", external_id="ada")) == "zh"
