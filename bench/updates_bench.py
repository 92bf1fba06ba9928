"""Update throughput and latency of the Telegram bot, against a fake Bot API in its own process.

Three kinds of process, all on 127.0.0.1 (see bench/harness.py):

- the fake Bot API with the simulated founders inside it (``python -m bench.loadgen``);
- the bot under test (``python -m bench.bots coach|ptb|ptb-ours|aiogram``), long-polling it;
- this one, which only starts and stops them and collects the figures over HTTP.

Capacity (closed loop): N founders (1, 50, 500) each send their next update the moment the
reply to the previous one arrives; after a warm-up, count the updates answered in a fixed
window. Our bot runs real coaching flows (consent, onboarding, then team, funding and
marketing with valid answers, tapped or typed, in a loop); the reference bots echo text.
With 500 founders, ours is primed first (each founder starts, agrees and answers a few
onboarding questions), so that the window holds answers inside flows, not first contacts.

Latency (open loop): Poisson arrivals at 20, 100 and 300 updates per second over 500
founders (each arrival goes to an idle founder, the one idle longest; primed the same
way); the latency of an update runs from the moment it is queued for getUpdates to the arrival of
the bot's first reply to it at the fake (long-poll waits included).

The bot's rate limiter stays in place but paces at BENCH_MAX_RATE (100 000 messages per
second), so it never holds a reply back; the fake does not rate limit here.

    python -m bench updates             (or: make bench)
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench.common import save
from bench.harness import CpuMeter, Fake, bot_process, code_state, fake_server, quiet_machine

FOUNDERS = (1, 50, 500)
BOTS = {  # name in the results: (bench.bots kind, load generator mode)
    "founder_coach": ("coach", "flows"),
    "ptb_echo": ("ptb", "echo"),
    "ptb_echo_our_settings": ("ptb-ours", "echo"),
    "aiogram_echo": ("aiogram", "echo"),
}
WARMUP = 2.0
DURATION = 10.0
RATES = (20, 100, 300)
LATENCY_FOUNDERS = 500
LATENCY_WARMUP = 2.0
LATENCY_DURATION = 10.0
PRIME_UPDATES = 2  # /start and the consent tap at least, before measuring
PRIME_SPREAD = 8  # founder i sends PRIME_UPDATES + i % PRIME_SPREAD updates first
PRIME_ABOVE = 50  # capacity runs with more founders than this are primed first
MAX_RATE = 100_000  # messages per second: the limiter is in the path but never waits
DRAIN = 15.0
TARGET_RATIO_PTB = 0.8  # ours / PTB echo at N = 50
TARGET_P99_MS = 25.0  # first-reply p99 at 100 updates per second


async def _window(fake: Fake, bot_pid: int, warmup: float, duration: float) -> dict[str, Any]:
    """Sleep through warm-up and window; return the CPU used in the window (cores)."""
    meter = CpuMeter(bot_pid, fake.pid)
    await asyncio.sleep(warmup)
    meter.begin()
    await asyncio.sleep(duration)
    return meter.end()


async def capacity(name: str, founders: int, logs: Path) -> dict[str, Any]:
    """One closed-loop run of one bot with ``founders`` founders."""
    kind, mode = BOTS[name]
    # a fresh database: the fake numbers updates from 1 again, and the bot's ledger would
    # drop those ids as deliveries it has already seen
    database = logs / f"{name}-{founders}.db"
    extra = {"BENCH_MAX_RATE": str(MAX_RATE), "FOUNDER_COACH_DB": str(database)}
    quiet = await quiet_machine()
    async with fake_server(logs) as fake, bot_process(kind, fake, logs, **extra) as bot:
        primed = mode == "flows" and founders > PRIME_ABOVE
        if primed:
            await prime(fake, founders)
        await fake.sim(
            "bench_start",
            {"mode": mode, "founders": founders, "warmup": WARMUP, "duration": DURATION},
        )
        cpu = await _window(fake, bot.pid, WARMUP, DURATION)
        figures = await fake.sim("bench_stop", {"drain": DRAIN})
    figures.pop("ok", None)
    return {**figures, **cpu, "primed": primed, "before_start": quiet}


async def prime(fake: Fake, founders: int) -> None:
    """Bring every founder into a flow before measuring: /start, consent and 0 to 7 answers.

    Otherwise a window with 500 founders holds little but their first three updates
    (/start, the consent tap, their name), not answers at different points of a flow.
    """
    await fake.sim(
        "bench_start",
        {"mode": "flows", "founders": founders, "limit": PRIME_UPDATES, "spread": PRIME_SPREAD,
         "duration": 600},
    )  # fmt: skip
    await fake.sim("bench_settle", {"timeout": 300})
    await fake.sim("bench_stop", {"drain": 0})


async def latency(logs: Path) -> dict[str, Any]:
    """Open-loop runs at each rate, one after the other, against one bot process."""
    results: dict[str, Any] = {}
    extra = {"BENCH_MAX_RATE": str(MAX_RATE), "FOUNDER_COACH_DB": str(logs / "latency.db")}
    async with fake_server(logs) as fake, bot_process("coach", fake, logs, **extra) as bot:
        await prime(fake, LATENCY_FOUNDERS)
        for rate in RATES:
            quiet = await quiet_machine()
            await fake.sim(
                "bench_start",
                {"mode": "flows", "founders": LATENCY_FOUNDERS, "rate": rate,
                 "warmup": LATENCY_WARMUP, "duration": LATENCY_DURATION, "seed": rate},
            )  # fmt: skip
            cpu = await _window(fake, bot.pid, LATENCY_WARMUP, LATENCY_DURATION)
            figures = await fake.sim("bench_stop", {"drain": DRAIN})
            figures.pop("ok", None)
            results[str(rate)] = {**figures, **cpu, "before_start": quiet}
            _print_latency(rate, results[str(rate)])
    return results


def _print_capacity(name: str, founders: int, figures: dict[str, Any]) -> None:
    print(
        f"  {name:<22} N={founders:<4} {figures['updates_per_second']:>8.1f} updates/s"
        f"  (CPU: bot {figures['bot_cpu']}, fake {figures['fake_cpu']},"
        f" others {figures['other_cpu']};"
        f" invalid {figures['invalid_answers']}, stalls {figures['stalls']})",
        flush=True,
    )


def _print_latency(rate: int, figures: dict[str, Any]) -> None:
    first = figures["latency_first_reply_ms"]
    print(
        f"  {rate:>4}/s: achieved {figures['issued_per_second']}/s, first reply"
        f" p50 {first['p50']} ms, p99 {first['p99']} ms, max {first['max']} ms"
        f" (n={first['count']}; CPU: bot {figures['bot_cpu']}, others {figures['other_cpu']})",
        flush=True,
    )


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 2) if theirs else None


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as folder:
        logs = Path(folder)
        print("Capacity (closed loop, updates answered per second):", flush=True)
        runs: dict[str, dict[str, Any]] = {name: {} for name in BOTS}
        for founders in FOUNDERS:
            for name in BOTS:
                figures = await capacity(name, founders, logs)
                runs[name][str(founders)] = figures
                _print_capacity(name, founders, figures)
        print("Latency (open loop, 500 founders, our bot):", flush=True)
        latencies = await latency(logs)
    ratios: dict[str, dict[str, float | None]] = {}
    for founders in FOUNDERS:
        ours = runs["founder_coach"][str(founders)]["updates_per_second"]
        ratios[str(founders)] = {
            f"founder_coach/{name}": _ratio(ours, runs[name][str(founders)]["updates_per_second"])
            for name in BOTS
            if name != "founder_coach"
        }
    ratio_ptb = ratios["50"]["founder_coach/ptb_echo"]
    p99 = latencies[str(100)]["latency_first_reply_ms"]["p99"]
    return {
        "capacity": runs,
        "ratios": ratios,
        "latency": latencies,
        "targets": {
            "capacity_ours_over_ptb_echo_at_50": {
                "target": TARGET_RATIO_PTB,
                "value": ratio_ptb,
                "met": ratio_ptb is not None and ratio_ptb >= TARGET_RATIO_PTB,
            },
            "latency_p99_ms_at_100_per_second": {
                "target": TARGET_P99_MS,
                "value": p99,
                "met": p99 is not None and p99 <= TARGET_P99_MS,
            },
        },
    }


def main() -> None:
    code = code_state()  # before: someone may commit while it runs
    figures = asyncio.run(measure())
    save(
        "updates",
        {
            "code": code,
            "parameters": {
                "founders": list(FOUNDERS),
                "warmup_seconds": WARMUP,
                "window_seconds": DURATION,
                "latency_rates_per_second": list(RATES),
                "latency_founders": LATENCY_FOUNDERS,
                "latency_warmup_seconds": LATENCY_WARMUP,
                "latency_window_seconds": LATENCY_DURATION,
                "primed": f"before the latency runs and capacity runs of our bot with over "
                f"{PRIME_ABOVE} founders, founder i first sends {PRIME_UPDATES} + i % "
                f"{PRIME_SPREAD} updates (/start, consent, then onboarding answers)",
                "bot_rate_limiter": f"AIORateLimiter paced at {MAX_RATE} messages/s "
                "(BENCH_MAX_RATE; TELEGRAM_MAX_RATE is capped at 30)",
                "fake_rate_limit": None,
                "bots": {name: kind for name, (kind, _) in BOTS.items()},
            },
            **figures,
        },
    )
    print("Ratios (updates/s of our bot over the echo bot's):")
    for founders, ratios in figures["ratios"].items():
        print(f"  N={founders}: {ratios}")
    for name, target in figures["targets"].items():
        print(f"  {name}: {target['value']} (target {target['target']}, met: {target['met']})")


if __name__ == "__main__":
    main()
