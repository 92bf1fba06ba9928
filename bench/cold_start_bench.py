"""Cold start on a large database: how soon a freshly started bot answers, and its memory.

The database (``bench/generate_db.py``: 100 000 founders, 2 million answers, 100 000
scheduled check-ins, a week of update records) is generated once and kept under the temp
dir, keyed by its parameters, the generator's source, the schema version and the day (its
check-ins must still be in the future). Each run starts on a fresh copy (synced to disk
first), so every start sees the same file, and:

- starts the fake Bot API server (``tests/fakes/bot_api.py``) in its own process;
- launches the real bot (``.venv/bin/founder-coach run``, log level WARNING) and at once
  has an existing founder send ``/start``;
- takes the time from launch until the bot's first ``sendMessage`` to that founder reaches
  the fake (the fake stamps calls with ``time.monotonic()``, the same clock as ours), and
  when ``getMe``, the last ``setMyCommands`` and the first ``getUpdates`` arrived: they
  split the start into interpreter and flows check / database and commands / check-in
  scheduler / the turn itself;
- reads ``VmRSS`` and ``VmHWM`` (the peak) from ``/proc/<pid>/status`` at the answer and
  after settling 3 s, then stops the bot with SIGTERM. The last run stays up 75 s, through
  the first check-in sweep, and reports that peak too.

Three restarts (the flows and content unchanged since the last start, so the template
check is remembered), one first start after a deploy (every template rendered again), and
one start on an empty database for the part of the start no data causes. The
median and max time to the first answer and the peak RSS are compared with the issue's
targets (2 s, 200 MB) and saved to bench/results/cold_start.json. ``COLD_START_SOURCE=DIR``
runs the bot of another checkout (``DIR/bot``) on the same database, without saving.

    python -m bench cold_start
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import common
from bench.common import save
from bench.generate_db import external_id, generate
from bot.catalog import CHECKED_MARK
from bot.storage import LATEST_VERSION

ROOT = Path(__file__).resolve().parent.parent
PARAMS = {
    "founders": 100_000,
    "answers": 2_000_000,
    "scheduled": 100_000,
    "templates": 48,
    "seed": 7,
}
QUICK_PARAMS = {"founders": 2_000, "answers": 40_000, "scheduled": 2_000, "templates": 48,
                "seed": 7}  # fmt: skip
RUNS = 3
SETTLE_S = 3.0
TARGET_FIRST_ANSWER_S = 2.0
TARGET_PEAK_RSS_MB = 200.0
TOKEN = "123456:BENCH-cold-start"
START_TIMEOUT_S = 120.0
WATCH_S = 75.0  # the sweep first runs a minute after start-up


def _params() -> dict[str, int]:
    return QUICK_PARAMS if common.QUICK else PARAMS


def cached_database() -> tuple[Path, dict[str, Any]]:
    """The generated database for today's parameters, generated if not there yet."""
    params = _params()
    source = (ROOT / "bench" / "generate_db.py").read_bytes()
    today = datetime.now(UTC).date().isoformat()
    key = hashlib.sha256(
        json.dumps([params, LATEST_VERSION, today]).encode() + source
    ).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / "founder-coach-bench" / f"cold-start-{key}"
    path, meta = folder / "coach.db", folder / "generated.json"
    if meta.exists() and path.exists():
        info = json.loads(meta.read_text())
        print(f"reusing {path} (generated in {info['seconds']} s)", flush=True)
        return path, info
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"generating {path} ...", flush=True)
    info = generate(path, **params)
    meta.write_text(json.dumps(info, indent=2))
    return path, info


def _status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and friends in kB, from /proc."""
    figures: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Vm"):
                name, value = line.split(":", 1)
                figures[name] = int(value.split()[0])
    return figures


def start_fake() -> tuple[subprocess.Popen[str], str]:
    """The fake Bot API server in its own process; its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.bot_api", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"the fake Bot API did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def bot_command() -> tuple[list[str], dict[str, str]]:
    """``founder-coach run`` of this checkout, or of the one ``COLD_START_SOURCE`` names."""
    source = os.environ.get("COLD_START_SOURCE")
    if source:  # e.g. a branch with a fix, measured on the same database
        return [sys.executable, "-m", "bot", "run"], {"PYTHONPATH": source}
    return [str(ROOT / ".venv" / "bin" / "founder-coach"), "run"], {}


