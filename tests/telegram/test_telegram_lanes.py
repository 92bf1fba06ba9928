"""The pace's lanes on their own: order and dropping, never how long anything takes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.adapters.telegram.lanes import COSMETIC, REPLY, Dropped, LaneLimiter, Pace


async def test_waiting_replies_go_before_waiting_cosmetic_calls() -> None:
    pace = Pace(0.02)
    order: list[str] = []

    async def call(name: str, lane: str) -> None:
        await pace.take(lane)
        order.append(name)

    await pace.take(REPLY)  # the slot is now taken: everything below waits
    tasks = [asyncio.create_task(call(f"c{i}", COSMETIC)) for i in range(3)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(call(f"r{i}", REPLY)) for i in range(3)]
    await asyncio.gather(*tasks)
    assert order == ["r0", "r1", "r2", "c0", "c1", "c2"]


async def test_a_cosmetic_call_gives_up_and_frees_its_place() -> None:
    pace = Pace(60)  # one slot a minute: nothing more is granted in this test
    await pace.take(REPLY)
    with pytest.raises(TimeoutError):
        await pace.take(COSMETIC, 0.05)
    assert pace.waiting(COSMETIC) == 0


async def _send(**data: Any) -> dict[str, Any]:
    return data


async def test_limiter_lanes_and_unpaced_calls() -> None:
    limiter = LaneLimiter(1 / 60, cosmetic_patience=0.05, cosmetic_queue=2)
    # not a message (no chat id): never paced, however busy the pace is
    for _ in range(3):
        await limiter.process_request(_send, (), {}, "answerCallbackQuery", {}, None)
    await limiter.process_request(_send, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert not limiter.busy()
    waiting = asyncio.create_task(
        limiter.process_request(_send, (), {}, "sendMessage", {"chat_id": 2}, None)
    )
    await asyncio.sleep(0)
    assert limiter.busy()  # a reply queues
    with pytest.raises(Dropped):
        await limiter.process_request(_send, (), {}, "editMessageText", {"chat_id": 1}, COSMETIC)
    assert limiter.paced == {"reply": 1, "dropped": 1}
    waiting.cancel()


async def test_a_full_cosmetic_queue_drops_at_once() -> None:
    limiter = LaneLimiter(1 / 60, cosmetic_patience=30, cosmetic_queue=2)
    await limiter.process_request(_send, (), {}, "sendMessage", {"chat_id": 1}, None)
    edits = [
        asyncio.create_task(
            limiter.process_request(_send, (), {}, "editMessageText", {"chat_id": 1}, COSMETIC)
        )
        for _ in range(2)
    ]
    await asyncio.sleep(0)
    with pytest.raises(Dropped):
        await limiter.process_request(
            _send, (), {}, "editMessageReplyMarkup", {"chat_id": 1}, COSMETIC
        )
    for edit in edits:
        edit.cancel()
