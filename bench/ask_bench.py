"""/ask: recall@3 on the golden questions and the latency of an answer without a model.

Loads the knowledge base as start-up does (timed), then for each locale runs every golden
question (``tests/knowledge/golden_*.yaml``) through the search with its calibrated
threshold: recall@3 is the share whose expected passages are all among the (at most three)
passages shown, and the off-topic questions must get none. Three held-out sets follow:
``tests/knowledge/heldout_*.yaml`` and ``fresh_*.yaml`` were each blind when first scored
and then studied for founders' phrases (``content/<locale>/knowledge/phrases.yaml``), so
only ``fresh2_*.yaml``, written before the last round and never tuned on, is still the
recall to expect on questions nobody has seen.
Latency is measured through a real Coach on a temporary SQLite file: ``/ask <question>``
for a founder who finished onboarding, 400 turns, p50 and p99. The search alone is timed too.
Saved to bench/results/ask.json.

    python -m bench ask
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import save
from bot.catalog import load_checked_catalog
from bot.clock import SystemClock
from bot.coach import Coach
from bot.knowledge import load_knowledge
from bot.models import Said, UserRef
from bot.storage import Database

ROOT = Path(__file__).resolve().parent.parent
TURNS = 400
TARGET_RECALL = 0.9
TARGET_P99_MS = 20.0


def _recall(knowledge: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for locale in ("en", "zh"):
        golden = yaml.safe_load(
            (ROOT / "tests" / "knowledge" / f"golden_{locale}.yaml").read_text()
        )
        found = sum(
            set(item["expect"]) <= {h.passage.id for h in knowledge.search(item["q"], locale)}
            for item in golden["questions"]
        )
        silent = sum(not knowledge.search(q, locale) for q in golden["unknown"])
        held = _questions(f"heldout_{locale}")
        fresh = _questions(f"fresh_{locale}")
        blind = _questions(f"fresh2_{locale}")
        out[locale] = {
            "questions": len(golden["questions"]),
            "recall_at_3": round(found / len(golden["questions"]), 3),
            "off_topic": len(golden["unknown"]),
            "off_topic_answered_i_dont_know": silent,
            "held_out_questions": len(held),
            "held_out_recall_at_3": _any_of_recall(knowledge, held, locale),
            "fresh_questions": len(fresh),
            "fresh_recall_at_3": _any_of_recall(knowledge, fresh, locale),
            "blind_questions": len(blind),
            "blind_recall_at_3": _any_of_recall(knowledge, blind, locale),
        }
    return out


def _questions(name: str) -> list[dict[str, Any]]:
    path = ROOT / "tests" / "knowledge" / f"{name}.yaml"
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["questions"])


def _any_of_recall(knowledge: Any, questions: list[dict[str, Any]], locale: str) -> float:
    """The share of questions with one of their passages among those shown."""
    found = sum(
        bool(set(item["any_of"]) & {h.passage.id for h in knowledge.search(item["q"], locale)})
        for item in questions
    )
    return round(found / len(questions), 3)


async def _latency(knowledge: Any) -> list[float]:
    questions = [
        "how should I price for accounting firms?",
        "should we fine tune or just call an API",
        "联合创始人股权怎么分",
        "what's the weather tomorrow",
    ]
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "coach.db")
        catalog = load_checked_catalog(ROOT / "flows", ROOT / "content")
        coach = Coach(db, catalog, SystemClock(), knowledge=knowledge)
        who = UserRef(channel="console", external_id="bench")
        for text in ("/start", "1", "Ada", "Acme AI", "Contract review for small firms.", "2",
                     "vertical_ai", "4", "Berlin", "English", "1"):  # fmt: skip
            await coach.handle(who, Said(text))
        times = []
        for i in range(TURNS):
            started = time.perf_counter()
            await coach.handle(who, Said("/ask " + questions[i % len(questions)]))
            times.append((time.perf_counter() - started) * 1000)
        await db.close()
    return times


def main() -> None:
    """Print and save recall@3 and /ask latency."""
    started = time.perf_counter()
    knowledge = load_knowledge(ROOT / "content")
    build_ms = (time.perf_counter() - started) * 1000
    recall = _recall(knowledge)
    search_times = []
    for i in range(2000):
        question = ("how should I price for accounting firms?", "联合创始人股权怎么分")[i % 2]
        began = time.perf_counter()
        knowledge.search(question, "zh" if i % 2 else "en")
        search_times.append((time.perf_counter() - began) * 1000)
    search_times.sort()
    times = sorted(asyncio.run(_latency(knowledge)))
    p50 = statistics.median(times)
    p99 = times[int(len(times) * 0.99) - 1]
    result = {
        "passages": {loc: len(p) for loc, p in knowledge.passages.items()},
        "load_and_index_ms": round(build_ms, 1),
        "recall": recall,
        "ask_latency_ms": {"turns": TURNS, "p50": round(p50, 2), "p99": round(p99, 2)},
        "search_only_ms": {
            "p50": round(statistics.median(search_times), 3),
            "p99": round(search_times[int(len(search_times) * 0.99) - 1], 3),
        },
        "targets": {"recall_at_3": TARGET_RECALL, "p99_ms": TARGET_P99_MS},
    }
    print(
        f"index built in {build_ms:.0f} ms; recall@3 golden en {recall['en']['recall_at_3']}, "
        f"zh {recall['zh']['recall_at_3']}; held-out en {recall['en']['held_out_recall_at_3']}, "
        f"zh {recall['zh']['held_out_recall_at_3']}; "
        f"fresh en {recall['en']['fresh_recall_at_3']}, "
        f"zh {recall['zh']['fresh_recall_at_3']}; blind en {recall['en']['blind_recall_at_3']}, "
        f"zh {recall['zh']['blind_recall_at_3']}; /ask p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    save("ask", result)
