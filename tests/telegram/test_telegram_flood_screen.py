"""A flood is left out before python-telegram-bot parses it (issue #14).

The processor's screen reads founders from updates' JSON: past a founder's backlog the
updates are left out unparsed and unstored, except one that brings the notice and a
getUpdates batch's last (for its id to confirm the batch), both turned away for sure.
"""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.adapters.telegram.processor import PerFounderProcessor, founder_key, raw_founder_key

ADA, BEN = 501, 502


def _message(update_id: int, user_id: int, *, sender: bool = True) -> dict[str, Any]:
    chat = {"id": user_id, "type": "private", "first_name": "Ada"}
    message: dict[str, Any] = {"message_id": update_id, "chat": chat, "date": 0, "text": "hi"}
    if sender:
        message["from"] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
    return {"update_id": update_id, "message": message}


def _tap(update_id: int, user_id: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ben"}
    return {
        "update_id": update_id,
        "callback_query": {"id": "7", "from": user, "chat_instance": "1", "data": "x"},
    }


@pytest.mark.parametrize(
    "item",
    [_message(1, ADA), _message(2, -100, sender=False), _tap(3, BEN)],
    ids=["message", "channel-style message without a sender", "callback query"],
)
def test_the_founder_read_from_json_is_the_one_ptb_reads(item: dict[str, Any]) -> None:
    bot = Bot("1:x")
    assert raw_founder_key(item) == founder_key(Update.de_json(item, bot))


def test_unreadable_items_have_no_founder() -> None:
    assert raw_founder_key({"update_id": 1, "poll": {"id": "1"}}) == 0
    assert raw_founder_key("not an update") == 0
    assert raw_founder_key({"update_id": 1, "message": {"from": {"id": "1"}}}) == 0


def _ids(items: list[object]) -> list[int]:
    return [item["update_id"] for item in items if isinstance(item, dict)]


def test_a_flood_past_the_backlog_is_left_out_but_for_the_notice_and_the_batch_end() -> None:
    processor = PerFounderProcessor(8, backlog=3)
    batch = [_message(i, ADA) for i in range(1, 9)] + [_tap(9, BEN)] + [_message(10, ADA)]
    kept = _ids(processor.screen(batch))
    # Ada's first three fit; the fourth brings the notice; Ben's tap; the batch's last
    assert kept == [1, 2, 3, 4, 9, 10]
    # the notice's and the batch end's are turned away for sure when they come to admit()
    bot = Bot("1:x")
    assert not processor.admit(Update.de_json(_message(4, ADA), bot))
    assert not processor.admit(Update.de_json(_message(10, ADA), bot))
    assert processor.admit(Update.de_json(_message(3, ADA), bot))


def test_a_founder_already_told_gets_no_second_notice_update() -> None:
    processor = PerFounderProcessor(8, backlog=2)
    processor._overflowing.add(ADA)
    processor._queued[ADA] = 2  # two handled now, the backlog full
    batch = [_message(i, ADA) for i in range(1, 6)] + [_tap(6, BEN)]
    assert _ids(processor.screen(batch)) == [6]


def test_a_webhook_body_is_not_kept_for_a_batch_end() -> None:
    processor = PerFounderProcessor(8, backlog=1)
    processor._overflowing.add(ADA)
    processor._queued[ADA] = 1
    assert processor.screen([_message(1, ADA)], keep_last=False) == []
    assert _ids(processor.screen([_message(2, ADA)])) == [2]  # getUpdates: kept, refused


def test_founders_within_their_backlog_lose_nothing() -> None:
    processor = PerFounderProcessor(8, backlog=20)
    batch = [_message(i, ADA if i % 2 else BEN) for i in range(1, 41)]
    assert _ids(processor.screen(batch)) == list(range(1, 41))
