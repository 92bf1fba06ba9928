"""Time, injected: nothing else in the coach calls ``datetime.now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests and replays: fixed until moved with :meth:`advance`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The frozen time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._now += delta


def to_text(moment: datetime) -> str:
    """An aware datetime as the ISO-8601 UTC text the database stores."""
    if moment.tzinfo is None:
        raise ValueError("only aware datetimes are stored")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """Parse what :func:`to_text` wrote."""
    return datetime.fromisoformat(text).astimezone(UTC)
