"""Several workers on one database: the ledger-ordered drain (SCALE.md invariants 1-4).

Two real PTB Applications in the drain mode share one database, each behind its own webhook
server on 127.0.0.1: on PostgreSQL each has its own pool and takes the server's advisory
locks, as two worker processes do; on SQLite they share one set of asyncio founder locks
(the same ordering code, one process). The test plays Telegram and the load balancer: it posts each
update to a worker with the secret, and a founder's next update only after the previous one
got its 200, as Telegram does.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import tornado.httpserver
import tornado.netutil
from telegram.ext import Application

from bot.adapters.telegram.application import build_application
from bot.adapters.telegram.drain import DRAIN_BACKLOG, DrainProcessor, LedgerDrain
from bot.adapters.telegram.health import Worker as Health
from bot.adapters.telegram.webhook import SECRET_HEADER, webhook_app
from bot.clock import SystemClock, to_text
from bot.config import Settings
from bot.engine import Catalog
from bot.models import Said, UserRef
from bot.storage import Database, ledger, outbox
from bot.storage.locks import LocalLocks, Locks
from tests.conftest import need_postgres
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, Founder, button, rows, until

SECRET = "workers-secret"


@pytest.fixture
async def shared(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Path | str, Locks | None]]:
    """The workers' database and founder locks: a SQLite file and asyncio locks shared by
    both Applications, or a PostgreSQL database whose advisory locks each one takes."""
    if backend == "sqlite":
        yield tmp_path / "bot.db", LocalLocks()
        return
    server = need_postgres(request)
    url = await server.create()
    try:
        yield url, None
    finally:
        await server.drop(url)


class Worker:
    """One Application in the drain mode behind its own webhook server."""

    def __init__(self, app: Application, url: str) -> None:
        self.app = app
        self.url = url

    @property
    def drain(self) -> LedgerDrain:
        drain = self.app.bot_data["drain"]
        assert isinstance(drain, LedgerDrain)
        return drain


@asynccontextmanager
async def worker(
    fake: FakeBotApi, db: Path | str, catalog: Catalog, locks: Locks | None
) -> AsyncIterator[Worker]:
    where = {"founder_coach_database_url": db} if isinstance(db, str) else {"founder_coach_db": db}
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_secret=SECRET,
        telegram_webhook_path="telegram",
        **where,  # type: ignore[arg-type]
    )
    app = build_application(settings, catalog, workers=True, locks=locks)
    assert isinstance(app.update_processor, DrainProcessor)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(
            webhook_app(app, settings, Health(app.bot_data["db"]))
        )
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        try:
            yield Worker(app, f"http://127.0.0.1:{port}/telegram")
        finally:
            server.stop()
            await app.stop()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)


async def post(session: aiohttp.ClientSession, target: Worker, update: dict[str, Any]) -> None:
    """Deliver one update as Telegram does: wait for the 200 (the update is stored)."""
    async with session.post(
        target.url, data=json.dumps(update), headers={
            SECRET_HEADER: SECRET, "Content-Type": "application/json"
        },
    ) as response:  # fmt: skip
        assert response.status == 200


async def deliver(
    fake: FakeBotApi, session: aiohttp.ClientSession, workers: list[Worker], start: int = 0
) -> int:
    """Post every update the fake holds, each to the next worker in turn; how many."""
    taken = fake.take_updates()
    for index, update in enumerate(taken):
        await post(session, workers[(start + index) % len(workers)], update)
    return len(taken)


def asked(founder: Founder) -> list[int]:
    """The onboarding questions (``(n/8)``) the founder received, in the order received."""
    found = (re.search(r"\((\d)/8\)", m.text or "") for m in founder.messages())
    return [int(match[1]) for match in found if match]


def unfinished(db: Path) -> int:
    return rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL")[0][0]


async def _consent(
    fake: FakeBotApi, session: aiohttp.ClientSession, workers: list[Worker], ada: Founder
) -> None:
    """/start on one worker, the consent tap on the other: the first question arrives."""
    fake.user_sends(ada.user_id, "/start", first_name=ada.name)
    await deliver(fake, session, workers)
    consent = await until(lambda: ada.messages())
    agree = consent[-1].buttons()[0]["text"]
    fake.user_taps(ada.user_id, consent[-1].message_id, button(consent[-1], agree))
    await deliver(fake, session, workers, start=1)
    await until(lambda: 1 in asked(ada))


async def test_one_founders_updates_over_two_workers_commit_and_reply_in_order(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """Three answers typed quickly, posted to alternate workers, the first reply slowed at
    Telegram: the answers are stored in update order and each question (the reply to
    update k) comes before the next (the reply to k+1)."""
    db, locks = shared
    ada = Founder(fake, 701)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        worker(fake, db, real_catalog, locks) as two,
        aiohttp.ClientSession() as session,
    ):
        workers = [one, two]
        await _consent(fake, session, workers, ada)
        fake.delay("sendMessage", 0.5, times=1)  # the reply to the first answer is slow
        for index, text in enumerate(["Ada", "Acme", "We review contracts for law firms."]):
            fake.user_sends(ada.user_id, text, first_name=ada.name)
            await deliver(fake, session, workers, start=index)  # alternate workers
        await until(lambda: 4 in asked(ada))
        await until(lambda: unfinished(db) == 0)
    stored = rows(db, "SELECT step_id, value_json FROM answers ORDER BY id")
    assert stored == [
        ("name", '"Ada"'),
        ("startup", '"Acme"'),
        ("pitch", '"We review contracts for law firms."'),
    ]
    assert asked(ada) == [1, 2, 3, 4]  # once each, in order


async def test_a_founders_backlog_is_drained_by_whichever_worker_holds_the_lock(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """Two founders, their updates interleaved over two workers, all posted before any
    reply: each founder's answers are stored in the order typed, and every ledger row is
    handled exactly once (one processed-update record each)."""
    db, locks = shared
    ada, bo = Founder(fake, 702, name="Ada"), Founder(fake, 703, name="Bo")
    async with (
        worker(fake, db, real_catalog, locks) as one,
        worker(fake, db, real_catalog, locks) as two,
        aiohttp.ClientSession() as session,
    ):
        workers = [one, two]
        await _consent(fake, session, workers, ada)
        await _consent(fake, session, workers, bo)
        fake.delay("sendMessage", 0.3, times=2)  # each founder's first reply is slow: a backlog
        for text in ("Name", "Startup", "Pitch of the startup."):
            for founder in (ada, bo):
                fake.user_sends(founder.user_id, f"{founder.name} {text}", first_name=founder.name)
        posted = await deliver(fake, session, workers)
        assert posted == 6
        for founder in (ada, bo):
            await until(lambda f=founder: 4 in asked(f))
        await until(lambda: unfinished(db) == 0)
    for name, user in (("Ada", 1), ("Bo", 2)):
        stored = rows(db, "SELECT value_json FROM answers WHERE user_id = ? ORDER BY id", user)
        assert [json.loads(v) for (v,) in stored] == [
            f"{name} Name", f"{name} Startup", f"{name} Pitch of the startup."
        ]  # fmt: skip
    ledger = rows(db, "SELECT count(*) FROM update_ledger")[0][0]
    processed = rows(db, "SELECT count(*) FROM processed_updates")[0][0]
    assert ledger == processed == 10  # 2 x (/start, consent, 3 answers): each handled once


async def test_a_dead_workers_updates_are_recovered_by_the_sweep(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """A worker stored an update (its 200 went out) and died before handling it: another
    worker's recovery sweep handles it, and the founder gets the next question."""
    db, locks = shared
    ada = Founder(fake, 704)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one], ada)
        await until(lambda: unfinished(db) == 0)  # the consent row's finish is written late
        fake.user_sends(ada.user_id, "Ada", first_name=ada.name)
        (update,) = fake.take_updates()
        # what the dead worker's put did before its 200
        await _store_as_dead_worker(one.app.bot_data["db"], update, ada.user_id)
        assert unfinished(db) == 1
        await until(lambda: 2 in asked(ada))
        await until(lambda: unfinished(db) == 0)
    assert rows(db, "SELECT step_id, value_json FROM answers") == [("name", '"Ada"')]


