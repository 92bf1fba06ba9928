"""Hostile or odd updates through the real Application and the fake Bot API (issue #12):
foreign chats, edited messages, poison updates, an over-long answered edit, and a
replayed /start before consent."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from telegram import Update

from bot.engine import Catalog
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import Founder, bot_settings, button, rows, running_bot, until


def _user(user_id: int, name: str = "Mallory") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


async def _synced(fake: FakeBotApi, user_id: int = 4242) -> None:
    """Another founder's /start is answered: updates queued before it were fetched."""
    witness = Founder(fake, user_id, name="Witness")
    await witness.send("/start")


async def test_a_message_whose_chat_is_not_the_senders_is_dropped(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """Founder 1001's id paired with chat 2002: nothing stored, nothing sent anywhere."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        fake.user_sends(1001, "/start", first_name="Mallory", chat_id=2002)
        await _synced(fake)
        await asyncio.sleep(0.3)
    assert fake.bot_messages(2002) == []
    assert fake.bot_messages(1001) == []
    assert rows(db, "SELECT external_id FROM users") == [("4242",)]


async def test_a_forged_tap_in_another_chat_is_dropped(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """A callback from 1001 on a message in chat 2002 (or in a group): not answered at all,
    nothing built, nothing sent; the export of the real founder stays theirs."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 1001)
        await ada.start()
        before = len(fake.bot_messages(1001))
        group = {"id": -2002, "type": "group", "title": "G"}
        for chat in ({"id": 2002, "type": "private"}, group):
            fake.add_update(
                {
                    "callback_query": {
                        "id": f"9{abs(chat['id'])}",
                        "chat_instance": "1",
                        "from": _user(1001),
                        "message": {"message_id": 1, "date": 0, "chat": chat, "text": "x"},
                        "data": "e:1",
                    }
                }
            )
        await _synced(fake)
        await asyncio.sleep(0.3)
    assert fake.bot_messages(2002) == []
    assert fake.bot_messages(-2002) == []
    assert len(fake.bot_messages(1001)) == before
    assert fake.calls_of("sendDocument") == []
    forged = [c.params["callback_query_id"] for c in fake.calls_of("answerCallbackQuery")]
    assert "92002" not in forged


async def test_an_edited_message_is_not_a_new_answer(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """An ``edited_message`` (which a forged update or a changed allowed_updates could
    bring) changes nothing stored and gets no reply."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog) as app:
        ada = Founder(fake, 1101)
        await ada.start()  # at (1/8), the founder's name
        seen = len(ada.messages())
        edited = {
            "update_id": 900001,
            "edited_message": {
                "message_id": 1, "date": 0, "edit_date": 1,
                "chat": {"id": 1101, "type": "private", "first_name": "Ada"},
                "from": _user(1101, "Ada"), "text": "Zebediah",
            },
        }  # fmt: skip
        await app.update_queue.put(Update.de_json(edited, app.bot))
        # the founder's updates are handled in order: once /help is answered, the edit was too
        await ada.send("/help", expect="/menu")
        assert [m.text for m in ada.messages()[seen:]][:-1] == []
    assert rows(db, "SELECT count(*) FROM answers") == [(0,)]
    assert rows(db, "SELECT count(*) FROM transcript WHERE text LIKE '%Zebediah%'") == [(0,)]


async def test_a_poison_update_is_recorded_failed_and_polling_goes_on(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """A lone surrogate in the text, then in the first name: each is recorded as failed
    and confirmed to Telegram; the same founder's next message is answered."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        first = fake.user_sends(6666, "hi \ud800 there")
        second = fake.user_sends(6667, "/start", first_name="Eve\udfff")
        ada = Founder(fake, 6666)
        await ada.send("/start")  # polling goes on, for the same founder too
        await until(lambda: fake.confirmed_offset > second)
    failed = rows(db, "SELECT update_id, payload FROM update_ledger WHERE payload LIKE 'failed%'")
    reason = "failed: UnicodeEncodeError"
    assert failed == [(first, reason), (second, reason)]
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL") == [(0,)]
    assert fake.bot_messages(6667) == []
    assert all(u["update_id"] > second for u in fake.pending_updates())


async def test_the_answered_edit_never_exceeds_the_limit_and_never_stops_the_turn(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """A question message near 4 096 characters: "Your answer: …" is clipped to fit, and
    the next question is sent (finding 12)."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 1201)
        await ada.start()
        await ada.send("Ada", expect="(2/8)")
        await ada.send("Acme AI", expect="(3/8)")
        stage = await ada.send("Contract review for small law firms.", expect="(4/8)")
        assert stage.buttons()
        stored = ada.current(stage.message_id)
        stored.text = "y" * 4070 + "\n\n" + (stored.text or "")[-20:]  # as _batches can build
        stored.entities = []
        data = button(stage, stage.buttons()[0]["text"])
        fake.user_taps(1201, stage.message_id, data)
        await until(lambda: any("(5/8)" in (m.text or "") for m in ada.messages()))
        # the keyboard goes in a cosmetic edit, sent after the replies
        await until(lambda: ada.current(stage.message_id).reply_markup is None)
    edited = ada.current(stage.message_id)
    assert edited.reply_markup is None  # the keyboard went
    assert len((edited.text or "").encode("utf-16-le")) // 2 <= 4096
    assert rows(db, "SELECT step_id FROM answers ORDER BY id")[-1] == ("stage",)


async def test_a_replayed_start_before_consent_asks_the_consent_question_again(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """Killed after /start was handled, before the ledger heard it: the replay asks the
    consent question again, without "I did not get an answer there" (finding 18)."""
    db = tmp_path / "bot.db"
    ada = Founder(fake, 1301)
    async with running_bot(bot_settings(fake, db), real_catalog):
        consent = await ada.send("/start")
        assert consent.buttons()
    [(last,)] = rows(db, "SELECT max(update_id) FROM update_ledger")
    payload = {
        "update_id": last,
        "message": {
            "message_id": 1, "date": 1_700_000_000, "text": "/start",
            "chat": {"id": 1301, "type": "private", "first_name": "Ada"},
            "from": _user(1301, "Ada"),
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }  # fmt: skip
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "UPDATE update_ledger SET finished_at = NULL, payload = ? WHERE update_id = ?",
            (json.dumps(payload), last),
        )
    seen = len(ada.messages())
    async with running_bot(bot_settings(fake, db), real_catalog):
        again = await until(lambda: ada.messages()[seen:])
    texts = " ".join(m.text or "" for m in again)
    assert "did not get an answer" not in texts
    assert again[-1].buttons()  # the consent question, with its buttons
    assert again[-1].callback_data() == consent.callback_data()


async def test_a_service_message_in_the_chat_is_not_an_answer(
    fake: FakeBotApi, tmp_path: Path, real_catalog: Catalog
) -> None:
    """A pinned message's notice in the private chat (no text of the founder's) is not taken
    as an answer and gets no reply; the founder's next text still is."""
    db = tmp_path / "bot.db"
    async with running_bot(bot_settings(fake, db), real_catalog):
        ada = Founder(fake, 1401)
        await ada.start()
        seen = len(ada.messages())
        fake.add_update(
            {
                "message": {
                    "message_id": 9001, "date": 1_700_000_000, "from": _user(1401, "Ada"),
                    "chat": {"id": 1401, "type": "private"},
                    "pinned_message": {"message_id": 1, "date": 1_700_000_000,
                                       "chat": {"id": 1401, "type": "private"}},
                }
            }
        )  # fmt: skip
        await _synced(fake)
        await asyncio.sleep(0.3)
        assert len(ada.messages()) == seen
        await ada.send("Ada", expect="(2/8)")
    assert rows(db, "SELECT step_id FROM answers") == [("name",)]
