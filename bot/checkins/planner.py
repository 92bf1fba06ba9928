"""When check-ins happen, in the founder's own time zone.

Founders think in local wall-clock time ("Monday at 09:00"), the scheduler in UTC
instants. This module translates between the two and nothing else: it is pure (no I/O,
no clock; every "now" is passed in as an aware datetime) and every datetime it returns
is aware and in UTC.

Daylight-saving rules, applied everywhere:

* A local time that does not exist (the spring-forward gap) happens at the first valid
  minute after the gap (Europe/Berlin 02:30 on 2026-03-29 happens at 03:00 CEST).
* A local time that exists twice (the fall-back fold) happens once, at its first
  occurrence.
* The :class:`LocalIntent` returned next to an instant is what the founder asked for,
  not the adjusted wall time, so moving it to another zone keeps the original wish.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = [
    "CatchUp",
    "LocalIntent",
    "QuietHours",
    "catch_up",
    "collapse_missed",
    "in_days",
    "local_intent",
    "move_to_zone",
    "next_weekly",
    "off_weekend",
    "on_day",
    "reminder_at",
    "resolve_local",
    "respect_quiet_hours",
    "snooze_until",
]

_WEEK = timedelta(days=7)
_SECOND = timedelta(seconds=1)
_INTENT_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")


def _require_wall_minute(at: time, what: str) -> None:
    """Reject times that cannot be a founder's wall-clock minute.

    Raises:
        ValueError: if ``at`` carries a zone or seconds.
    """
    if at.tzinfo is not None:
        raise ValueError(f"{what} is a local wall-clock time and must be naive, got {at!r}")
    if at.second or at.microsecond:
        raise ValueError(f"{what} has minute precision, got {at!r}")


def _require_aware(moment: datetime, what: str) -> None:
    """Reject naive datetimes: an instant without a zone is a bug waiting for a DST day.

    Raises:
        ValueError: if ``moment`` is naive.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment!r}")


def _require_not_negative(delta: timedelta, what: str) -> None:
    """Reject negative durations, which would schedule into the past.

    Raises:
        ValueError: if ``delta`` is negative.
    """
    if delta < timedelta(0):
        raise ValueError(f"{what} must not be negative, got {delta!r}")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, in local time, when the bot does not write to the founder.

    The window may wrap midnight (22:00-08:00). ``start == end`` means no quiet hours.
    """

    start: time = time(22, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        """Check both ends are naive minute-precision wall-clock times."""
        _require_wall_minute(self.start, "QuietHours.start")
        _require_wall_minute(self.end, "QuietHours.end")

    @property
    def wraps(self) -> bool:
        """Whether the window crosses midnight (so its end is on the next local day)."""
        return self.start > self.end

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time is quiet (start inclusive, end exclusive).

        Args:
            local: a local wall-clock time; a zone attached to it is ignored.

        Returns:
            True inside the window, always False when ``start == end``.
        """
        local = local.replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.wraps:
            return local >= self.start or local < self.end
        return self.start <= local < self.end


@dataclass(frozen=True)
class LocalIntent:
    """What the founder asked for, in their own terms: a local date and wall-clock time.

    Stored next to the UTC instant so a change of time zone (or of the zone's rules) can
    recompute the instant from the founder's wish. Minute precision, no zone attached.
    """

    day: date
    at: time

    def __post_init__(self) -> None:
        """Check the intent is a plain date and a naive minute, so text round-trips."""
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise TypeError(f"LocalIntent.day must be a date, got {self.day!r}")
        _require_wall_minute(self.at, "LocalIntent.at")

    def to_text(self) -> str:
        """The intent as stored text, e.g. ``"2026-03-29T09:00"``."""
        return f"{self.day.isoformat()}T{self.at.isoformat(timespec='minutes')}"

    @classmethod
    def from_text(cls, text: str) -> LocalIntent:
        """Parse what :meth:`to_text` wrote.

        Raises:
            ValueError: if ``text`` is not exactly ``YYYY-MM-DDTHH:MM`` or not a real date/time.
        """
        match = _INTENT_TEXT.fullmatch(text)
        try:
            if match is None:
                raise ValueError("wrong shape")
            return cls(date.fromisoformat(match[1]), time.fromisoformat(match[2]))
        except ValueError as error:
            raise ValueError(f"not a local intent (YYYY-MM-DDTHH:MM): {text!r}") from error