def bot_env(base_url: str, db: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(bot_command()[1])
    environ.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=base_url,
        FOUNDER_COACH_DB=str(db),
        FOUNDER_COACH_LOG_LEVEL="WARNING",
        PYTHONIOENCODING="utf-8",
    )
    return environ


class Run:
    """One start of the bot on a copy of the database, watched from outside."""

    def __init__(self, source_db: Path | None, work: Path, chat_id: int) -> None:
        self.work, self.chat_id = work, chat_id
        self.db = work / "coach.db"
        for leftover in work.glob("coach.db*"):
            leftover.unlink()
        if source_db is not None:
            shutil.copyfile(source_db, self.db)
            os.sync()  # the copy's writeback must not slow the start being measured
        self.calls: list[dict[str, Any]] = []
        self.since = 0
        self.peak_sampled = 0

    def poll(self, client: httpx.Client, bot: subprocess.Popen[bytes]) -> None:
        """Fetch the calls the fake has answered since last time; sample the bot's RSS."""
        self.peak_sampled = max(self.peak_sampled, _status(bot.pid).get("VmRSS", 0))
        found = client.get("/_sim/calls", params={"since": self.since}).json()
        self.since = found["next"]
        self.calls += found["calls"]

    def answer(self) -> dict[str, Any] | None:
        for call in self.calls:
            if call["method"].lower() == "sendmessage" and call["params"].get("chat_id") == (
                self.chat_id
            ):
                return call
        return None

    def go(self, *, watch_until_s: float | None = None) -> dict[str, Any]:
        """Launch, send /start at once, wait for the answer, settle, (watch), stop."""
        fake, base_url = start_fake()
        client = httpx.Client(base_url=base_url.removesuffix("/bot"), timeout=30)
        log = open(self.work / "bot.log", "w+", encoding="utf-8")  # noqa: SIM115 - closed below
        bot = None
        try:
            began = time.monotonic()
            bot = subprocess.Popen(
                bot_command()[0],
                cwd=self.work,
                env=bot_env(base_url, self.db),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            client.post("/_sim/user_sends", json={"user_id": self.chat_id, "text": "/start"})
            while (answer := self.answer()) is None:
                if time.monotonic() - began > START_TIMEOUT_S:
                    raise RuntimeError(f"no answer in {START_TIMEOUT_S} s; see {log.name}")
                if bot.poll() is not None:
                    raise RuntimeError(f"the bot exited ({bot.returncode}); see {log.name}")
                self.poll(client, bot)
                time.sleep(0.02)
            at_answer = _status(bot.pid)
            until = time.monotonic() + SETTLE_S
            while time.monotonic() < until:
                self.poll(client, bot)
                time.sleep(0.02)
            settled = _status(bot.pid)
            watched = None
            if watch_until_s is not None:
                while time.monotonic() - began < watch_until_s:
                    self.poll(client, bot)
                    time.sleep(0.1)
                watched = _status(bot.pid)
            stopping = time.monotonic()
            bot.send_signal(signal.SIGTERM)
            code = bot.wait(timeout=60)
            stopped_s = time.monotonic() - stopping
            self.poll_after_exit(client)
        finally:
            if bot is not None and bot.poll() is None:
                bot.kill()
                bot.wait()
            client.close()
            fake.send_signal(signal.SIGTERM)
            fake.wait(timeout=30)
            log.seek(0)
            output = log.read()
            log.close()
        return self.figures(began, answer, at_answer, settled, watched, code, stopped_s, output)

    def poll_after_exit(self, client: httpx.Client) -> None:
        self.calls += client.get("/_sim/calls", params={"since": self.since}).json()["calls"]

    def figures(
        self,
        began: float,
        answer: dict[str, Any],
        at_answer: dict[str, int],
        settled: dict[str, int],
        watched: dict[str, int] | None,
        code: int,
        stopped_s: float,
        output: str,
    ) -> dict[str, Any]:
        def arrivals(method: str) -> list[float]:
            return [c["time"] - began for c in self.calls if c["method"].lower() == method.lower()]

        def mb(kb: int) -> float:
            return round(kb / 1024, 1)

        figures: dict[str, Any] = {
            "first_answer_s": round(answer["time"] - began, 3),
            "milestones_s": {  # when these calls reached the fake, from launch
                "getMe": round(min(arrivals("getMe")), 3),
                "last_setMyCommands": round(max(arrivals("setMyCommands")), 3),
                "first_getUpdates": round(min(arrivals("getUpdates")), 3),
                "first_answer": round(answer["time"] - began, 3),
            },
            "rss_mb_at_answer": mb(at_answer["VmRSS"]),
            "rss_mb_settled": mb(settled["VmRSS"]),
            "peak_rss_mb": mb(settled["VmHWM"]),
            "exit_code": code,
            "stop_s": round(stopped_s, 2),
            "log_tail": output.strip().splitlines()[-3:],
            "other_messages": sum(
                1
                for c in self.calls
                if c["method"].lower() == "sendmessage"
                and c["params"].get("chat_id") != self.chat_id
            ),
        }
        if watched is not None:
            figures["watched_s"] = round(time.monotonic() - began, 1)
            figures["peak_rss_mb_watched"] = mb(watched["VmHWM"])
            figures["rss_mb_watched"] = mb(watched["VmRSS"])
        return figures


# What two parts of the start cost, each timed in a fresh interpreter with the modules
# already imported: the knowledge base read and its FTS5 index built (load_knowledge, as
# post_init does), and the start-up template check (check_templates(thorough=False), as
# load_checked_catalog does on a start after a deploy; a restart skips it).
_PARTS = """
import json, sys, time
from pathlib import Path
from bot.engine.loader import load_catalog
from bot.knowledge import load_knowledge
from bot.rendering.check import check_templates
root = Path(sys.argv[1])
began = time.perf_counter()
load_knowledge(root / "content")
knowledge = time.perf_counter() - began
catalog = load_catalog(root / "flows", root / "content", strict=False)
began = time.perf_counter()
problems = check_templates(catalog, root / "content", thorough=False)
check = time.perf_counter() - began
print(json.dumps({"knowledge_load_and_index": round(knowledge * 1000, 1),
                  "template_check_thorough_false": round(check * 1000, 1),
                  "template_problems": len(problems)}))
"""


def start_parts() -> dict[str, float]:
    """The knowledge index build and the start-up template check, in ms (median of 3)."""
    source = Path(os.environ.get("COLD_START_SOURCE") or ROOT)
    env = {**os.environ, "PYTHONPATH": str(source)}
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", _PARTS, str(source)],
            capture_output=True, text=True, env=env, cwd=source, timeout=300, check=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout))
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def report(label: str, result: dict[str, Any]) -> None:
    print(
        f"{label}: first answer {result['first_answer_s']:.2f} s, peak RSS "
        f"{result['peak_rss_mb']:.0f} MB, settled {result['rss_mb_settled']:.0f} MB"
        + (
            f", peak through the first sweep {result['peak_rss_mb_watched']:.0f} MB"
            if "peak_rss_mb_watched" in result
            else ""
        )
        + f"; milestones {result['milestones_s']}",
        flush=True,
    )