async def test_rows_stored_before_the_ledger_knew_founders_are_drained_in_order(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """Rows without a founder (stored by the single process before migration 9, or copied
    by ``db copy``) are given theirs from the update itself and drained oldest first; an
    unreadable one is marked handled."""
    db, locks = shared
    ada = Founder(fake, 705)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one], ada)
        await until(lambda: unfinished(db) == 0)
        fake.user_sends(ada.user_id, "Ada", first_name=ada.name)
        fake.user_sends(ada.user_id, "Lovelace Labs", first_name=ada.name)
        name, company = fake.take_updates()
        received = datetime.now(UTC) - timedelta(minutes=1)
        async with one.app.bot_data["db"].transaction() as conn:  # as the old process did
            for update in (name, company):
                await ledger.store(conn, update["update_id"], json.dumps(update), received)
            await ledger.store(conn, company["update_id"] + 1, "{not json", received)
        await until(lambda: unfinished(db) == 0)
        await until(lambda: 3 in asked(ada))
    assert rows(db, "SELECT step_id, value_json FROM answers ORDER BY id") == [
        ("name", '"Ada"'), ("startup", '"Lovelace Labs"')
    ]  # fmt: skip
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE founder IS NULL") == [(0,)]


async def test_replies_another_worker_kept_are_sent_by_a_live_one(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """A worker kept a reply Telegram did not take (the outbox) and died: a live worker,
    which knew nothing of it at its start, sends it within a few seconds."""
    db, locks = shared
    ada = Founder(fake, 706)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one], ada)
        async with one.app.bot_data["db"].transaction() as conn:  # what the dead one kept
            await outbox.add(
                conn, channel="telegram", external_id=str(ada.user_id), chat_id=ada.user_id,
                calls=[("message", "Kept while Telegram was down", None, None, None)],
                now=datetime.now(UTC) - timedelta(minutes=1), error="timed out",
            )  # fmt: skip
        await fake.wait_for_call(
            "sendMessage", chat_id=ada.user_id, text="Kept while Telegram was down", timeout=30
        )
        await until(lambda: rows(db, "SELECT count(*) FROM outbox") == [(0,)])


