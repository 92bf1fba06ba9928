"""Update throughput, latency and CPU of the Telegram bot, beside its peers, in one run.

Three kinds of process, all on 127.0.0.1 (see bench/harness.py):

- the fake Bot API with the simulated founders inside it (``python -m bench.loadgen``);
- the bot under test (``python -m bench.bots KIND``), long-polling it;
- this one, which only starts and stops them and collects the figures over HTTP.

**Capacity** (closed loop, 50 founders, each sends their next update the moment the
reply to the previous one arrives), the variants *interleaved* and each repeated
(``ROUNDS``): our bot on its aiohttp request class and on PTB's default httpx; the fair
peer (a PTB ``ConversationHandler`` + ``PicklePersistence`` bot asking the onboarding
questions with the same calls per tap, bench/peer_bot.py); the PTB and aiogram echo bots.
Ours and the peer run real flows (consent, then questions answered by taps and typing);
the echo bots echo text. Reported per variant (median of the rounds, and every round):
updates answered per second, first-reply latency p50/p99, and **CPU ms per update**: the
bot process's CPU time in the window over the updates answered in it, the figure that
stays steady on a shared machine. Also the paced calls per update (sendMessage and edits).

**HTTP layer**: CPU ms per ``sendMessage`` of a bare PTB ``Bot`` in this process, with
HTTPXRequest and with our AiohttpRequest, interleaved, 8 calls in flight.

**At the send limit**: our bot with its limiter at Telegram-like 25 messages a second, 50
founders in a closed loop: turns per second and paced calls per turn.

**A flood**: one more founder sends 1 000 messages (500 a second) beside 50 others, and
the first-reply p99 of the 50: once with the 50 in a closed loop (the bot saturated, so
their wait is mostly each other), and, interleaved ``rounds`` times with the same run
without the flood, with the 50 typing at a steady 20 updates a second (open loop), which
shows what the flood itself adds; the target is read from the latter.

**Latency** (open loop): Poisson arrivals at 100 updates per second (and 20 and 300 in a
full run) over primed founders; an update's latency runs from the moment it is queued for
``getUpdates`` to the arrival of the bot's first reply at the fake.

Except at the send limit the limiter stays in place but paces at BENCH_MAX_RATE
(100 000 a second), so it never holds a reply back; the fake does not rate limit.

    python -m bench updates [--quick]       (or: make bench)

``--quick`` checks that everything runs (two rounds of short windows, fewer founders for
latency) and saves ``updates_quick.json``; only a full run on a quiet machine gives the
figures the README quotes (``updates.json``).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common
from bench.common import median, save
from bench.harness import (
    TOKEN,
    CpuMeter,
    Fake,
    bot_process,
    code_state,
    fake_server,
    quiet_machine,
)

VARIANTS = {  # name in the results: (bench.bots kind, load generator mode)
    "founder_coach": ("coach", "flows"),
    "founder_coach_httpx": ("coach-httpx", "flows"),
    "ptb_conversation_peer": ("ptb-conv", "flows"),
    "ptb_echo": ("ptb", "echo"),
    "aiogram_echo": ("aiogram", "echo"),
}
PACED = ("sendmessage", "editmessagetext", "editmessagereplymarkup")
MAX_RATE = 100_000  # messages per second: the limiter is in the path but never waits
SEND_LIMIT = 25.0  # TELEGRAM_MAX_RATE's default
FLOOD = 1000
FLOOD_OPEN_RATE = 20.0  # updates per second from the 50 others beside an open-loop flood
DRAIN = 15.0
PRIME_UPDATES = 2  # /start and the consent tap at least, before measuring
PRIME_SPREAD = 8  # founder i sends PRIME_UPDATES + i % PRIME_SPREAD updates first


def parameters(quick: bool) -> dict[str, Any]:
    """How long and how much: a full run, or a quick check that everything works."""
    if quick:
        return {"rounds": 2, "founders": 50, "warmup": 1.0, "window": 3.0,
                "latency_founders": 100, "latency_rates": [100], "http_calls": 300,
                "quiet_patience": 2.0}  # fmt: skip
    return {"rounds": 3, "founders": 50, "warmup": 2.0, "window": 10.0,
            "latency_founders": 500, "latency_rates": [20, 100, 300], "http_calls": 2000,
            "quiet_patience": 20.0}  # fmt: skip


TARGETS = {  # figure: (target, higher is better)
    "cpu_ms_per_update": (3.0, False),
    "ours_over_ptb_conversation_peer": (1.5, True),
    "ours_over_ptb_echo": (0.5, True),
    "paced_calls_per_turn_at_send_limit": (1.05, False),
    "turns_per_second_at_send_limit": (23.0, True),
    "latency_p99_ms_at_100_per_second": (50.0, False),
    "flood_others_p99_ms": (500.0, False),
}


# ------------------------------------------------------------------ one run


async def run_closed(
    kind: str,
    mode: str,
    logs: Path,
    p: dict[str, Any],
    *,
    rate: float = MAX_RATE,
    flood: int = 0,
    tag: str = "",
) -> dict[str, Any]:
    """One closed-loop window of one bot process against a fresh fake and database."""
    # a fresh database: the fake numbers updates from 1 again, and the bot's ledger would
    # drop those ids as deliveries it has already seen
    database = logs / f"{kind}-{tag}-{time.monotonic_ns()}.db"
    extra = {
        "BENCH_MAX_RATE": str(rate),
        "FOUNDER_COACH_DB": str(database),
        "BENCH_PEER_DIR": str(logs),
    }
    quiet = await quiet_machine(patience=p["quiet_patience"])
    async with fake_server(logs) as fake, bot_process(kind, fake, logs, **extra) as bot:
        body = {"mode": mode, "founders": p["founders"], "warmup": p["warmup"],
                "duration": p["window"], "flood": flood}  # fmt: skip
        await fake.sim("bench_start", body)
        cpu = await _window(fake, bot.pid, p["warmup"], p["window"])
        figures = await fake.sim("bench_stop", {"drain": DRAIN})
    figures.pop("ok", None)
    return {**figures, **cpu, **_per_update(figures, cpu), "before_start": quiet}


async def _window(fake: Fake, bot_pid: int, warmup: float, duration: float) -> dict[str, Any]:
    """Sleep through warm-up and window; return the CPU used in the window (cores)."""
    meter = CpuMeter(bot_pid, fake.pid)
    await asyncio.sleep(warmup)
    meter.begin()
    await asyncio.sleep(duration)
    return meter.end()


def _per_update(figures: dict[str, Any], cpu: dict[str, Any]) -> dict[str, float | None]:
    """CPU ms and paced calls per answered update."""
    answered = figures["answered"]
    if not answered:
        return {"cpu_ms_per_update": None, "paced_calls_per_update": None}
    cores = cpu.get("bot_cpu")
    ms = None if cores is None else cores * figures["window_seconds"] * 1000 / answered
    paced = sum(figures["bot_calls"].get(method, 0) for method in PACED)
    return {
        "cpu_ms_per_update": None if ms is None else round(ms, 2),
        "paced_calls_per_update": round(paced / answered, 3),
    }


# ------------------------------------------------------------------ sections


async def capacity(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """Every variant once per round, in turn, ``rounds`` times."""
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for number in range(1, p["rounds"] + 1):
        print(f"Capacity, round {number} of {p['rounds']} ({p['founders']} founders):")
        for name, (kind, mode) in VARIANTS.items():
            figures = await run_closed(kind, mode, logs, p, tag=name)
            rounds[name].append(figures)
            _print_run(name, figures)
    return {name: {"median": _median(runs), "rounds": runs} for name, runs in rounds.items()}


async def http_layer(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """CPU ms per sendMessage in this process, httpx and aiohttp interleaved."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.adapters.telegram.http import AiohttpRequest

    kinds = {"httpx": HTTPXRequest, "aiohttp": AiohttpRequest}
    results: dict[str, list[float]] = {name: [] for name in kinds}
    async with fake_server(logs) as fake:
        for _ in range(p["rounds"]):
            for name, request in kinds.items():
                bot = Bot(TOKEN, base_url=fake.base_url, request=request(connection_pool_size=8))
                async with bot:
                    await _calls(bot, 50)  # warm: connections open, code paths hot
                    began = time.process_time()
                    await _calls(bot, p["http_calls"])
                    used = time.process_time() - began
                results[name].append(round(used * 1000 / p["http_calls"], 3))
    summary = {name: statistics.median(values) for name, values in results.items()}
    print(f"HTTP layer, CPU ms per sendMessage (median of rounds): {summary}")
    return {"cpu_ms_per_call": summary, "rounds": results, "in_flight": 8}


