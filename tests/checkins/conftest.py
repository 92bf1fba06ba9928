"""A Coach with a check-in service: frozen clock, a real database, a recording sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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
def coach_db(db: Database) -> Database:
    """The suite's ``db``: a SQLite file, or a PostgreSQL database of its own."""
    return db


@pytest.fixture
def full_coach(coach_db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    return Coach(coach_db, real_catalog, clock)


@pytest.fixture
def service(full_coach: Coach, outbox: Outbox, clock: FrozenClock) -> CheckinService:
    return CheckinService(
        full_coach.db, full_coach, clock, outbox, policy=Policy(grace=timedelta(hours=12))
    )