async def test_a_founder_flooding_a_worker_is_told_to_slow_down(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """105 messages of one founder waiting in the ledger at once: the first 100 are
    handled, the rest turned away, and the founder is told so once."""
    db, locks = shared
    ada = Founder(fake, 707)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one], ada)
        for index in range(DRAIN_BACKLOG + 5):
            fake.user_sends(ada.user_id, f"message {index}", first_name=ada.name)
        for update in fake.take_updates():
            await _store_as_dead_worker(one.app.bot_data["db"], update, ada.user_id)
        await until(lambda: unfinished(db) == 0, timeout=120)
        slow_down = await until(
            lambda: [m for m in ada.messages() if "faster than I can answer" in (m.text or "")]
        )
    assert len(slow_down) == 1
    assert f"first {DRAIN_BACKLOG} messages" in (slow_down[0].text or "")
    [(answered,)] = rows(db, "SELECT count(*) FROM transcript WHERE direction = 'in'")
    assert DRAIN_BACKLOG <= answered <= 2 + DRAIN_BACKLOG  # after /start and consent


async def test_a_turn_committed_but_not_sent_is_asked_again_after_recovery(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """The dead worker had committed the answer but not sent the reply: the sweep finds the
    answer stored, stores nothing twice, and asks the current question again."""
    db, locks = shared
    ada = Founder(fake, 705)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one], ada)
        await one.drain.stop()  # this worker "dies": it stores but no longer drains
        fake.user_sends(ada.user_id, "Ada", first_name=ada.name)
        await deliver(fake, session, [one])
        coach = one.app.bot_data["coach"]
        ((update_id,),) = rows(db, "SELECT update_id FROM update_ledger WHERE finished_at IS NULL")
        who = UserRef(channel="telegram", external_id=str(ada.user_id), display_name="Ada")
        await coach.handle(who, Said("Ada"), once=f"tg:{update_id}")  # committed, never sent
        await _age_ledger(one.app.bot_data["db"])
        before = len(ada.messages())
        async with worker(fake, db, real_catalog, locks):  # a live worker's sweep
            await until(lambda: unfinished(db) == 0)
            await until(lambda: len(ada.messages()) > before)
    assert rows(db, "SELECT step_id, value_json FROM answers") == [("name", '"Ada"')]
    assert asked(ada) == [1, 2]  # the current question, asked once it was not sent