def measure() -> dict[str, Any]:
    db, info = cached_database()
    chat_id = int(external_id(_params()["founders"] // 2))
    repeats = 1 if common.QUICK else RUNS
    runs = []
    with tempfile.TemporaryDirectory(prefix="cold-start-") as folder:
        work = Path(folder)
        baseline = Run(None, work, chat_id).go()  # the same start on an empty database
        report("empty database", baseline)
        # A start after new flows or content were deployed renders every template once
        # more (bot/catalog.py); a restart with the same files skips that. Both are shown.
        for mark in work.glob(f"{CHECKED_MARK}*"):
            mark.unlink()
        deploy = Run(db, work, chat_id).go()
        report("first start after a deploy (templates checked)", deploy)
        for number in range(1, repeats + 1):
            # the last run stays up through the first sweep (a minute after start-up)
            watch = WATCH_S if number == repeats and not common.QUICK else None
            result = Run(db, work, chat_id).go(watch_until_s=watch)
            runs.append(result)
            report(f"run {number}", result)
    answers = [r["first_answer_s"] for r in runs]
    peaks = [r["peak_rss_mb"] for r in runs]
    figures = {
        "first_answer_s_median": round(statistics.median(answers), 2),
        "first_answer_s_max": round(max(answers), 2),
        "peak_rss_mb_median": round(statistics.median(peaks), 1),
        "peak_rss_mb_max": round(max(peaks), 1),
        "rss_mb_settled_median": round(statistics.median(r["rss_mb_settled"] for r in runs), 1),
        "peak_rss_mb_through_first_sweep": runs[-1].get("peak_rss_mb_watched", 0.0),
        "after_deploy_first_answer_s": deploy["first_answer_s"],
        "after_deploy_peak_rss_mb": deploy["peak_rss_mb"],
        "empty_database_first_answer_s": baseline["first_answer_s"],
        "empty_database_peak_rss_mb": baseline["peak_rss_mb"],
    }
    targets = {
        "first_answer_s": TARGET_FIRST_ANSWER_S,
        "peak_rss_mb": TARGET_PEAK_RSS_MB,
        "first_answer_met": figures["first_answer_s_max"] <= TARGET_FIRST_ANSWER_S,
        "peak_rss_met": max(figures["peak_rss_mb_max"], figures["peak_rss_mb_through_first_sweep"])
        <= TARGET_PEAK_RSS_MB,
    }
    database = {
        "founders": _params()["founders"],
        "rows": info["rows"],
        "scheduled_checkins": info["scheduled_checkins"],
        "file_mb": info["file_mb"],
        "generation_s": info["seconds"],
        "generated_for": info["now"],
        "copied_per_run": True,
    }
    parts = start_parts()
    figures["start_parts_ms"] = parts
    figures["knowledge_index_share_of_first_answer"] = round(
        parts["knowledge_load_and_index"] / 1000 / figures["first_answer_s_median"], 3
    )
    return {
        "database": database,
        "runs": runs,
        "after_deploy": deploy,
        "empty_database": baseline,
        "figures": figures,
        "targets": targets,
    }


def main() -> None:
    result = measure()
    if common.QUICK:
        print("(--quick: a small database and one run, only to check the benchmark works)")
        save("cold_start_quick", {**result, "repeats": 1, "settle_s": SETTLE_S})
    elif os.environ.get("COLD_START_SOURCE"):
        print(f"(the bot of {os.environ['COLD_START_SOURCE']}; not saved)")
    else:
        save("cold_start", {**result, "repeats": RUNS, "settle_s": SETTLE_S})
    figures, targets, database = result["figures"], result["targets"], result["database"]
    print(
        f"Cold start on {database['file_mb']:,.0f} MB ({database['founders']:,} founders, "
        f"{database['rows']['answers']:,} answers, {database['scheduled_checkins']:,} scheduled "
        f"check-ins), {1 if common.QUICK else RUNS} runs:"
    )
    for key, value in figures.items():
        print(f"  {key}: {value}")
    met = {True: "met", False: "MISSED"}
    print(
        f"  target first answer <= {TARGET_FIRST_ANSWER_S} s: {met[targets['first_answer_met']]}"
    )
    print(f"  target peak RSS <= {TARGET_PEAK_RSS_MB:.0f} MB: {met[targets['peak_rss_met']]}")


if __name__ == "__main__":
    main()
