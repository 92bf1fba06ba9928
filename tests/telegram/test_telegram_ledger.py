"""The update ledger: every update is in the database before Telegram is told it arrived."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Bot, Update

from bot.adapters.telegram.ledger import LedgerQueue
from bot.clock import FrozenClock
from bot.engine import Catalog
from bot.storage import Database, inbox, ledger
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import TOKEN, Founder, bot_settings, rows, running_bot, until
from tests.telegram.processes import START_TIMEOUT, bot_process, stop

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _raw(update_id: int, text: str, user_id: int = 7) -> dict[str, object]:
    """An update's JSON as Telegram sends it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada"},
            "text": text,
        },
    }


def _update(update_id: int, text: str, user_id: int = 7) -> Update:
    return Update.de_json(_raw(update_id, text, user_id), Bot(TOKEN))


def _json(update: Update) -> str:
    return json.dumps(update.to_dict())


async def _queued(queue: LedgerQueue) -> list[object]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_put_stores_first_and_drops_a_redelivery(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "bot.db") as db:
        queue = LedgerQueue()
        await queue.attach(db, FrozenClock(NOW), Bot(TOKEN))
        await queue.put(_update(10, "Acme 中文 🚀"))
        await queue.put(_update(10, "Acme 中文 🚀"))  # Telegram sent it again
        await queue.put(object())  # PTB's stop signal passes through untouched
        assert len(await _queued(queue)) == 2
    stored = rows(tmp_path / "bot.db", "SELECT update_id, payload, finished_at FROM update_ledger")
    assert [(u, f) for u, _, f in stored] == [(10, None)]
    assert "Acme 中文 🚀" in stored[0][1]


async def test_unhandled_updates_are_replayed_in_order_and_handled_ones_blanked(
    tmp_path: Path,
) -> None:
    clock = FrozenClock(NOW)
    async with await Database.open(tmp_path / "bot.db") as db:
        first = LedgerQueue()
        await first.attach(db, clock, Bot(TOKEN))
        for update_id in (12, 11, 13):
            await first.put(_update(update_id, f"text {update_id}"))
        first.handled(_update(12, ""))
        await first.drain()
        # the process dies here; a new one starts on the same file
        second = LedgerQueue()
        assert await second.attach(db, clock, Bot(TOKEN)) == 2
        replayed = await _queued(second)
        assert [u.update_id for u in replayed if isinstance(u, Update)] == [11, 13]
        assert [u.message.text for u in replayed if isinstance(u, Update) and u.message] == [
            "text 11",
            "text 13",
        ]
        assert second.is_replay(replayed[0])
        assert not second.is_replay(_update(12, ""))
        await second.put(_update(11, "text 11"))  # re-delivered while replayed: dropped
        assert second.empty()
    assert rows(tmp_path / "bot.db", "SELECT payload FROM update_ledger WHERE update_id = 12") == [
        ("",)
    ]