async def _store_as_dead_worker(db: Database, update: dict[str, Any], founder: int) -> None:
    """The ledger row a worker commits before its 200, received a minute ago."""
    received = datetime.now(UTC) - timedelta(minutes=1)
    async with db.transaction() as conn:
        payload = json.dumps(update)
        await ledger.store(conn, update["update_id"], payload, received, founder=founder)


async def _age_ledger(db: Database) -> None:
    """Unfinished rows as if received a minute ago (their worker is long gone)."""
    received = to_text(datetime.now(UTC) - timedelta(minutes=1))
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE update_ledger SET received_at = ? WHERE finished_at IS NULL", (received,)
        )


async def test_a_worker_that_finds_its_update_handled_does_nothing(
    fake: FakeBotApi, shared: tuple[Path | str, Locks | None], real_catalog: Catalog
) -> None:
    """The second worker's drain, started for an update the first already handled in its
    loop, finds no row and sends nothing."""
    db, locks = shared
    ada = Founder(fake, 706)
    async with (
        worker(fake, db, real_catalog, locks) as one,
        worker(fake, db, real_catalog, locks) as two,
        aiohttp.ClientSession() as session,
    ):
        await _consent(fake, session, [one, two], ada)
        await until(lambda: unfinished(db) == 0)
        sent = len(fake.calls_of("sendMessage"))
        assert await two.drain.drain(ada.user_id) == 0
        assert await one.drain.drain(ada.user_id) == 0
        await asyncio.sleep(0.05)
        assert len(fake.calls_of("sendMessage")) == sent


