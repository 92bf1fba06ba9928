"""Thirty SIGKILLs while 8 founders answer and check-ins fall due, with 429s and 5xx injected.

The real entry point (``python -m bot run``) against the fake Bot API, killed again and
again. Meanwhile the fake refuses sends now and then (429 with retry_after, 502, 503, up to
four in a row, so some replies end up in the outbox). After the storm: no answer lost or
doubled, every check-in delivered (at most one extra copy per send a kill cut off or left
unknown), and every founder at a real question (nothing waiting in the outbox).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import rows, until
from tests.telegram.processes import START_TIMEOUT, bot_process, stop
from tests.telegram.seeding import checkin_messages, seed
from tests.telegram.test_telegram_crashes import (
    ONBOARDED,
    STEPS,
    ScriptedFounder,
    _check_committed,
    _stuck,
)

KILLS = 30
FOUNDERS = range(9501, 9509)
SILENT = range(9601, 9631)  # founders who only receive a check-in
ENV = {
    "FOUNDER_COACH_QUIET_HOURS": "00:00-00:00",
    "FOUNDER_COACH_LOG_LEVEL": "WARNING",
    "FOUNDER_COACH_CHECKIN_LEASE_SECONDS": "1.5",
    "FOUNDER_COACH_CHECKIN_RETRY_SECONDS": "0.25",
}


async def _faults(fake: FakeBotApi, rng: random.Random, up: asyncio.Event) -> None:
    """While the bot runs, every so often refuse the next sends: 429 (retry after 1 s), 502
    or 503, one to four in a row (four: that reply goes to the outbox).

    A new fault only once the last one was used up, so they never pile up: about one send
    in four meets one.
    """
    while True:
        await asyncio.sleep(rng.uniform(0.3, 0.8))
        await up.wait()
        if fake._faults.get("sendmessage"):  # the fake's pending faults
            continue
        status = rng.choice([429, 502, 502, 503])
        fake.fail_next("sendMessage", status, times=rng.randint(1, 4), retry_after=1)


def _copies(db: Path, fake: FakeBotApi) -> dict[int, tuple[int, int]]:
    """Per silent founder: (copies received, sends cut off by a kill or left unknown)."""
    cut: dict[int, int] = {}
    for external, count in rows(
        db,
        "SELECT u.external_id, count(*) FROM checkin_attempts a "
        "JOIN checkins c ON c.id = a.checkin_id JOIN users u ON u.id = c.user_id "
        "WHERE a.result IN ('interrupted', 'unknown') GROUP BY u.external_id",
    ):
        cut[int(external)] = count
    return {u: (len(checkin_messages(fake, u)), cut.get(u, 0)) for u in SILENT}


async def test_thirty_sigkills_with_429s_and_5xx_lose_nothing(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261207")))
    db = tmp_path / "bot.db"
    await seed(
        db, SILENT, due=datetime.now(UTC) + timedelta(seconds=2), spread=timedelta(seconds=0.4)
    )
    founders = [ScriptedFounder(fake, user_id, rng) for user_id in FOUNDERS]
    tasks: list[asyncio.Task[None]] = []
    up = asyncio.Event()
    faults = asyncio.create_task(_faults(fake, rng, up))
    try:
        for kill in range(KILLS):
            async with bot_process(fake, db, **ENV) as proc:
                await fake.wait_for_poll(timeout=START_TIMEOUT)
                up.set()
                if kill < len(founders):  # founders join one per restart
                    tasks.append(asyncio.create_task(founders[kill].run()))
                await asyncio.sleep(rng.uniform(0.05, 0.6))
                await stop(proc, signal.SIGKILL)
                up.clear()
                fake._faults.clear()
            _check_committed(db, founders)
        assert sum(f.acknowledged for f in founders) >= 2 * len(FOUNDERS)
        faults.cancel()
        fake._faults.clear()  # Telegram recovers
        async with bot_process(fake, db, **ENV) as proc:
            await fake.wait_for_poll(timeout=START_TIMEOUT)
            try:
                await until(lambda: rows(db, ONBOARDED) == [(len(FOUNDERS),)], timeout=60)
            except TimeoutError:
                raise AssertionError(_stuck(db, fake, founders)) from None
            await until(
                lambda: (
                    rows(
                        db,
                        "SELECT count(*) FROM checkins WHERE status IN ('scheduled', 'sending')",
                    )
                    == [(0,)]
                ),
                timeout=60,
            )
            await until(lambda: rows(db, "SELECT count(*) FROM outbox") == [(0,)], timeout=30)
            code, _ = await stop(proc, signal.SIGTERM)
        assert code == 0
    finally:
        faults.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(faults, *tasks, return_exceptions=True)
    _check_committed(db, founders)
    for founder in founders:  # every answer once, as typed
        stored = rows(
            db,
            "SELECT a.step_id, a.value_json FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE u.external_id = ? AND a.flow_id = 'onboarding' ORDER BY a.id",
            str(founder.user_id),
        )
        assert [step for step, _ in stored] == STEPS, (founder.user_id, stored)
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL") == [(0,)]
    copies = _copies(db, fake)
    lost = [u for u, (got, _) in copies.items() if got == 0]
    extra = {u: c for u, c in copies.items() if c[0] > 1 + c[1]}
    print(f"\ncheck-ins: {sum(g for g, _ in copies.values())} copies for {len(SILENT)}, "  # noqa: T201
          f"{sum(1 for g, _ in copies.values() if g > 1)} duplicated, "
          f"{sum(c for _, c in copies.values())} sends cut off or unknown; "
          f"429s {fake.count_429}")  # fmt: skip
    assert lost == []
    assert extra == {}, "more than one duplicate per cut-off send"
    assert rows(db, "SELECT DISTINCT status FROM checkins") == [("sent",)]
    # every founder at a real question: the menu after onboarding, nothing kept unsent
    for founder in founders:
        last = [m for m in fake.bot_messages(founder.user_id) if not m.deleted][-1]
        assert last.buttons(), (founder.user_id, last.text)
