"""Capacity of one SQLite worker beside one and two workers on PostgreSQL (issue #15).

Every variant runs our bot in webhook mode (``python -m bench.bots coach`` with the
webhook settings), so the only difference is the database and the number of workers:

- ``sqlite_1_worker``: the embedded default, one process on a SQLite file;
- ``postgresql_1_worker`` and ``postgresql_2_workers``: the same bot on a PostgreSQL
  server started by the benchmark (Debian's package, PostgreSQL's own durability defaults:
  fsync and synchronous commits on, as an operator runs it), a fresh database each run.

The fake Bot API (bench/loadgen.py) plays Telegram and the load balancer: each update is
POSTed to a worker picked at random, and posted again to another if it fails. 50 founders
in a closed loop run the real flows; the variants are interleaved and each repeated
(``rounds``). Reported per variant: updates answered per second, first-reply p50/p99, and
CPU ms per update of the workers (all of them together), of PostgreSQL (the postmaster and
its backends) and of both. The send budget paces at BENCH_MAX_RATE (never waits), but on
PostgreSQL every paced call still takes its slot from the shared budget row, as in
production.

Be honest about the machine: two cores are shared by PostgreSQL, the fake, the load
balancer and the workers, so a second worker adds CPU contention, not cores; the figure
shows what a second worker costs and whether ordering across workers holds up under
load, not what two machines would give.

    python -m bench workers [--quick]

``--quick`` saves ``workers_quick.json`` (short windows: a check that it works).
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from pathlib import Path
from typing import Any

from bench import common
from bench.common import median, save
from bench.harness import (
    BenchError,
    CpuMeter,
    Fake,
    code_state,
    fake_server,
    quiet_machine,
    worker_process,
)

VARIANTS = {  # name: (database, workers)
    "sqlite_1_worker": ("sqlite", 1),
    "postgresql_1_worker": ("postgresql", 1),
    "postgresql_2_workers": ("postgresql", 2),
}
MAX_RATE = 100_000  # messages per second: the budget is in the path but never waits
SECRET = "bench-workers-secret"
DRAIN = 15.0
PACED = ("sendmessage", "editmessagetext", "editmessagereplymarkup")


def parameters(quick: bool) -> dict[str, Any]:
    if quick:
        return {"rounds": 1, "founders": 50, "warmup": 1.0, "window": 3.0,
                "quiet_patience": 2.0}  # fmt: skip
    return {"rounds": 3, "founders": 50, "warmup": 2.0, "window": 10.0,
            "quiet_patience": 20.0}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_variant(
    name: str, server: Any, logs: Path, p: dict[str, Any], round_number: int
) -> dict[str, Any]:
    """One closed-loop window of one deployment against a fresh fake and database."""
    backend, workers = VARIANTS[name]
    extra = {"BENCH_MAX_RATE": str(MAX_RATE), "TELEGRAM_WEBHOOK_REGISTER": "false"}
    url = None
    if backend == "postgresql":
        url = await server.create()
        extra["FOUNDER_COACH_DATABASE_URL"] = url
    else:
        extra["FOUNDER_COACH_DB"] = str(logs / f"{name}-{round_number}.db")
    quiet = await quiet_machine(patience=p["quiet_patience"])
    ports = [_free_port() for _ in range(workers)]
    try:
        async with fake_server(logs) as fake:
            processes = []
            try:
                for port in ports:
                    context = worker_process(fake, logs, port, SECRET, **extra)
                    processes.append((context, await context.__aenter__()))
                urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
                await fake.sim("bench_webhooks", {"urls": urls, "secret": SECRET})
                pids = [process.pid for _, process in processes]
                figures = await _window(fake, pids, server.pid if url else None, p)
                figures["pushed"] = await fake.sim("bench_pushed")
            finally:
                for context, _ in reversed(processes):
                    await context.__aexit__(None, None, None)
    finally:
        if url is not None:
            await server.drop(url)
    figures["before_start"] = quiet
    return figures


async def _window(
    fake: Fake, pids: list[int], database_pid: int | None, p: dict[str, Any]
) -> dict[str, Any]:
    body = {"mode": "flows", "founders": p["founders"], "warmup": p["warmup"],
            "duration": p["window"]}  # fmt: skip
    await fake.sim("bench_start", body)
    meter = CpuMeter(pids[0], fake.pid, more_bots=tuple(pids[1:]), database_pid=database_pid)
    await asyncio.sleep(p["warmup"])
    meter.begin()
    await asyncio.sleep(p["window"])
    cpu = meter.end()
    figures = await fake.sim("bench_stop", {"drain": DRAIN})
    figures.pop("ok", None)
    return {**figures, **cpu, **_per_update(figures, cpu)}


def _per_update(figures: dict[str, Any], cpu: dict[str, Any]) -> dict[str, Any]:
    answered = figures["answered"]
    seconds = figures["window_seconds"]

    def ms(cores: float | None) -> float | None:
        if cores is None or not answered:
            return None
        return round(cores * seconds * 1000 / answered, 2)

    workers, database = ms(cpu.get("bot_cpu")), ms(cpu.get("database_cpu"))
    paced = sum(figures["bot_calls"].get(method, 0) for method in PACED)
    return {
        "workers_cpu_ms_per_update": workers,
        "database_cpu_ms_per_update": database,
        "cpu_ms_per_update": None if workers is None else round(workers + (database or 0), 2),
        "paced_calls_per_update": round(paced / answered, 3) if answered else None,
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    return {
        "updates_per_second": median([r["updates_per_second"] for r in runs]),
        "workers_cpu_ms_per_update": median([r["workers_cpu_ms_per_update"] for r in runs]),
        "database_cpu_ms_per_update": median([r["database_cpu_ms_per_update"] for r in runs]),
        "cpu_ms_per_update": median([r["cpu_ms_per_update"] for r in runs]),
        "latency_first_reply_p50_ms": median([r["latency_first_reply_ms"]["p50"] for r in runs]),
        "latency_first_reply_p99_ms": median([r["latency_first_reply_ms"]["p99"] for r in runs]),
        "other_cpu": median([r["other_cpu"] for r in runs]),
    }


def _print_run(name: str, f: dict[str, Any]) -> None:
    first = f["latency_first_reply_ms"]
    print(
        f"  {name:<22} {f['updates_per_second']:>6.1f} updates/s  CPU/update: workers "
        f"{f['workers_cpu_ms_per_update']} ms, PostgreSQL {f['database_cpu_ms_per_update']} ms;"
        f" p50 {first['p50']} ms, p99 {first['p99']} ms (others' CPU {f['other_cpu']};"
        f" invalid {f['invalid_answers']}, stalls {f['stalls']}, re-posted"
        f" {f['pushed'].get('retried')})",
        flush=True,
    )


async def measure(p: dict[str, Any]) -> dict[str, Any]:
    from tests import postgres_server

    server = postgres_server.start(durable=True)
    if isinstance(server, str):
        raise BenchError(f"the workers benchmark needs PostgreSQL: {server}")
    try:
        server.prepare_template()
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
            for number in range(1, p["rounds"] + 1):
                print(f"Workers, round {number} of {p['rounds']} ({p['founders']} founders):")
                for name in VARIANTS:
                    figures = await run_variant(name, server, Path(folder), p, number)
                    rounds[name].append(figures)
                    _print_run(name, figures)
    finally:
        server.stop()
    return {name: {"median": _median(runs), "rounds": runs} for name, runs in rounds.items()}


def main() -> None:
    from tests import postgres_server

    if postgres_server.binaries_missing():
        print(f"skipped: {postgres_server.binaries_missing()}")
        return
    quick = common.QUICK
    code = code_state()
    p = parameters(quick)
    figures = asyncio.run(measure(p))
    sqlite = figures["sqlite_1_worker"]["median"]["updates_per_second"]
    for name, runs in figures.items():
        got = runs["median"]
        relative = round(got["updates_per_second"] / sqlite, 2) if sqlite else None
        runs["median"]["over_sqlite"] = relative
        print(f"  {name}: {got} ({relative} of SQLite's throughput)")
    save(
        "workers_quick" if quick else "workers",
        {
            "code": code,
            "quick": quick,
            "parameters": {
                **p,
                "variants": {name: f"{db}, {n} worker(s)" for name, (db, n) in VARIANTS.items()},
                "postgresql": "Debian's server on a Unix socket, its own durability defaults",
                "delivery": "webhook POSTs to a random worker by the fake (load balancer)",
                "cpu_ms_per_update": "CPU (user + system) of all workers, and of PostgreSQL's "
                "processes, in the window / updates answered in the window",
                "bot_rate_limiter": f"{MAX_RATE} messages/s (BENCH_MAX_RATE): never waits",
            },
            "variants": figures,
        },
    )


if __name__ == "__main__":
    main()