def _message(update_id: int, user_id: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ada"}
    chat = {"id": user_id, "type": "private"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": user, "text": "x"}
    return {"update_id": update_id, "message": message}


async def _stored(db: Database, founder: int, *update_ids: int) -> None:
    """A founder's messages stored in the ledger, as a worker stores them before its 200."""
    async with db.transaction() as conn:
        for update_id in update_ids:
            payload = json.dumps(_message(update_id, founder))
            await ledger.store(conn, update_id, payload, datetime.now(UTC), founder=founder)


class SlowReleaseLocks(LocalLocks):
    """Founder locks whose release takes a moment, as PostgreSQL's unlock (a round trip)
    does; ``releasing`` is called while it is under way."""

    def __init__(self, releasing: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.releasing = releasing

    @asynccontextmanager
    async def founder(self, key: str | int) -> AsyncIterator[None]:
        async with super().founder(key):
            yield
            await self.releasing()


async def test_an_update_arriving_while_its_founders_lock_is_released_is_drained_at_once(
    db: Database,
) -> None:
    """Update 2 is stored, and its drain asked for, while the drain that handled update 1
    is letting the founder's lock go: the drain under way takes it, no recovery sweep (two
    seconds later) needed."""
    handled: list[int] = []
    arrived: list[int] = []

    async def update_two_arrives() -> None:
        if not arrived:
            arrived.append(2)
            await _stored(db, 9, 2)
            assert await drain.drain(9) == 0  # this worker is draining the founder already

    async def handle(update: Any) -> None:
        handled.append(update.update_id)

    locks = SlowReleaseLocks(update_two_arrives)
    drain = LedgerDrain(db, SystemClock(), locks, None, handle)  # type: ignore[arg-type]
    await _stored(db, 9, 1)
    assert await drain.drain(9) == 2
    assert handled == [1, 2]
    async with db.reading() as conn:
        assert await ledger.oldest_unfinished(conn, 9) is None


class CrowdedLocks(LocalLocks):
    """Founder locks with others always waiting for a turn; counts the turns taken."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0

    @asynccontextmanager
    async def founder(self, key: str | int) -> AsyncIterator[None]:
        async with super().founder(key):
            self.turns += 1
            yield

    def others_waiting(self) -> bool:
        return True


async def test_a_drain_lets_its_turn_go_between_updates_when_others_wait(db: Database) -> None:
    """Three stored updates of one founder while others wait for a lock connection: the
    drain handles them in order, one per turn at the lock, queueing again in between."""
    handled: list[int] = []

    async def handle(update: Any) -> None:
        handled.append(update.update_id)

    locks = CrowdedLocks()
    drain = LedgerDrain(db, SystemClock(), locks, None, handle)  # type: ignore[arg-type]
    await _stored(db, 9, 1, 2, 3)
    assert await drain.drain(9) == 3
    assert handled == [1, 2, 3]
    assert locks.turns == 3
    async with db.reading() as conn:
        assert await ledger.oldest_unfinished(conn, 9) is None


async def test_a_flood_past_the_backlog_is_turned_away_and_the_founder_told_once(
    db: Database,
) -> None:
    """Six updates of one founder stored at once with a backlog of three: the oldest three
    are handled in order, the rest marked handled unread, the founder told once; another
    founder's update is not touched."""
    handled: list[int] = []
    told: list[int] = []

    async def handle(update: Any) -> None:
        handled.append(update.update_id)

    drain = LedgerDrain(
        db, SystemClock(), LocalLocks(), None, handle, backlog=3,  # type: ignore[arg-type]
        on_overflow=lambda update: told.append(update.update_id),
    )  # fmt: skip
    await _stored(db, 9, *range(1, 7))
    await _stored(db, 10, 7)
    assert await drain.drain(9) == 3
    assert handled == [1, 2, 3]
    assert told == [1]
    async with db.reading() as conn:
        assert await ledger.oldest_unfinished(conn, 9) is None
        assert await ledger.oldest_unfinished(conn, 10) is not None


async def test_an_update_arriving_during_its_founders_drain_joins_that_drain(
    db: Database,
) -> None:
    """Updates 1-3 stored; drains for each started at once; update 4 arrives while 1 is
    handled. One drain handles all four in order, the others find theirs in its hands."""
    handled: list[int] = []
    drain: LedgerDrain

    async def handle(update: Any) -> None:
        handled.append(update.update_id)
        if update.update_id == 1:
            await _stored(db, 9, 4)
            assert await drain.drain(9) == 0  # left to the drain under way
        await asyncio.sleep(0.01)

    drain = LedgerDrain(db, SystemClock(), LocalLocks(), None, handle)  # type: ignore[arg-type]
    await _stored(db, 9, 1, 2, 3)
    counts = await asyncio.gather(*(drain.drain(9) for _ in range(3)))
    assert handled == [1, 2, 3, 4]
    assert sorted(counts) == [0, 0, 4]
    async with db.reading() as conn:
        assert await ledger.oldest_unfinished(conn, 9) is None
