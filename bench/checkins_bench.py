"""5 000 check-ins due at once, sent at Telegram's rate limit: pace, 429s, duplicates, losses.

A fresh SQLite file (the real schema: ``Database.open`` runs the migrations) gets 5 000
consented Telegram founders, each with one commitment check-in due a minute ago, as if
the bot had been down. The fake Bot API runs in its own process and answers 429 to any
send beyond R per rolling second (``rate_limit``); the bot runs in another process with
``TELEGRAM_MAX_RATE=R`` and quiet hours off. From the first check-in message to arrive at
the fake to the last: the achieved rate over R, the 429s, the founders messaged twice and
the ones never messaged; after a clean stop, every row of ``checkins`` must be ``sent``
after exactly one attempt.

R = 30: Telegram's broadcast limit, and the most ``TELEGRAM_MAX_RATE`` allows, so the bot
runs exactly as configured in production; 5 000 check-ins take about 167 s.

A second, shorter run (600 check-ins) has the fake answer one send with 429 after 8 s, as
Telegram may at any time: that must stay one 429, not set off more (it did, one every
two seconds, while AIORateLimiter retried 429s itself; see ``rate_limiter``).

    python -m bench checkins             (or: make bench)
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import save
from bench.harness import (
    CpuMeter,
    Fake,
    bot_process,
    code_state,
    fake_server,
    quiet_machine,
    tail,
)
from bot.storage import Database, checkins, users

CHECKINS = 5_000
RATE = 30
FIRST_CHAT = 800_000_001
COMMITMENT = "Send the deck to five angels"
TARGET_RATIO = 0.95
POLL_SECONDS = 1.0
SETTLE_SECONDS = 5.0  # after the last one: time for a duplicate to show up
INJECTED_CHECKINS = 600  # the second run: one 429 from the server mid-way
INJECT_AFTER = 8.0


async def seed(path: Path, count: int, due: datetime) -> None:
    """Consented Telegram founders (UTC), each with one commitment check-in due at ``due``."""
    db = await Database.open(path)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as conn:
            for index in range(count):
                user, _ = await users.get_or_create(
                    conn, channel="telegram", external_id=str(FIRST_CHAT + index), now=now,
                    display_name="Ada",
                )  # fmt: skip
                await users.update(
                    conn, user.id, now, consented_at=now.isoformat(), timezone="UTC", locale="en"
                )
                commitment = await checkins.add_commitment(
                    conn, user_id=user.id, topic="funding", text=COMMITMENT, now=now
                )
                await checkins.create(
                    conn, user_id=user.id, kind="commitment", due_at=due, timezone="UTC",
                    local_intent=None, now=now, commitment_id=commitment,
                )  # fmt: skip
    finally:
        await db.close()


async def collect(fake: Fake, expected: int, patience: float) -> list[list[Any]]:
    """Every answered sendMessage call until ``expected`` chats have one (or time is up)."""
    calls: list[list[Any]] = []
    since = 0
    chats: set[int] = set()
    deadline = time.monotonic() + patience
    last_new = time.monotonic()
    while True:
        answer = await fake.sim("bench_calls", {"method": "sendMessage", "since": since})
        since = answer["next"]
        calls += answer["calls"]
        before = len(chats)
        chats.update(chat for _, status, chat in answer["calls"] if status == 200)
        now = time.monotonic()
        if len(chats) > before:
            last_new = now
        done = len(chats) >= expected and now - last_new >= SETTLE_SECONDS
        if done or now > deadline:
            return calls
        await asyncio.sleep(POLL_SECONDS)


def in_database(path: Path, count: int) -> dict[str, Any]:
    """What the rows say after the bot stopped."""
    with sqlite3.connect(path) as conn:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM checkins GROUP BY status"))
        attempts = dict(conn.execute("SELECT attempts, COUNT(*) FROM checkins GROUP BY attempts"))
        results = dict(
            conn.execute("SELECT result, COUNT(*) FROM checkin_attempts GROUP BY result")
        )
    return {
        "statuses": statuses,
        "attempts_per_row": {str(k): v for k, v in attempts.items()},
        "attempt_results": results,
        "all_sent_once": statuses == {"sent": count} and attempts == {1: count},
    }


def figures(calls: list[list[Any]], count: int, rate: float) -> dict[str, Any]:
    """Pace, 429s, duplicates and losses from the fake's record of sendMessage calls."""
    sent = sorted((at, chat) for at, status, chat in calls if status == 200)
    refused = sum(1 for _, status, _ in calls if status == 429)
    per_chat = Counter(chat for _, chat in sent)
    expected = {FIRST_CHAT + index for index in range(count)}
    first, last = (sent[0][0], sent[-1][0]) if sent else (0.0, 0.0)
    span = last - first
    achieved = (len(sent) - 1) / span if span > 0 else None
    # the busiest rolling second, and how evenly the sends are spaced
    times = [at for at, _ in sent]
    busiest, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    return {
        "messages": len(sent),
        "first_to_last_seconds": round(span, 2),
        "achieved_per_second": None if achieved is None else round(achieved, 2),
        "achieved_over_limit": None if achieved is None else round(achieved / rate, 3),
        "busiest_rolling_second": busiest,
        "gap_ms": {
            "min": round(gaps[0] * 1000, 2) if gaps else None,
            "p50": round(gaps[len(gaps) // 2] * 1000, 2) if gaps else None,
            "max": round(gaps[-1] * 1000, 2) if gaps else None,
        },
        "sends_answered_429": refused,
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "founders_messaged_twice": sum(1 for n in per_chat.values() if n > 1),
        "lost": len(expected - set(per_chat)),
        "unexpected_chats": len(set(per_chat) - expected),
    }


async def broadcast(logs: Path, count: int, *, inject_429_after: float | None) -> dict[str, Any]:
    """Seed ``count`` check-ins due now, run the bot until all arrived, stop it, check."""
    db = logs / f"checkins-{count}.db"
    began = time.perf_counter()
    await seed(db, count, datetime.now(UTC) - timedelta(minutes=1))
    seeded = time.perf_counter() - began
    print(f"  seeded {count:,} founders and check-ins in {seeded:.1f} s", flush=True)
    quiet = await quiet_machine()
    extra = {
        "TELEGRAM_MAX_RATE": str(RATE),
        "FOUNDER_COACH_DB": str(db),
        "FOUNDER_COACH_QUIET_HOURS": "00:00-00:00",
    }
    async with fake_server(logs) as fake:
        await fake.sim("rate_limit", {"per_second": RATE})
        async with bot_process("coach", fake, logs, **extra) as bot:
            meter = CpuMeter(bot.pid, fake.pid)
            meter.begin()
            if inject_429_after is not None:  # one 429 from "Telegram", whatever the pace
                await asyncio.sleep(inject_429_after)
                await fake.sim("fail_next", {"method": "sendMessage", "status": 429})
            calls = await collect(fake, count, patience=count / RATE * 2 + 60)
            cpu = meter.end()
        state = await fake.get("state")
        log = logs / "bot-coach.log"
        problems = [line for line in tail(log, 100_000).splitlines()
                    if " ERROR " in line or " WARNING " in line]  # fmt: skip
    result = figures(calls, count, RATE)
    result["count_429"] = state["count_429"]
    result["database_after_stop"] = in_database(db, count)
    result["bot_log_warnings_and_errors"] = len(problems)
    result["cpu"] = cpu
    result["before_start"] = quiet
    result["seed_seconds"] = round(seeded, 1)
    return result


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-checkins-") as folder:
        logs = Path(folder)
        print(f"{CHECKINS:,} check-ins due at once, Bot API limited to {RATE}/s:", flush=True)
        main_run = await broadcast(logs, CHECKINS, inject_429_after=None)
        _print(main_run)
        print(
            f"{INJECTED_CHECKINS:,} check-ins, one 429 injected after {INJECT_AFTER:.0f} s:",
            flush=True,
        )
        injected = await broadcast(logs, INJECTED_CHECKINS, inject_429_after=INJECT_AFTER)
        _print(injected)
    return {"broadcast": main_run, "one_injected_429": injected}


def _print(result: dict[str, Any]) -> None:
    for key in ("messages", "first_to_last_seconds", "achieved_per_second",
                "achieved_over_limit", "busiest_rolling_second", "gap_ms", "count_429",
                "duplicates", "lost", "cpu"):  # fmt: skip
        print(f"  {key}: {result[key]}")
    print(f"  database after stop: {result['database_after_stop']}", flush=True)


def _target(target: Any, value: Any, met: bool) -> dict[str, Any]:
    return {"target": target, "value": value, "met": met}


def main() -> None:
    code = code_state()  # before: someone may commit while it runs
    runs = asyncio.run(measure())
    result, injected = runs["broadcast"], runs["one_injected_429"]
    ratio = result["achieved_over_limit"] or 0
    targets = {
        "achieved_over_limit": _target(TARGET_RATIO, ratio, ratio >= TARGET_RATIO),
        "count_429": _target(0, result["count_429"], not result["count_429"]),
        "duplicates": _target(0, result["duplicates"], not result["duplicates"]),
        "lost": _target(0, result["lost"], not result["lost"]),
        "database_all_sent_once": _target(
            True,
            result["database_after_stop"]["all_sent_once"],
            result["database_after_stop"]["all_sent_once"],
        ),
        "injected_429_stays_one": _target(1, injected["count_429"], injected["count_429"] == 1),
    }
    save(
        "checkins",
        {
            "code": code,
            "parameters": {
                "checkins": CHECKINS,
                "rate_limit_per_second": RATE,
                "bot_max_rate": RATE,
                "due": "1 minute before the bot starts (caught up at start-up)",
                "quiet_hours": "off",
                "injected_run": {
                    "checkins": INJECTED_CHECKINS,
                    "one_429_after_seconds": INJECT_AFTER,
                },
            },
            "figures": result,
            "one_injected_429": injected,
            "targets": targets,
        },
    )
    for name, target in targets.items():
        want, value, met = target["target"], target["value"], target["met"]
        print(f"  target {name}: {value} (want {want}, met: {met})")


if __name__ == "__main__":
    main()