def _gap_end(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the spring-forward gap containing ``local`` ends.

    In a gap, ``fold=1`` reads the wall time with the offset after the transition and
    ``fold=0`` with the offset before it (PEP 495), so the transition lies in
    ``(earlier, later]``; a binary search over whole seconds finds it.
    """
    earlier = local.replace(fold=1).astimezone(UTC).replace(microsecond=0)
    later = local.replace(fold=0).astimezone(UTC)
    offset_before = earlier.astimezone(zone).utcoffset()
    span = math.ceil((later - earlier) / _SECOND)
    step = bisect.bisect_left(
        range(span + 1),
        True,
        key=lambda n: (earlier + n * _SECOND).astimezone(zone).utcoffset() != offset_before,
    )
    end = earlier + step * _SECOND
    wall = end.astimezone(zone)
    if wall.second or wall.microsecond:  # historical offsets with seconds: next whole minute
        end += timedelta(seconds=60 - wall.second, microseconds=-wall.microsecond)
    return end


def resolve_local(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of a local wall-clock time.

    A time that does not exist (spring forward gap) moves to the first valid minute after
    the gap (e.g. Europe/Berlin 2026-03-29 02:30 -> 03:00 local = 01:00 UTC); an ambiguous
    time (fall back fold) resolves to the FIRST occurrence (fold=0), so it happens once.

    Args:
        day: the local date.
        at: the naive local wall-clock time.
        tz: an IANA time zone name.

    Returns:
        An aware UTC datetime.

    Raises:
        ValueError: if ``at`` carries a zone.
        zoneinfo.ZoneInfoNotFoundError: if ``tz`` is unknown.
    """
    if at.tzinfo is not None:
        raise ValueError(f"at is a local wall-clock time and must be naive, got {at!r}")
    zone = ZoneInfo(tz)
    local = datetime.combine(day, at, tzinfo=zone).replace(fold=0)  # the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    return _gap_end(local, zone)


def local_intent(moment: datetime, tz: str) -> LocalIntent:
    """The local date and wall-clock time (truncated to the minute) of an instant.

    Raises:
        ValueError: if ``moment`` is naive.
    """
    _require_aware(moment, "moment")
    local = moment.astimezone(ZoneInfo(tz))
    return LocalIntent(local.date(), local.time().replace(second=0, microsecond=0))


def on_day(day: date, at: time, tz: str) -> tuple[datetime, LocalIntent]:
    """A one-off check-in on a local date at a local time.

    Returns:
        The UTC instant and the intent as asked (even if the time falls in a gap).
    """
    intent = LocalIntent(day, at)
    return resolve_local(day, at, tz), intent


def in_days(now: datetime, days: int, at: time, tz: str) -> tuple[datetime, LocalIntent]:
    """Due `days` local calendar days after now's local date, at local time `at`.

    E.g. 'in 3 days at 09:00'. Calendar days, not multiples of 24 hours, so a DST change
    in between does not shift the wall time. If days == 0 and that time already passed
    today (or is exactly now), it is tomorrow: the result is always after ``now``.

    Raises:
        ValueError: if ``now`` is naive or ``days`` is negative.
    """
    _require_aware(now, "now")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    day = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=days)
    due, intent = on_day(day, at, tz)
    if days == 0 and due <= now:
        due, intent = on_day(day + timedelta(days=1), at, tz)
    return due, intent


def off_weekend(day: date) -> date:
    """The day itself on a weekday; the Monday after for a Saturday or Sunday.

    "In a week" said on a Saturday means a working day, not Saturday again; the founder
    is told when a check-in moved (see FollowUps).
    """
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def next_weekly(after: datetime, weekday: int, at: time, tz: str) -> tuple[datetime, LocalIntent]:
    """The first occurrence strictly after `after` of local weekday (0=Monday) at local `at`.

    A 09:00 weekly stays at 09:00 local across DST changes (the UTC instant shifts by an
    hour). Because a folded time resolves to its first occurrence, passing the first
    occurrence as ``after`` yields next week, never the repeat an hour later.

    Raises:
        ValueError: if ``after`` is naive or ``weekday`` is not 0..6.
    """
    _require_aware(after, "after")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    today = after.astimezone(ZoneInfo(tz)).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    due, intent = on_day(day, at, tz)
    while due <= after:
        day += _WEEK
        due, intent = on_day(day, at, tz)
    return due, intent


def _quiet_exit(due: datetime, tz: str, quiet: QuietHours) -> LocalIntent | None:
    """The local end of the quiet window ``due`` falls in, or None if it is not quiet."""
    local = due.astimezone(ZoneInfo(tz))
    if not quiet.contains(local.time()):
        return None
    day = local.date()
    if quiet.wraps and local.time() >= quiet.start:
        day += timedelta(days=1)
    return LocalIntent(day, quiet.end)