async def _calls(bot: Any, count: int) -> None:
    async def worker(share: int) -> None:
        for index in range(share):
            await bot.send_message(1, f"Hello number {index}")

    await asyncio.gather(*(worker(count // 8) for _ in range(8)))


async def send_limit(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """Our bot paced at 25 messages a second: what the send budget lets through."""
    figures = await run_closed("coach", "flows", logs, p, rate=SEND_LIMIT, tag="limit")
    turns = figures["updates_per_second"]
    paced = figures["paced_calls_per_update"]
    print(f"At the send limit ({SEND_LIMIT:g}/s): {turns} turns/s, {paced} paced calls per turn")
    return figures


async def flood(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """50 founders beside one who sends 1 000 messages: the others' first-reply latency."""
    figures = await run_closed("coach", "flows", logs, p, flood=FLOOD, tag="flood")
    first = figures["latency_first_reply_ms"]
    print(
        f"Flood of {FLOOD}: the others' first reply p50 {first['p50']} ms, p99 {first['p99']} ms"
    )
    return figures


async def flood_open(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """50 founders typing at a steady FLOOD_OPEN_RATE (open loop), with and without one more
    who sends 1 000 messages, interleaved, ``rounds`` times, against one bot process.

    The closed-loop flood (:func:`flood`) measures the others while the bot is saturated:
    50 founders who answer the instant a reply lands keep it at full load, so their wait
    is mostly each other (about 50 / throughput) whatever the flood does. Here the others
    leave the bot room, and what the flood adds to their wait is what shows.
    """
    extra = {"BENCH_MAX_RATE": str(MAX_RATE), "FOUNDER_COACH_DB": str(logs / "flood-open.db")}
    runs: dict[str, list[dict[str, Any]]] = {"without_flood": [], "with_flood": []}
    async with fake_server(logs) as fake, bot_process("coach", fake, logs, **extra) as bot:
        await fake.sim(
            "bench_start",
            {"mode": "flows", "founders": p["founders"], "limit": PRIME_UPDATES,
             "spread": PRIME_SPREAD, "duration": 600},
        )  # fmt: skip
        await fake.sim("bench_settle", {"timeout": 300})
        await fake.sim("bench_stop", {"drain": 0})
        for number in range(1, p["rounds"] + 1):
            for name, count in (("without_flood", 0), ("with_flood", FLOOD)):
                quiet = await quiet_machine(patience=p["quiet_patience"])
                await fake.sim(
                    "bench_start",
                    {"mode": "flows", "founders": p["founders"], "rate": FLOOD_OPEN_RATE,
                     "warmup": p["warmup"], "duration": p["window"], "seed": number,
                     "flood": count},
                )  # fmt: skip
                cpu = await _window(fake, bot.pid, p["warmup"], p["window"])
                figures = await fake.sim("bench_stop", {"drain": DRAIN})
                figures.pop("ok", None)
                runs[name].append({**figures, **cpu, "before_start": quiet})
                first = figures["latency_first_reply_ms"]
                print(f"  round {number}, {name:<13} others at {FLOOD_OPEN_RATE:g}/s: first"
                      f" reply p50 {first['p50']} ms, p99 {first['p99']} ms"
                      f" (n={first['count']})", flush=True)  # fmt: skip
    result: dict[str, Any] = {"rate": FLOOD_OPEN_RATE, "founders": p["founders"]}
    for name, figures in runs.items():
        result[name] = {
            "p50_ms": median([f["latency_first_reply_ms"]["p50"] for f in figures]),
            "p99_ms": median([f["latency_first_reply_ms"]["p99"] for f in figures]),
            "rounds": figures,
        }
    return result


async def latency(logs: Path, p: dict[str, Any]) -> dict[str, Any]:
    """Open-loop runs at each rate, one after the other, against one bot process."""
    results: dict[str, Any] = {}
    founders = p["latency_founders"]
    extra = {"BENCH_MAX_RATE": str(MAX_RATE), "FOUNDER_COACH_DB": str(logs / "latency.db")}
    async with fake_server(logs) as fake, bot_process("coach", fake, logs, **extra) as bot:
        await fake.sim(
            "bench_start",
            {"mode": "flows", "founders": founders, "limit": PRIME_UPDATES,
             "spread": PRIME_SPREAD, "duration": 600},
        )  # fmt: skip
        await fake.sim("bench_settle", {"timeout": 300})
        await fake.sim("bench_stop", {"drain": 0})
        for rate in p["latency_rates"]:
            quiet = await quiet_machine(patience=p["quiet_patience"])
            await fake.sim(
                "bench_start",
                {"mode": "flows", "founders": founders, "rate": rate, "warmup": p["warmup"],
                 "duration": p["window"], "seed": rate},
            )  # fmt: skip
            cpu = await _window(fake, bot.pid, p["warmup"], p["window"])
            figures = await fake.sim("bench_stop", {"drain": DRAIN})
            figures.pop("ok", None)
            results[str(rate)] = {**figures, **cpu, **_per_update(figures, cpu),
                                  "before_start": quiet}  # fmt: skip
            first = figures["latency_first_reply_ms"]
            print(f"  {rate:>4}/s open loop: first reply p50 {first['p50']} ms,"
                  f" p99 {first['p99']} ms (n={first['count']})")  # fmt: skip
    return results


# ------------------------------------------------------------------ figures


def _median(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    return {
        "updates_per_second": median([r["updates_per_second"] for r in runs]),
        "cpu_ms_per_update": median([r["cpu_ms_per_update"] for r in runs]),
        "paced_calls_per_update": median([r["paced_calls_per_update"] for r in runs]),
        "latency_first_reply_p50_ms": median([r["latency_first_reply_ms"]["p50"] for r in runs]),
        "latency_first_reply_p99_ms": median([r["latency_first_reply_ms"]["p99"] for r in runs]),
        "other_cpu": median([r["other_cpu"] for r in runs]),
    }


def _print_run(name: str, f: dict[str, Any]) -> None:
    first = f["latency_first_reply_ms"]
    print(
        f"  {name:<22} {f['updates_per_second']:>7.1f} updates/s"
        f"  CPU {f['cpu_ms_per_update']} ms/update, p50 {first['p50']} ms, p99 {first['p99']} ms"
        f"  (paced/update {f['paced_calls_per_update']}; others' CPU {f['other_cpu']};"
        f" invalid {f['invalid_answers']}, stalls {f['stalls']})",
        flush=True,
    )


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours and theirs else None


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets beside what this run measured."""
    runs = figures["capacity"]
    ours = runs["founder_coach"]["median"]

    def over(other: str, figure: str = "updates_per_second") -> float | None:
        return _ratio(ours[figure], runs[other]["median"][figure])

    value = {
        "cpu_ms_per_update": ours["cpu_ms_per_update"],
        "ours_over_ptb_conversation_peer": over("ptb_conversation_peer"),
        "ours_over_ptb_echo": over("ptb_echo"),
        "paced_calls_per_turn_at_send_limit": figures["send_limit"]["paced_calls_per_update"],
        "turns_per_second_at_send_limit": figures["send_limit"]["updates_per_second"],
        "latency_p99_ms_at_100_per_second": figures["latency"]["100"]["latency_first_reply_ms"][
            "p99"
        ],
        "flood_others_p99_ms": figures["flood_open"]["with_flood"]["p99_ms"],
    }
    out: dict[str, Any] = {}
    for name, (target, higher) in TARGETS.items():
        got = value[name]
        met = got is not None and (got >= target if higher else got <= target)
        out[name] = {"target": target, "value": got, "met": met}
    out["flood_others_p99_ms"]["closed_loop_value"] = figures["flood"]["latency_first_reply_ms"][
        "p99"
    ]
    out["flood_others_p99_ms"]["without_flood_value"] = figures["flood_open"]["without_flood"][
        "p99_ms"
    ]
    out["ratios"] = {
        other: {"throughput": over(other), "cpu_ms_per_update": over(other, "cpu_ms_per_update")}
        for other in VARIANTS
        if other != "founder_coach"
    }
    return out


async def measure(p: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as folder:
        logs = Path(folder)
        figures: dict[str, Any] = {"capacity": await capacity(logs, p)}
        figures["http_layer"] = await http_layer(logs, p)
        figures["send_limit"] = await send_limit(logs, p)
        figures["flood"] = await flood(logs, p)
        print(f"A flood beside 50 founders at {FLOOD_OPEN_RATE:g} updates/s (open loop):")
        figures["flood_open"] = await flood_open(logs, p)
        print("Latency (open loop, our bot):")
        figures["latency"] = await latency(logs, p)
    figures["targets"] = summary(figures)
    return figures


def main() -> None:
    quick = common.QUICK
    code = code_state()  # before: someone may commit while it runs
    p = parameters(quick)
    figures = asyncio.run(measure(p))
    save(
        "updates_quick" if quick else "updates",
        {
            "code": code,
            "quick": quick,
            "parameters": {
                **p,
                "variants": {name: kind for name, (kind, _) in VARIANTS.items()},
                "bot_rate_limiter": f"LaneLimiter at {MAX_RATE} messages/s (BENCH_MAX_RATE), "
                f"{SEND_LIMIT:g}/s for send_limit",
                "flood_messages": FLOOD,
                "cpu_ms_per_update": "bot process CPU (user + system) in the window / "
                "updates answered in the window",
                "fake_rate_limit": None,
            },
            **figures,
        },
    )
    for name, target in figures["targets"].items():
        if name != "ratios":
            print(f"  {name}: {target['value']} (target {target['target']}, met: {target['met']})")
    print(f"  ratios (ours / theirs): {figures['targets']['ratios']}")


if __name__ == "__main__":
    main()
