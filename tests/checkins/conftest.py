"""A Coach with a check-in service: frozen clock, real SQLite file, a recording sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.checkins.service import CheckinService, Policy, SendResult
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.models import OutMessage, UserRef
from bot.storage import Database


@dataclass
class Outbox:
    """What the service sent, per founder; ``result`` decides how the next sends end."""

    sent: list[tuple[str, list[OutMessage]]] = field(default_factory=list)
    result: SendResult = SendResult.SENT

    async def __call__(self, who: UserRef, messages: list[OutMessage]) -> SendResult:
        if self.result is SendResult.SENT:
            self.sent.append((who.external_id, messages))
        return self.result

    def texts(self, external_id: str = "ada") -> list[str]:
        return [m.text for who, batch in self.sent if who == external_id for m in batch]


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
async def coach_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "coach.db")
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def full_coach(coach_db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    return Coach(coach_db, real_catalog, clock)


@pytest.fixture
def service(full_coach: Coach, outbox: Outbox, clock: FrozenClock) -> CheckinService:
    return CheckinService(
        full_coach.db, full_coach, clock, outbox, policy=Policy(grace=timedelta(hours=12))
    )