def _quiet_end_instant(exit_: LocalIntent, due: datetime, tz: str) -> datetime:
    """Resolve the end of quiet hours, never earlier than ``due``.

    If the end time is folded and ``due`` is already past its first occurrence (``due``
    in the repeated hour), the second occurrence is the end of that quiet window.
    """
    moved = resolve_local(exit_.day, exit_.at, tz)
    if moved >= due:
        return moved
    second = datetime.combine(exit_.day, exit_.at, tzinfo=ZoneInfo(tz)).replace(fold=1)
    return max(second.astimezone(UTC), due.astimezone(UTC))


def respect_quiet_hours(due: datetime, tz: str, quiet: QuietHours) -> datetime:
    """Move a check-in out of quiet hours, so nobody is woken up.

    If `due`'s local time falls inside quiet hours, move it to the end of the quiet
    window (local quiet.end on the right day: 23:30 -> next day 08:00; 06:00 -> same day
    08:00), resolved with resolve_local; otherwise unchanged (but returned in UTC).

    Raises:
        ValueError: if ``due`` is naive.
    """
    _require_aware(due, "due")
    exit_ = _quiet_exit(due, tz, quiet)
    if exit_ is None:
        return due.astimezone(UTC)
    return _quiet_end_instant(exit_, due, tz)


def move_to_zone(intent: LocalIntent, new_tz: str) -> datetime:
    """The new UTC instant of a check-in when the founder changes time zone.

    A future check-in keeps its local intent (09:00 stays 09:00 in the new zone); gaps and
    folds of the new zone apply as in :func:`resolve_local`.
    """
    return resolve_local(intent.day, intent.at, new_tz)


class CatchUp(StrEnum):
    """What to do with a check-in found at start-up or in a sweep."""

    SEND = "send"
    MISSED = "missed"
    WAIT = "wait"


def catch_up(due: datetime, now: datetime, *, grace: timedelta) -> CatchUp:
    """Decide a check-in's fate after downtime, so nobody gets a stale message.

    WAIT if due is in the future, SEND if it was missed by at most `grace` (sent once,
    now; due == now counts as late by zero), MISSED if older.

    Raises:
        ValueError: if a datetime is naive or ``grace`` is negative.
    """
    _require_aware(due, "due")
    _require_aware(now, "now")
    _require_not_negative(grace, "grace")
    if due > now:
        return CatchUp.WAIT
    return CatchUp.SEND if now - due <= grace else CatchUp.MISSED


def collapse_missed(
    dues: Sequence[datetime], now: datetime, *, grace: timedelta
) -> tuple[list[int], int | None]:
    """Collapse several missed occurrences of a recurring check-in into at most one send.

    Only the NEWEST past occurrence may be sent, and only if it is within grace (see
    :func:`catch_up`); every other past one is missed; future ones are untouched (in
    neither list). Of equal newest instants the last index is the one considered.

    Returns:
        (indexes to mark missed in ascending order, index to send now or None).

    Raises:
        ValueError: if a datetime is naive or ``grace`` is negative.
    """
    _require_aware(now, "now")
    _require_not_negative(grace, "grace")
    for due in dues:
        _require_aware(due, "due")
    past = [i for i, due in enumerate(dues) if catch_up(due, now, grace=grace) != CatchUp.WAIT]
    if not past:
        return [], None
    newest = max(reversed(past), key=lambda i: dues[i])
    if catch_up(dues[newest], now, grace=grace) != CatchUp.SEND:
        return past, None
    return [i for i in past if i != newest], newest


def reminder_at(
    sent_at: datetime, tz: str, quiet: QuietHours, *, after: timedelta = timedelta(hours=24)
) -> datetime:
    """When to remind a founder who has not answered.

    `after` is elapsed time (24 hours across a DST change is 10:00 or 08:00 local for a
    09:00 message), then moved out of quiet hours.

    Raises:
        ValueError: if ``sent_at`` is naive or ``after`` is negative.
    """
    _require_aware(sent_at, "sent_at")
    _require_not_negative(after, "after")
    return respect_quiet_hours(sent_at + after, tz, quiet)


def snooze_until(
    now: datetime, days: int, at: time, tz: str, quiet: QuietHours
) -> tuple[datetime, LocalIntent]:
    """Postpone a check-in to 'in `days` days at `at`', out of quiet hours.

    Computed like :func:`in_days`; if that lands in quiet hours, both the instant and the
    intent move to the end of the window, so a later zone change keeps the moved time.

    Raises:
        ValueError: if ``now`` is naive or ``days`` is negative.
    """
    due, intent = in_days(now, days, at, tz)
    exit_ = _quiet_exit(due, tz, quiet)
    if exit_ is None:
        return due, intent
    return _quiet_end_instant(exit_, due, tz), exit_