async def test_handled_rows_are_forgotten_after_two_days_in_batches(tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    async with await Database.open(tmp_path / "bot.db") as db:
        queue = LedgerQueue()
        await queue.attach(db, clock, Bot(TOKEN))
        await queue.put(_update(20, "old, handled"))
        await queue.put(_update(21, "old, never handled"))
        queue.handled(_update(20, ""))
        await queue.drain()
        async with db.transaction() as conn:  # a week of exactly-once records: two batches
            for key in range(7000):
                await inbox.claim(conn, f"tg:{key}", NOW)
        clock.advance(timedelta(days=1))
        await queue.put(_update(22, "recent, handled"))
        queue.handled(_update(22, ""))
        await queue.drain()
        async with db.transaction() as conn:
            await inbox.claim(conn, "tg:recent", clock.now())
        clock.advance(timedelta(days=2))
        assert await queue.forget_old() == 7001
        assert await LedgerQueue().attach(db, clock, Bot(TOKEN)) == 1
    assert rows(tmp_path / "bot.db", "SELECT update_id FROM update_ledger") == [(21,), (22,)]
    assert rows(tmp_path / "bot.db", "SELECT key FROM processed_updates") == [("tg:recent",)]


async def test_an_unreadable_stored_update_is_skipped_not_fatal(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "bot.db") as db:
        async with db.transaction() as conn:
            await ledger.store(conn, 30, "{not json", NOW)
            await ledger.store(conn, 31, _json(_update(31, "fine")), NOW)
        queue = LedgerQueue()
        assert await queue.attach(db, FrozenClock(NOW), Bot(TOKEN)) == 1
    assert rows(
        tmp_path / "bot.db", "SELECT update_id FROM update_ledger WHERE finished_at IS NULL"
    ) == [(31,)]


async def test_every_update_is_handled_once_through_getupdates_errors_and_hangs(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """502s and a poll that hangs for seconds: updates wait at Telegram, none is lost."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 601)
        await ada.start()
        await fake.wait_for_poll()
        fake.fail_next("getUpdates", 502, times=3)
        fake.delay("getUpdates", 2.5, times=1)
        fake.user_sends(601, "Ada")
        fake.user_sends(601, "Acme")
        await ada.send("We review contracts for small law firms.", expect="(4/8)")
    assert rows(db, "SELECT step_id, revision FROM answers ORDER BY id") == [
        ("name", 1),
        ("startup", 1),
        ("pitch", 1),
    ]
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL") == [(0,)]
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE payload != ''") == [(0,)]


async def test_a_replayed_update_whose_turn_committed_asks_the_question_again(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """Killed after the answer was committed but before the reply went out: after the
    restart the founder is asked the current question again, and nothing is stored twice."""
    db = tmp_path / "bot.db"
    ada = Founder(fake, 602)
    async with running_bot(bot_settings(fake, db), real_catalog):
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
    # as if the process had died between committing the turn and sending its reply
    [(last,)] = rows(db, "SELECT max(update_id) FROM update_ledger")
    payload = json.dumps(_update(last, "Ada", user_id=602).to_dict())
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "UPDATE update_ledger SET finished_at = NULL, payload = ? WHERE update_id = ?",
            (payload, last),
        )
    seen = len(ada.messages())
    async with running_bot(bot_settings(fake, db), real_catalog):
        await until(lambda: any("(2/8)" in (m.text or "") for m in ada.messages()[seen:]))
        await ada.send("Acme", expect="(3/8)")
    assert rows(db, "SELECT step_id FROM answers ORDER BY id") == [("name",), ("startup",)]


async def test_updates_arriving_while_the_handler_hangs_are_all_stored(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """Confirmed to Telegram but not handled yet: the payload waits in the ledger."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 603)
        consent = await ada.send("/start")
        fake.delay("answerCallbackQuery", math.inf)
        tapped = fake.user_taps(603, consent.message_id, consent.buttons()[0]["callback_data"])
        assert tapped
        newest = fake.confirmed_offset
        await until(lambda: fake.confirmed_offset > newest)
        assert rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL") == [(1,)]
        assert rows(db, "SELECT consented_at FROM users") == [(None,)]
        fake.delay("answerCallbackQuery", None)
        await asyncio.sleep(0)


async def test_the_ledger_stores_an_update_as_telegram_sent_it(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """The stored payload is getUpdates' JSON itself (not rebuilt from PTB's objects, which
    cost a tenth of an update's CPU): same keys, same order, same words."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 604)
        consent = await ada.send("/start")
        fake.delay("answerCallbackQuery", math.inf)  # the tap stays stored, unhandled
        sent = {
            "update_id": 0,  # numbered by the fake
            "callback_query": {
                "id": "q-604",
                "chat_instance": "c-604",
                "data": consent.buttons()[0]["callback_data"],
                "from": {"id": 604, "is_bot": False, "first_name": "艾达 Ada",
                         "language_code": "zh-hans"},
                "message": {"message_id": consent.message_id, "date": 1_700_000_000,
                            "chat": {"id": 604, "type": "private"}, "text": "同意吗？"},
            },
        }  # fmt: skip
        sent["update_id"] = fake.add_update({"callback_query": sent["callback_query"]})
        tap = "SELECT payload FROM update_ledger WHERE update_id = ?"
        [(payload,)] = await until(lambda: rows(db, tap, sent["update_id"]))
        assert payload == json.dumps(sent, ensure_ascii=False, separators=(",", ":"))
        fake.delay("answerCallbackQuery", None)


async def test_sigkill_between_receipt_and_handling_loses_no_update(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    """The real process, killed after Telegram was told the tap arrived but before it was
    handled: after the restart the tap is handled, once."""
    db = tmp_path / "bot.db"
    ada = Founder(fake, 604)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        consent = await ada.send("/start")
        fake.delay("answerCallbackQuery", math.inf)  # the tap's handler stalls right there
        fake.user_taps(604, consent.message_id, consent.buttons()[0]["callback_data"])
        newest = fake.confirmed_offset
        await until(lambda: fake.confirmed_offset > newest)  # Telegram forgot the update
        await fake.wait_for_poll()
        await stop(proc, signal.SIGKILL)
    assert fake.pending_updates() == []
    assert rows(db, "SELECT consented_at FROM users") == [(None,)]
    fake.delay("answerCallbackQuery", None)
    async with bot_process(fake, db) as proc:
        await fake.wait_for_poll(timeout=START_TIMEOUT)
        await until(lambda: any("(1/8)" in (m.text or "") for m in ada.messages()))
        await ada.send("Ada", expect="(2/8)")
        code, log = await stop(proc, signal.SIGTERM)
    assert code == 0
    assert "replaying 1 update(s)" in log
    assert len([m for m in ada.messages() if "(1/8)" in (m.text or "")]) == 1
    assert rows(db, "SELECT step_id FROM answers") == [("name",)]
    [(consented,)] = rows(db, "SELECT consented_at FROM users")
    assert consented is not None


class _CountedTransactions:
    """The real database, counting its write transactions."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self._transaction = db.transaction
        db.transaction = self._counted  # type: ignore[method-assign]

    def _counted(self) -> object:
        self.count += 1
        return self._transaction()


async def test_a_getupdates_batch_is_stored_in_one_transaction(tmp_path: Path) -> None:
    """python-telegram-bot puts a batch's updates one by one: the first put stores them
    all, so the next getUpdates does not wait a transaction per update (issue #14)."""
    async with await Database.open(tmp_path / "bot.db") as db:
        queue = LedgerQueue()
        await queue.attach(db, FrozenClock(NOW), Bot(TOKEN))
        await queue.put(_update(1, "before"))  # not part of the batch; stored alone
        counted = _CountedTransactions(db)
        batch = [_raw(1, "before")] + [_raw(i, f"text {i}", user_id=i) for i in range(2, 9)]
        kept = queue.note_raw(batch)
        for item in kept:
            await queue.put(Update.de_json(item, Bot(TOKEN)))
        assert counted.count == 1
        queued = await _queued(queue)
        # update 1 once: in the batch it was a re-delivery, dropped
        assert [u.update_id for u in queued if isinstance(u, Update)] == list(range(1, 9))
        assert queue._early == {}  # every outcome went to its own put
    by_id = "SELECT update_id, founder FROM update_ledger ORDER BY update_id"
    stored = rows(tmp_path / "bot.db", by_id)
    assert stored == [(1, 7)] + [(i, i) for i in range(2, 9)]


async def test_a_poison_update_in_a_batch_is_stored_alone_and_the_rest_are_kept(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "bot.db") as db:
        queue = LedgerQueue()
        await queue.attach(db, FrozenClock(NOW), Bot(TOKEN))
        batch = [_raw(1, "fine"), _raw(2, "bad \udcff text", user_id=8), _raw(3, "fine too")]
        for item in queue.note_raw(batch):
            await queue.put(Update.de_json(item, Bot(TOKEN)))
        queued = [u.update_id for u in await _queued(queue) if isinstance(u, Update)]
        assert queued == [1, 3]
    by_id = "SELECT update_id, finished_at IS NOT NULL FROM update_ledger ORDER BY update_id"
    stored = rows(tmp_path / "bot.db", by_id)
    assert stored == [(1, 0), (2, 1), (3, 0)]  # the poison one recorded as failed
