"""The shared send budget: GCRA arithmetic, and the row that holds it (SQLite here)."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from bot.storage import Database
from bot.storage.send_budget import next_slot, push, pushed, reserve

RATE = 25.0
INTERVAL = 1 / RATE


def _slots(asks: list[float], interval: float) -> list[float]:
    """The start of each slot handed out for asks at these times (in order)."""
    tat, starts = 0.0, []
    for now in asks:
        tat, wait = next_slot(tat, now, interval)
        starts.append(now + wait)
    return starts


asks = st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=300).map(sorted)


@given(asks)
def test_slots_never_start_before_the_ask_and_are_spaced(times: list[float]) -> None:
    starts = _slots(times, INTERVAL)
    for now, start in zip(times, starts, strict=True):
        assert start >= now
    for earlier, later in itertools.pairwise(starts):
        assert later - earlier >= INTERVAL - 1e-9


@given(asks)
def test_no_second_holds_more_than_the_rate_plus_one(times: list[float]) -> None:
    """Idle time is not saved up: any one-second window holds at most R + 1 slot starts."""
    starts = _slots(times, INTERVAL)
    for i, first in enumerate(starts):
        inside = sum(1 for s in starts[i:] if s < first + 1.0)
        assert inside <= RATE + 1


@given(asks)
def test_a_slot_is_only_delayed_by_the_ones_before_it(times: list[float]) -> None:
    """No waiting beyond the queue: the k-th slot starts once the asks since some earlier
    ask j have had their k - j slots (never later than the busiest run before it needs)."""
    starts = _slots(times, INTERVAL)
    for k, start in enumerate(starts):
        bound = max(times[j] + (k - j) * INTERVAL for j in range(k + 1))
        assert start <= bound + 1e-9


@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 60))
def test_a_429_pushes_every_later_slot_past_retry_after(
    tat: float, now: float, wait: float
) -> None:
    after = pushed(tat, now, wait)
    assert after >= tat
    assert after >= now + wait
    _, delay = next_slot(after, now, INTERVAL)
    assert now + delay >= now + wait


async def test_the_row_hands_out_the_same_slots_as_the_arithmetic(db: Database) -> None:
    times = [100.0, 100.0, 100.0, 100.01, 103.0, 103.0]
    expected = [start - now for now, start in zip(times, _slots(times, INTERVAL), strict=True)]
    got = []
    for now in times:
        async with db.transaction() as conn:
            got.append(await reserve(conn, INTERVAL, now=now))
    assert all(math.isclose(g, e, abs_tol=1e-9) for g, e in zip(got, expected, strict=True)), got


async def test_a_429_in_the_row_delays_the_next_slot_for_everyone(db: Database) -> None:
    async with db.transaction() as conn:
        assert await reserve(conn, INTERVAL, now=50.0) == 0.0
        await push(conn, 3.0, now=50.0)
        wait = await reserve(conn, INTERVAL, now=50.5)
    assert wait is not None
    assert math.isclose(wait, 2.5)


async def test_within_takes_a_slot_only_if_it_starts_soon_enough(db: Database) -> None:
    async with db.transaction() as conn:
        for _ in range(5):
            await reserve(conn, INTERVAL, now=10.0)  # the next slot starts at 10.2
        assert await reserve(conn, INTERVAL, now=10.0, within=0.1) is None  # nothing taken
        wait = await reserve(conn, INTERVAL, now=10.0, within=0.5)
    assert wait is not None
    assert math.isclose(wait, 0.2)
