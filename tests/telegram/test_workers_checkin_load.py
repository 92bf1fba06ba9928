"""Issue #15, acceptance test 2: 5 000 check-ins due at once across three worker processes
on one PostgreSQL, at TELEGRAM_MAX_RATE 25/s, with one worker SIGKILLed mid-dispatch and
started again.

What it checks, from the fake Bot API's record of each call:

- **none lost**: every founder got their check-in and every row ends ``sent``;
- **none doubled beyond the policy** (:mod:`bot.checkins.service`, "Interrupted send (at
  least once)"): only a row the killed worker had claimed and not settled (its lease ran out:
  an ``interrupted`` attempt) may go out twice, once before the kill at most and exactly once
  after it; every other row exactly once;
- **one send budget for all workers** (SCALE.md invariant 6): at least 0.95 of 25/s from the
  first check-in to the last, never more than 30 in any one second, no 429.

About 200 s (5 000 at 25/s): the clean run and the kill are one run.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import need_postgres
from tests.fakes.bot_api import Call, FakeBotApi
from tests.telegram.conftest import rows
from tests.telegram.fleet import WorkerProcess
from tests.telegram.seeding import COMMITMENT, seed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")

FOUNDERS = 5000
FIRST_ID = 150_001
RATE = 25.0
LEASE = 10  # seconds: a killed worker's claims come back within the run
KILL_AFTER = 1500  # check-ins out when one worker is killed: mid-dispatch, for all three


def _checkins(fake: FakeBotApi) -> list[Call]:
    """Check-in messages Telegram took, in the order they arrived."""
    return [
        c
        for c in fake.calls
        if c.method.lower() == "sendmessage" and c.ok and COMMITMENT in str(c.params.get("text"))
    ]


def _busiest_second(times: list[float]) -> tuple[int, float]:
    """The most calls in any one-second window (sliding, not calendar seconds), and when
    that window starts."""
    busiest, start, first = 0, times[0], 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 1.0:
            first += 1
        if last - first + 1 > busiest:
            busiest, start = last - first + 1, times[first]
    return busiest, start


async def _wait_for(fake: FakeBotApi, count: int, timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while len(_checkins(fake)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(_checkins(fake))} of {count} check-ins out in {timeout}s")
        await asyncio.sleep(1.0)


async def test_5000_checkins_due_at_once_go_out_once_at_the_shared_rate_through_a_kill(
    fake: FakeBotApi, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = need_postgres(request)
    url = await server.create()
    fake.rate_limit(30)  # Telegram's limit: a 429 for any call over 30 in a second
    extra = {
        "TELEGRAM_MAX_RATE": str(RATE),
        "FOUNDER_COACH_QUIET_HOURS": "00:00-00:00",  # whatever the hour, they may be written to
        "FOUNDER_COACH_CHECKIN_LEASE_SECONDS": str(LEASE),
    }
    workers = [WorkerProcess(fake, url, tmp_path, f"w{n}", **extra) for n in range(3)]
    try:
        async with httpx.AsyncClient() as client:
            for worker in workers:
                await worker.start()
            await asyncio.gather(*(w.healthy(client) for w in workers))
            # committed in one transaction: all 5 000 fall due at the same moment
            await seed(url, range(FIRST_ID, FIRST_ID + FOUNDERS), due=datetime.now(UTC))
            await _wait_for(fake, KILL_AFTER, timeout=KILL_AFTER / RATE * 3)
            victim = workers[1]
            await victim.kill()
            killed_at = time.monotonic()
            await victim.start()
            await victim.healthy(client)
            await _wait_for(fake, FOUNDERS, timeout=FOUNDERS / RATE * 3)
            # the last rows settle; then nothing more may go out (a late duplicate)
            await asyncio.sleep(LEASE + 3)
        for worker in workers:
            await worker.stop()
        sent = _checkins(fake)
        status = dict(rows(url, "SELECT status, count(*) FROM checkins GROUP BY status"))
        attempts = rows(
            url,
            "SELECT u.external_id, a.result FROM checkin_attempts a "
            "JOIN checkins c ON c.id = a.checkin_id JOIN users u ON u.id = c.user_id",
        )
    finally:
        for worker in workers:
            await worker.stop()
        await server.drop(url)

    # none lost
    assert status == {"sent": FOUNDERS}, status
    per_founder = Counter(int(c.params["chat_id"]) for c in sent)
    assert set(per_founder) == set(range(FIRST_ID, FIRST_ID + FOUNDERS))
    # none doubled beyond the policy: only a send the kill cut off is sent again, once
    results = Counter(result for _, result in attempts)
    assert set(results) <= {"sent", "interrupted"}, results
    assert results["sent"] == FOUNDERS
    interrupted = {int(founder) for founder, result in attempts if result == "interrupted"}
    assert interrupted, "the kill found no check-in in flight: it was not mid-dispatch"
    assert results["interrupted"] == len(interrupted)  # one kill: each cut off once at most
    when: dict[int, list[float]] = defaultdict(list)
    for call in sent:
        when[int(call.params["chat_id"])].append(call.time)
    for founder, times in when.items():
        if founder in interrupted:
            before = [t for t in times if t < killed_at]
            assert len(before) <= 1, (founder, times)  # the send the kill cut off
            assert len(times) - len(before) == 1, (founder, times)  # then once more
        else:
            assert len(times) == 1, (founder, times)
    # one budget for all three: the rate held, and never over Telegram's limit
    times = sorted(c.time for c in fake.calls if c.method.lower() == "sendmessage")
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span
    busiest, at = _busiest_second(times)
    seen = (
        f"{len(times)} sends in {span:.1f}s ({rate:.2f}/s), busiest second {busiest} at "
        f"+{at - times[0]:.1f}s (the kill at +{killed_at - times[0]:.1f}s), "
        f"{fake.count_429} 429s, {len(interrupted)} cut off by the kill"
    )
    assert rate >= 0.95 * RATE, seen
    assert busiest <= 30, seen
    assert fake.count_429 == 0, seen
