"""Twenty SIGKILLs at random moments while founders answer and check-ins fall due.

The real process is killed again and again; the founders (scripted, in this process) keep
answering the newest question they see, as people do. After every kill the database must
hold every answer a founder saw acknowledged, once; at the end every founder finishes
onboarding (nobody stuck) and every check-in arrived (a send cut off by a kill may arrive
twice, never more).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.conftest import rows, until
from tests.telegram.processes import START_TIMEOUT, bot_process, stop
from tests.telegram.seeding import checkin_messages, seed

KILLS = 20
FOUNDERS = range(9001, 9021)
SILENT = range(9101, 9121)  # founders who only receive a check-in
ANSWERS = {
    1: "Ada",
    2: "Acme AI",
    3: "Contract review for small law firms.",
    4: "2",
    5: "4",
    6: "4",
    7: "Shanghai",
    8: "en",
}
STEPS = ["name", "startup", "pitch", "stage", "sector", "team_size", "timezone", "language"]
PROGRESS = re.compile(r"\((\d)/8\)")
ONBOARDED = "SELECT count(*) FROM flow_runs WHERE flow_id = 'onboarding' AND status = 'completed'"
SCHEDULED = "SELECT count(*) FROM checkins WHERE status IN ('scheduled', 'sending')"
QUIET_OFF = {
    "FOUNDER_COACH_QUIET_HOURS": "00:00-00:00",
    "FOUNDER_COACH_LOG_LEVEL": "WARNING",
    "FOUNDER_COACH_CHECKIN_LEASE_SECONDS": "1.5",  # a cut-off send goes again soon
}


class ScriptedFounder:
    """Answers each onboarding question once, after a short think, when it is the newest."""

    def __init__(self, fake: FakeBotApi, user_id: int, rng: random.Random) -> None:
        self.fake = fake
        self.user_id = user_id
        self.rng = rng
        self.started = False
        self.consented = False
        self.reviewed = False
        self.answered: set[int] = set()
        self.acknowledged = 0  # answers the founder has seen the bot move past

    async def act(self) -> None:
        """Take the next step if the bot has asked something new."""
        messages = [m for m in self.fake.bot_messages(self.user_id) if not m.deleted]
        if not self.started:
            self.started = True
            self.fake.user_sends(self.user_id, "/start")
            return
        for message in reversed(messages):
            found = PROGRESS.search(message.text or "")
            if found:
                step = int(found[1])
                self.acknowledged = max(self.acknowledged, step - 1)
                if step not in self.answered:
                    self.answered.add(step)
                    await asyncio.sleep(self.rng.uniform(0.02, 0.15))
                    self.fake.user_sends(self.user_id, ANSWERS[step])
                return
            if message.buttons() and (
                not self.consented or (len(self.answered) == len(ANSWERS) and not self.reviewed)
            ):  # agree to the privacy note; then, at the end, confirm the review
                self.reviewed, self.consented = self.consented, True
                data = message.buttons()[0]["callback_data"]
                self.fake.user_taps(self.user_id, message.message_id, data)
                return

    async def run(self) -> None:
        while True:
            await self.act()
            await asyncio.sleep(0.01)


def _stored(db: Path, user_id: int) -> list[tuple[str, int]]:
    return rows(
        db,
        "SELECT a.step_id, a.revision FROM answers a JOIN users u ON u.id = a.user_id "
        "WHERE u.external_id = ? ORDER BY a.id",
        str(user_id),
    )


def _stuck(db: Path, fake: FakeBotApi, founders: list[ScriptedFounder]) -> str:
    lines = []
    for founder in founders:
        stored = _stored(db, founder.user_id)
        if len(stored) < len(STEPS):
            texts = [(m.text or "")[:40] for m in fake.bot_messages(founder.user_id)]
            lines.append(f"{founder.user_id}: {len(stored)} stored, answered "
                         f"{sorted(founder.answered)}, bot said {texts}")  # fmt: skip
    return "stuck founders:\n" + "\n".join(lines)


def _check_committed(db: Path, founders: list[ScriptedFounder]) -> None:
    for founder in founders:
        stored = _stored(db, founder.user_id)
        assert [step for step, _ in stored] == STEPS[: len(stored)], founder.user_id
        assert all(revision == 1 for _, revision in stored), stored
        assert len(stored) >= founder.acknowledged, (founder.user_id, stored)


async def test_twenty_sigkills_lose_no_answer_and_no_checkin(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    seed_value = int(os.environ.get("CRASH_SEED", "20261124"))
    rng = random.Random(seed_value)
    db = tmp_path / "bot.db"
    # check-ins fall due throughout the kills
    await seed(
        db, SILENT, due=datetime.now(UTC) + timedelta(seconds=2), spread=timedelta(seconds=1.5)
    )
    founders = [ScriptedFounder(fake, user_id, rng) for user_id in FOUNDERS]
    tasks: list[asyncio.Task[None]] = []
    try:
        for kill in range(KILLS):
            async with bot_process(fake, db, **QUIET_OFF) as proc:
                await fake.wait_for_poll(timeout=START_TIMEOUT)
                if kill < len(founders):  # founders join one per restart
                    tasks.append(asyncio.create_task(founders[kill].run()))
                await asyncio.sleep(rng.uniform(0.05, 0.8))
                await stop(proc, signal.SIGKILL)
            _check_committed(db, founders)
        # the kills must have landed while work was under way, not before it began
        assert sum(f.acknowledged for f in founders) >= 3 * len(FOUNDERS)
        assert rows(db, "SELECT count(*) FROM checkins WHERE status = 'sent'")[0][0] >= 5
        async with bot_process(fake, db, **QUIET_OFF) as proc:
            await fake.wait_for_poll(timeout=START_TIMEOUT)
            try:
                await until(
                    lambda: rows(db, ONBOARDED) == [(len(FOUNDERS),)],
                    timeout=30,
                )
            except TimeoutError:
                raise AssertionError(_stuck(db, fake, founders)) from None
            await until(
                lambda: (
                    rows(db, "SELECT count(*) FROM checkins WHERE status = 'scheduled'") == [(0,)]
                ),
                timeout=60,
            )
            code, _ = await stop(proc, signal.SIGTERM)
        assert code == 0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    _check_committed(db, founders)
    for founder in founders:
        values = rows(
            db,
            "SELECT a.value_json FROM answers a JOIN users u ON u.id = a.user_id "
            "WHERE u.external_id = ? AND a.step_id = 'pitch'",
            str(founder.user_id),
        )
        assert values == [('"Contract review for small law firms."',)]
    assert rows(db, "SELECT count(*) FROM update_ledger WHERE finished_at IS NULL") == [(0,)]
    # check-ins: each arrived at least once; a send a kill cut off ("interrupted") is sent
    # again, so it may arrive twice, never more than once extra per cut-off send
    cut: dict[int, int] = {}
    for external, count in rows(
        db,
        "SELECT u.external_id, count(*) FROM checkin_attempts a JOIN checkins c "
        "ON c.id = a.checkin_id JOIN users u ON u.id = c.user_id "
        "WHERE a.result IN ('interrupted', 'unknown') GROUP BY u.external_id",
    ):
        cut[int(external)] = count
    for user_id in SILENT:
        received = len(checkin_messages(fake, user_id))
        assert 1 <= received <= 1 + cut.get(user_id, 0), (user_id, received)
    assert rows(db, "SELECT DISTINCT status FROM checkins") == [("sent",)]
