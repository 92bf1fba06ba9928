"""How long an export takes for a long history: a year of weekly updates, 5 000 messages.

Builds a real SQLite file with one founder (onboarding, three coaching flows, 52 weekly
updates, commitments and check-ins, 5 000 transcript lines), then times building the
summary and rendering each format. Prints the figures and saves bench/results/export.json.

    python -m bench.export_bench            (or: make bench)
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import save
from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock, to_text
from bot.coach import Coach
from bot.config import load_settings
from bot.engine import FlowState, RunStatus
from bot.models import Said, UserRef
from bot.storage import Database, checkins, history, runs, users

WEEKS = 52
MESSAGES = 5_000
REPEATS = 5
ADA = UserRef(channel="console", external_id="ada", display_name="Ada")
ONBOARDING = ["1", "Ada", "Acme AI", "Contract review for small law firms.", "2", "4", "4",
              "Shanghai", "en", "1"]  # fmt: skip


async def seed(db: Database, coach: Coach, start: datetime) -> None:
    """One founder with a year of history."""
    await coach.handle(ADA, Said("/start"))
    for text in ONBOARDING:
        await coach.handle(ADA, Said(text))
    goals: list[str] = []
    async with db.transaction() as conn:
        for week in range(WEEKS):
            at = start + timedelta(weeks=week)
            answers = {"metric_name": "Weekly active users", "metric_value": 100 + 7 * week,
                       "morale": 1 + week % 5, "obstacle": f"Obstacle of week {week}",
                       "goals_done": goals[:1], "goals_carry": goals[1:],
                       "goals_next": f"Goal A{week}\nGoal B{week}",
                       "weekday": "mon", "hour": "h09"}  # fmt: skip
            goals = [f"Goal A{week}", f"Goal B{week}"]
            state = FlowState(flow_id="update", answers=answers, status=RunStatus.COMPLETED)
            await runs.create(conn, 1, state, at)
            commitment = await checkins.add_commitment(
                conn, user_id=1, topic="funding", text=f"Commitment {week}", now=at
            )
            row = await checkins.create(
                conn, user_id=1, kind="commitment", due_at=at + timedelta(days=3),
                timezone="Asia/Shanghai", local_intent=None, now=at, commitment_id=commitment,
            )  # fmt: skip
            await checkins.set_status(conn, row, "answered", outcome="partly", note="Half done",
                                      answered_at=to_text(at + timedelta(days=3)))  # fmt: skip
        for index in range(MESSAGES):
            await history.add_message(
                conn, user_id=1, direction="in" if index % 2 else "out",
                text=f"Message {index}: " + "words " * 20, now=start + timedelta(minutes=index),
            )  # fmt: skip
        await users.update(conn, 1, start, timezone="Asia/Shanghai")


async def measure() -> dict[str, object]:
    settings = load_settings()
    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    start = datetime(2025, 11, 24, 1, 0, tzinfo=UTC)
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            coach = Coach(db, catalog, FrozenClock(start + timedelta(weeks=WEEKS)))
            await seed(db, coach, start)
            async with db.reading() as conn:
                user = await users.get(conn, 1)
            assert user is not None
            timings: dict[str, list[float]] = {
                "summary": [],
                "md": [],
                "html": [],
                "json": [],
                "csv": [],
            }
            sizes: dict[str, int] = {}
            for _ in range(REPEATS):
                began = time.perf_counter()
                async with db.reading() as conn:
                    summary = await coach.summary_of(conn, user, transcript=True)
                timings["summary"].append(time.perf_counter() - began)
                for fmt in ("md", "html", "json", "csv"):
                    began = time.perf_counter()
                    file = coach.render_file(summary, fmt, "en")
                    timings[fmt].append(time.perf_counter() - began)
                    sizes[fmt] = len(file.data)
        finally:
            await db.close()
    for name, values in timings.items():
        figures[f"{name}_ms_median"] = round(statistics.median(values) * 1000, 1)
    figures["sizes_bytes"] = sizes
    return figures


def main() -> None:
    figures = asyncio.run(measure())
    save(
        "export",
        {
            "history": {"weekly_updates": WEEKS, "messages": MESSAGES, "commitments": WEEKS},
            "repeats": REPEATS,
            "figures": figures,
        },
    )
    print(f"Export of a year of weekly updates and {MESSAGES:,} messages (median of {REPEATS}):")
    for key, value in figures.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
