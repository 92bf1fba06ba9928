"""The check-in planner: local intents, DST gaps and folds, quiet hours, catching up.

Every expected instant below is worked out by hand from the zone's rules for 2026:

* Europe/Berlin: CET +01, CEST +02; spring forward 2026-03-29 02:00 -> 03:00 (01:00 UTC),
  fall back 2026-10-25 03:00 -> 02:00 (01:00 UTC).
* America/New_York: EST -05, EDT -04; spring forward 2026-03-08 02:00 -> 03:00 (07:00 UTC),
  fall back 2026-11-01 02:00 -> 01:00 (06:00 UTC).
* Australia/Sydney: AEST +10, AEDT +11; fall back 2026-04-05 03:00 -> 02:00
  (2026-04-04 16:00 UTC), spring forward 2026-10-04 02:00 -> 03:00 (2026-10-03 16:00 UTC).
* Asia/Shanghai: +08 all year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from bot.checkins.planner import (
    CatchUp,
    LocalIntent,
    QuietHours,
    catch_up,
    collapse_missed,
    in_days,
    local_intent,
    move_to_zone,
    next_weekly,
    on_day,
    reminder_at,
    resolve_local,
    respect_quiet_hours,
    snooze_until,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
SYDNEY = "Australia/Sydney"
SHANGHAI = "Asia/Shanghai"
NIGHT = QuietHours()  # 22:00-08:00
NINE = time(9, 0)


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def wall(moment: datetime, tz: str) -> tuple[date, time]:
    """The local date and wall-clock time of an instant, with a test-side conversion."""
    local = moment.astimezone(ZoneInfo(tz))
    return local.date(), local.time()


def assert_utc(moment: datetime, expected: datetime) -> None:
    """Same instant, and expressed in UTC as the planner promises."""
    assert moment == expected
    assert moment.tzinfo is UTC


# --- resolve_local: gaps, folds, ordinary times ---------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        # Berlin spring forward: 02:00-02:59 does not exist.
        (BERLIN, date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
        (BERLIN, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 59), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(3, 1), utc(2026, 3, 29, 1, 1)),
        (BERLIN, date(2026, 3, 29), NINE, utc(2026, 3, 29, 7, 0)),
        (BERLIN, date(2026, 3, 28), NINE, utc(2026, 3, 28, 8, 0)),
        # Berlin fall back: 02:00-02:59 happens twice; the first (CEST) wins.
        (BERLIN, date(2026, 10, 25), time(1, 59), utc(2026, 10, 24, 23, 59)),
        (BERLIN, date(2026, 10, 25), time(2, 0), utc(2026, 10, 25, 0, 0)),
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (BERLIN, date(2026, 10, 25), time(2, 59), utc(2026, 10, 25, 0, 59)),
        (BERLIN, date(2026, 10, 25), time(3, 0), utc(2026, 10, 25, 2, 0)),
        (BERLIN, date(2026, 10, 25), NINE, utc(2026, 10, 25, 8, 0)),
        # New York spring forward at 02:00.
        (NEW_YORK, date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, date(2026, 3, 8), NINE, utc(2026, 3, 8, 13, 0)),
        # New York fall back at 02:00: 01:00-01:59 twice, the first (EDT) wins.
        (NEW_YORK, date(2026, 11, 1), time(0, 59), utc(2026, 11, 1, 4, 59)),
        (NEW_YORK, date(2026, 11, 1), time(1, 0), utc(2026, 11, 1, 5, 0)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0)),
        (NEW_YORK, date(2026, 11, 1), NINE, utc(2026, 11, 1, 14, 0)),
        # Sydney fall back (April): 02:00-02:59 twice, the first (AEDT) wins.
        (SYDNEY, date(2026, 4, 5), time(1, 59), utc(2026, 4, 4, 14, 59)),
        (SYDNEY, date(2026, 4, 5), time(2, 0), utc(2026, 4, 4, 15, 0)),
        (SYDNEY, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        (SYDNEY, date(2026, 4, 5), time(3, 0), utc(2026, 4, 4, 17, 0)),
        (SYDNEY, date(2026, 4, 5), NINE, utc(2026, 4, 4, 23, 0)),
        # Sydney spring forward (October): 02:00-02:59 does not exist.
        (SYDNEY, date(2026, 10, 4), time(1, 59), utc(2026, 10, 3, 15, 59)),
        (SYDNEY, date(2026, 10, 4), time(2, 0), utc(2026, 10, 3, 16, 0)),
        (SYDNEY, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        (SYDNEY, date(2026, 10, 4), time(3, 0), utc(2026, 10, 3, 16, 0)),
        (SYDNEY, date(2026, 10, 4), NINE, utc(2026, 10, 3, 22, 0)),
        # Shanghai: no DST, even on other zones' change days.
        (SHANGHAI, date(2026, 3, 8), NINE, utc(2026, 3, 8, 1, 0)),
        (SHANGHAI, date(2026, 3, 29), NINE, utc(2026, 3, 29, 1, 0)),
        (SHANGHAI, date(2026, 10, 25), NINE, utc(2026, 10, 25, 1, 0)),
        (SHANGHAI, date(2026, 12, 31), NINE, utc(2026, 12, 31, 1, 0)),
        (SHANGHAI, date(2026, 3, 29), time(2, 30), utc(2026, 3, 28, 18, 30)),
    ],
)
def test_resolve_local(tz: str, day: date, at: time, expected: datetime) -> None:
    assert_utc(resolve_local(day, at, tz), expected)


def test_resolve_local_keeps_seconds_outside_gaps() -> None:
    assert_utc(resolve_local(date(2026, 6, 1), time(9, 0, 30), BERLIN), utc(2026, 6, 1, 7, 0, 30))


def test_resolve_local_gap_end_is_a_whole_minute_even_for_odd_historical_offsets() -> None:
    # Amsterdam moved from +00:19:32 to +00:20 at 1937-07-01 00:00: a 28-second gap.
    assert_utc(
        resolve_local(date(1937, 7, 1), time(0, 0, 10), "Europe/Amsterdam"),
        utc(1937, 6, 30, 22, 41),
    )


def test_resolve_local_ignores_a_fold_flag_on_the_time() -> None:
    """The first occurrence wins even if the caller's time says fold=1."""
    assert_utc(
        resolve_local(date(2026, 10, 25), time(2, 30, fold=1), BERLIN), utc(2026, 10, 25, 0, 30)
    )


def test_resolve_local_rejects_a_time_with_a_zone() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_local(date(2026, 6, 1), time(9, 0, tzinfo=UTC), BERLIN)


def test_unknown_zone_is_an_error() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        resolve_local(date(2026, 6, 1), NINE, "Mars/Olympus_Mons")


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, SYDNEY, SHANGHAI])
@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25),
     date(2026, 11, 1)],
)  # fmt: skip
def test_every_minute_of_a_change_day_resolves_sensibly(tz: str, day: date) -> None:
    """Each minute happens at its own wall time, or (in a gap) at the gap's end, once."""
    zone = ZoneInfo(tz)
    previous = None
    for minute in range(24 * 60):
        at = time(minute // 60, minute % 60)
        instant = resolve_local(day, at, tz)
        local = instant.astimezone(zone)
        if (local.date(), local.time()) != (day, at):
            # only a gap may move a time, forward, to just after it: the offset changed
            assert local.date() == day
            assert local.time() > at
            assert (instant - timedelta(minutes=1)).astimezone(zone).utcoffset() != (
                local.utcoffset()
            )
        else:
            assert local.fold == 0
        if previous is not None:
            assert instant >= previous
        previous = instant


# --- LocalIntent and local_intent ------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        (LocalIntent(date(2026, 3, 29), NINE), "2026-03-29T09:00"),
        (LocalIntent(date(2026, 1, 1), time(0, 0)), "2026-01-01T00:00"),
        (LocalIntent(date(2028, 2, 29), time(23, 59)), "2028-02-29T23:59"),
    ],
)
def test_local_intent_text_round_trips(intent: LocalIntent, text: str) -> None:
    assert intent.to_text() == text
    assert LocalIntent.from_text(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-03-29",
        "2026-03-29 09:00",
        "2026-03-29T9:00",
        "2026-03-29T09:00:00",
        "2026-03-29T09:00+01:00",
        "2026-02-30T09:00",
        "2026-03-29T24:00",
        "2026-03-29T09:60",
        " 2026-03-29T09:00",
    ],
)
def test_local_intent_from_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a local intent"):
        LocalIntent.from_text(text)


@pytest.mark.parametrize("at", [time(9, 0, 30), time(9, 0, 0, 1), time(9, 0, tzinfo=UTC)], ids=str)
def test_local_intent_is_a_naive_minute(at: time) -> None:
    with pytest.raises(ValueError, match=r"LocalIntent\.at"):
        LocalIntent(date(2026, 6, 1), at)


def test_local_intent_day_is_a_plain_date() -> None:
    with pytest.raises(TypeError, match="date"):
        LocalIntent(utc(2026, 6, 1), NINE)


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (utc(2026, 3, 29, 0, 59), BERLIN, LocalIntent(date(2026, 3, 29), time(1, 59))),
        (utc(2026, 3, 29, 1, 0), BERLIN, LocalIntent(date(2026, 3, 29), time(3, 0))),
        # both occurrences of the fold read as the same wall time
        (utc(2026, 10, 25, 0, 30), BERLIN, LocalIntent(date(2026, 10, 25), time(2, 30))),
        (utc(2026, 10, 25, 1, 30), BERLIN, LocalIntent(date(2026, 10, 25), time(2, 30))),
        (utc(2026, 11, 1, 5, 30), NEW_YORK, LocalIntent(date(2026, 11, 1), time(1, 30))),
        (utc(2026, 11, 1, 6, 30), NEW_YORK, LocalIntent(date(2026, 11, 1), time(1, 30))),
        (utc(2026, 4, 4, 15, 30), SYDNEY, LocalIntent(date(2026, 4, 5), time(2, 30))),
        (utc(2026, 10, 3, 16, 0), SYDNEY, LocalIntent(date(2026, 10, 4), time(3, 0))),
        # seconds are truncated, and the local date may differ from the UTC date
        (utc(2026, 6, 1, 23, 30, 59, 500), SHANGHAI, LocalIntent(date(2026, 6, 2), time(7, 30))),
        (utc(2026, 12, 31, 16, 0), SHANGHAI, LocalIntent(date(2027, 1, 1), time(0, 0))),
        (utc(2026, 6, 2, 2, 0), NEW_YORK, LocalIntent(date(2026, 6, 1), time(22, 0))),
        (
            datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo(BERLIN)),
            SHANGHAI,
            LocalIntent(date(2026, 6, 1), time(15, 0)),
        ),
    ],
)
def test_local_intent(moment: datetime, tz: str, expected: LocalIntent) -> None:
    assert local_intent(moment, tz) == expected


def test_local_intent_rejects_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_intent(datetime(2026, 6, 1, 9, 0), BERLIN)


# --- on_day and in_days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        (date(2026, 6, 10), NINE, BERLIN, utc(2026, 6, 10, 7, 0)),
        (date(2026, 1, 10), NINE, BERLIN, utc(2026, 1, 10, 8, 0)),
        (date(2026, 3, 29), time(2, 30), BERLIN, utc(2026, 3, 29, 1, 0)),
        (date(2026, 11, 1), time(1, 30), NEW_YORK, utc(2026, 11, 1, 5, 30)),
        (date(2026, 6, 10), NINE, SHANGHAI, utc(2026, 6, 10, 1, 0)),
    ],
)
def test_on_day(day: date, at: time, tz: str, expected: datetime) -> None:
    due, intent = on_day(day, at, tz)
    assert_utc(due, expected)
    assert intent == LocalIntent(day, at)  # as asked, even in a gap


@pytest.mark.parametrize(
    ("now", "days", "at", "tz", "expected", "intent_day"),
    [
        # days=0: later today, or tomorrow once the time has passed (or is exactly now)
        (utc(2026, 5, 10, 6, 0), 0, NINE, BERLIN, utc(2026, 5, 10, 7, 0), date(2026, 5, 10)),
        (utc(2026, 5, 10, 6, 59), 0, NINE, BERLIN, utc(2026, 5, 10, 7, 0), date(2026, 5, 10)),
        (utc(2026, 5, 10, 7, 0), 0, NINE, BERLIN, utc(2026, 5, 11, 7, 0), date(2026, 5, 11)),
        (utc(2026, 5, 10, 8, 0), 0, NINE, BERLIN, utc(2026, 5, 11, 7, 0), date(2026, 5, 11)),
        (utc(2026, 5, 10, 8, 0), 1, NINE, BERLIN, utc(2026, 5, 11, 7, 0), date(2026, 5, 11)),
        (utc(2026, 5, 10, 8, 0), 3, NINE, BERLIN, utc(2026, 5, 13, 7, 0), date(2026, 5, 13)),
        # month, year and leap-day boundaries
        (utc(2026, 1, 31, 12, 0), 1, NINE, BERLIN, utc(2026, 2, 1, 8, 0), date(2026, 2, 1)),
        (utc(2026, 12, 31, 12, 0), 3, NINE, BERLIN, utc(2027, 1, 3, 8, 0), date(2027, 1, 3)),
        (utc(2026, 12, 31, 12, 0), 0, NINE, BERLIN, utc(2027, 1, 1, 8, 0), date(2027, 1, 1)),
        (utc(2028, 2, 28, 12, 0), 1, NINE, BERLIN, utc(2028, 2, 29, 8, 0), date(2028, 2, 29)),
        # 23:30 UTC is already the next day (07:30) in Shanghai
        (utc(2026, 6, 1, 23, 30), 0, NINE, SHANGHAI, utc(2026, 6, 2, 1, 0), date(2026, 6, 2)),
        (utc(2026, 6, 1, 23, 30), 1, NINE, SHANGHAI, utc(2026, 6, 3, 1, 0), date(2026, 6, 3)),
        (utc(2026, 12, 31, 23, 30), 0, NINE, SHANGHAI, utc(2027, 1, 1, 1, 0), date(2027, 1, 1)),
        # 02:00 UTC is still the previous day (22:00) in New York
        (utc(2026, 6, 2, 2, 0), 1, NINE, NEW_YORK, utc(2026, 6, 2, 13, 0), date(2026, 6, 2)),
        (utc(2026, 6, 2, 2, 0), 0, NINE, NEW_YORK, utc(2026, 6, 2, 13, 0), date(2026, 6, 2)),
        # calendar days, not 72 hours, across a DST change
        (utc(2026, 3, 27, 12, 0), 3, NINE, BERLIN, utc(2026, 3, 30, 7, 0), date(2026, 3, 30)),
        (utc(2026, 10, 23, 12, 0), 3, NINE, BERLIN, utc(2026, 10, 26, 8, 0), date(2026, 10, 26)),
        (utc(2026, 3, 6, 12, 0), 3, NINE, NEW_YORK, utc(2026, 3, 9, 13, 0), date(2026, 3, 9)),
        (utc(2026, 4, 3, 12, 0), 3, NINE, SYDNEY, utc(2026, 4, 5, 23, 0), date(2026, 4, 6)),
        # into a gap: the first valid minute; the intent keeps what was asked
        (
            utc(2026, 3, 27, 12, 0),
            2,
            time(2, 30),
            BERLIN,
            utc(2026, 3, 29, 1, 0),
            date(2026, 3, 29),
        ),
        # days=0 at a gap time already passed (now is 03:10 CEST): tomorrow
        (
            utc(2026, 3, 29, 1, 10),
            0,
            time(2, 30),
            BERLIN,
            utc(2026, 3, 30, 0, 30),
            date(2026, 3, 30),
        ),
    ],
)
def test_in_days(
    now: datetime, days: int, at: time, tz: str, expected: datetime, intent_day: date
) -> None:
    due, intent = in_days(now, days, at, tz)
    assert_utc(due, expected)
    assert intent == LocalIntent(intent_day, at)


def test_in_days_days_zero_in_the_second_occurrence_of_a_fold() -> None:
    """02:30 already happened (first occurrence) when it is 02:10 the second time."""
    due, intent = in_days(utc(2026, 10, 25, 1, 10), 0, time(2, 30), BERLIN)
    assert_utc(due, utc(2026, 10, 26, 1, 30))
    assert intent == LocalIntent(date(2026, 10, 26), time(2, 30))


def test_in_days_rejects_negative_days_and_naive_now() -> None:
    with pytest.raises(ValueError, match="days"):
        in_days(utc(2026, 6, 1), -1, NINE, BERLIN)
    with pytest.raises(ValueError, match="aware"):
        in_days(datetime(2026, 6, 1), 1, NINE, BERLIN)


# --- next_weekly ---------------------------------------------------------------------------

WEEKLY_ACROSS_CHANGES = [
    # (tz, weekday, first `after`, six expected instants, index of the occurrence after the change)
    pytest.param(
        BERLIN,
        0,
        utc(2026, 3, 10),
        [utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7),
         utc(2026, 4, 13, 7), utc(2026, 4, 20, 7)],
        2,
        id="berlin-spring",
    ),
    pytest.param(
        BERLIN,
        6,
        utc(2026, 10, 5),
        [utc(2026, 10, 11, 7), utc(2026, 10, 18, 7), utc(2026, 10, 25, 8), utc(2026, 11, 1, 8),
         utc(2026, 11, 8, 8), utc(2026, 11, 15, 8)],
        2,
        id="berlin-fall-on-the-change-day",
    ),
    pytest.param(
        NEW_YORK,
        6,
        utc(2026, 2, 16),
        [utc(2026, 2, 22, 14), utc(2026, 3, 1, 14), utc(2026, 3, 8, 13), utc(2026, 3, 15, 13),
         utc(2026, 3, 22, 13), utc(2026, 3, 29, 13)],
        2,
        id="new-york-spring-on-the-change-day",
    ),
    pytest.param(
        NEW_YORK,
        2,
        utc(2026, 10, 12),
        [utc(2026, 10, 14, 13), utc(2026, 10, 21, 13), utc(2026, 10, 28, 13),
         utc(2026, 11, 4, 14), utc(2026, 11, 11, 14), utc(2026, 11, 18, 14)],
        3,
        id="new-york-fall",
    ),
    pytest.param(
        SYDNEY,
        0,
        utc(2026, 3, 15),
        [utc(2026, 3, 15, 22), utc(2026, 3, 22, 22), utc(2026, 3, 29, 22), utc(2026, 4, 5, 23),
         utc(2026, 4, 12, 23), utc(2026, 4, 19, 23)],
        3,
        id="sydney-fall",
    ),
    pytest.param(
        SYDNEY,
        6,
        utc(2026, 9, 15),
        [utc(2026, 9, 19, 23), utc(2026, 9, 26, 23), utc(2026, 10, 3, 22), utc(2026, 10, 10, 22),
         utc(2026, 10, 17, 22), utc(2026, 10, 24, 22)],
        2,
        id="sydney-spring-on-the-change-day",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("tz", "weekday", "after", "expected", "change"), WEEKLY_ACROSS_CHANGES)
def test_weekly_stays_at_local_nine_across_dst(
    tz: str, weekday: int, after: datetime, expected: list[datetime], change: int
) -> None:
    dues: list[datetime] = []
    for _ in expected:
        after, intent = next_weekly(after, weekday, NINE, tz)
        assert intent == LocalIntent(wall(after, tz)[0], NINE)
        dues.append(after)
    assert dues == expected
    assert all(due.tzinfo is UTC for due in dues)
    assert [wall(due, tz)[1] for due in dues] == [NINE] * 6
    assert {wall(due, tz)[0].weekday() for due in dues} == {weekday}
    gaps = [later - earlier for earlier, later in pairwise(dues)]
    offset_change = expected[change] - expected[change - 1] - timedelta(days=7)
    assert abs(offset_change) == timedelta(hours=1)
    assert gaps == [
        timedelta(days=7) + (offset_change if i == change - 1 else timedelta(0)) for i in range(5)
    ]


def test_weekly_shanghai_is_always_one_utc() -> None:
    after = utc(2026, 3, 1)
    for _ in range(40):  # across every other zone's change dates
        after, _intent = next_weekly(after, 6, NINE, SHANGHAI)
        assert (after.hour, after.minute, after.weekday()) == (1, 0, 6)
    assert after == utc(2026, 11, 29, 1, 0)


@pytest.mark.parametrize(
    ("after", "weekday", "expected"),
    [
        # strictly after: at the occurrence itself, it is next week
        (utc(2026, 6, 8, 6, 59), 0, utc(2026, 6, 8, 7, 0)),
        (utc(2026, 6, 8, 7, 0), 0, utc(2026, 6, 15, 7, 0)),
        (utc(2026, 6, 8, 7, 0, 0, 1), 0, utc(2026, 6, 15, 7, 0)),
        (utc(2026, 6, 8, 7, 0), 1, utc(2026, 6, 9, 7, 0)),
        (utc(2026, 6, 8, 7, 0), 6, utc(2026, 6, 14, 7, 0)),
        # the weekday is the local one: Sunday 23:30 UTC is Monday 01:30 in Berlin
        (utc(2026, 6, 7, 23, 30), 0, utc(2026, 6, 8, 7, 0)),
    ],
)
def test_next_weekly_strictly_after(after: datetime, weekday: int, expected: datetime) -> None:
    due, intent = next_weekly(after, weekday, NINE, BERLIN)
    assert_utc(due, expected)
    assert intent == LocalIntent(wall(expected, BERLIN)[0], NINE)


def test_next_weekly_uses_the_local_weekday() -> None:
    # 2026-06-07 (Sunday) 23:30 UTC is Monday 07:30 in Shanghai: Monday 09:00 is today.
    due, intent = next_weekly(utc(2026, 6, 7, 23, 30), 0, NINE, SHANGHAI)
    assert_utc(due, utc(2026, 6, 8, 1, 0))
    assert intent == LocalIntent(date(2026, 6, 8), NINE)
    # 2026-06-02 (Tuesday) 02:00 UTC is still Monday 22:00 in New York: 23:00 is tonight.
    due, intent = next_weekly(utc(2026, 6, 2, 2, 0), 0, time(23, 0), NEW_YORK)
    assert_utc(due, utc(2026, 6, 2, 3, 0))
    assert intent == LocalIntent(date(2026, 6, 1), time(23, 0))


@pytest.mark.parametrize(
    ("tz", "after", "weekday", "at", "first", "second"),
    [
        # gap: happens at the first valid minute, then at the asked time the week after
        (BERLIN, utc(2026, 3, 28), 6, time(2, 30), utc(2026, 3, 29, 1, 0), utc(2026, 4, 5, 0, 30)),
        (
            NEW_YORK,
            utc(2026, 3, 7),
            6,
            time(2, 30),
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 15, 6, 30),
        ),
        (
            SYDNEY,
            utc(2026, 10, 2),
            6,
            time(2, 30),
            utc(2026, 10, 3, 16),
            utc(2026, 10, 10, 15, 30),
        ),
        # fold: the first occurrence, and next the following week (not an hour later)
        (
            BERLIN,
            utc(2026, 10, 24),
            6,
            time(2, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 11, 1, 1, 30),
        ),
        (
            NEW_YORK,
            utc(2026, 10, 31),
            6,
            time(1, 30),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 8, 6, 30),
        ),
        (
            SYDNEY,
            utc(2026, 4, 3),
            6,
            time(2, 30),
            utc(2026, 4, 4, 15, 30),
            utc(2026, 4, 11, 16, 30),
        ),
    ],
)
def test_next_weekly_in_gaps_and_folds(
    tz: str, after: datetime, weekday: int, at: time, first: datetime, second: datetime
) -> None:
    due, intent = next_weekly(after, weekday, at, tz)
    assert_utc(due, first)
    assert intent.at == at
    following, _ = next_weekly(due, weekday, at, tz)
    assert_utc(following, second)
    assert wall(following, tz)[1] == at


@pytest.mark.parametrize(
    ("tz", "between"),
    [
        # between the two occurrences of the folded 02:30 / 01:30
        (BERLIN, utc(2026, 10, 25, 1, 0)),
        (BERLIN, utc(2026, 10, 25, 1, 30)),
        (NEW_YORK, utc(2026, 11, 1, 6, 0)),
        (NEW_YORK, utc(2026, 11, 1, 6, 30)),
    ],
)
def test_next_weekly_never_returns_the_second_occurrence_of_a_fold(
    tz: str, between: datetime
) -> None:
    at = time(2, 30) if tz == BERLIN else time(1, 30)
    due, intent = next_weekly(between, 6, at, tz)
    assert due - between > timedelta(days=6)
    assert intent.day == wall(between, tz)[0] + timedelta(days=7)


def test_next_weekly_rejects_bad_weekday_and_naive_after() -> None:
    with pytest.raises(ValueError, match="weekday"):
        next_weekly(utc(2026, 6, 1), 7, NINE, BERLIN)
    with pytest.raises(ValueError, match="weekday"):
        next_weekly(utc(2026, 6, 1), -1, NINE, BERLIN)
    with pytest.raises(ValueError, match="aware"):
        next_weekly(datetime(2026, 6, 1), 0, NINE, BERLIN)


# --- quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "local", "expected"),
    [
        (NIGHT, time(22, 0), True),
        (NIGHT, time(22, 30), True),
        (NIGHT, time(23, 59), True),
        (NIGHT, time(0, 0), True),
        (NIGHT, time(7, 59), True),
        (NIGHT, time(7, 59, 59, 999999), True),
        (NIGHT, time(8, 0), False),
        (NIGHT, time(12, 0), False),
        (NIGHT, time(21, 59), False),
        (NIGHT, time(21, 59, 59), False),
        (QuietHours(time(13, 0), time(14, 0)), time(13, 0), True),
        (QuietHours(time(13, 0), time(14, 0)), time(13, 59), True),
        (QuietHours(time(13, 0), time(14, 0)), time(14, 0), False),
        (QuietHours(time(13, 0), time(14, 0)), time(12, 59), False),
        (QuietHours(time(13, 0), time(14, 0)), time(23, 0), False),
        (QuietHours(time(13, 0), time(14, 0)), time(0, 0), False),
        (QuietHours(time(0, 0), time(6, 0)), time(0, 0), True),
        (QuietHours(time(0, 0), time(6, 0)), time(23, 59), False),
        (QuietHours(time(22, 0), time(0, 0)), time(23, 59), True),
        (QuietHours(time(22, 0), time(0, 0)), time(0, 0), False),
        (QuietHours(time(8, 0), time(8, 0)), time(8, 0), False),
        (QuietHours(time(8, 0), time(8, 0)), time(3, 0), False),
        (NIGHT, time(23, 0, tzinfo=UTC), True),
    ],
)
def test_quiet_hours_contains(quiet: QuietHours, local: time, expected: bool) -> None:
    assert quiet.contains(local) is expected


def test_quiet_hours_default_and_validation() -> None:
    assert QuietHours() == QuietHours(time(22, 0), time(8, 0))
    with pytest.raises(ValueError, match=r"QuietHours\.end"):
        QuietHours(time(22, 0), time(8, 0, 30))
    with pytest.raises(ValueError, match=r"QuietHours\.start"):
        QuietHours(time(22, 0, tzinfo=UTC), time(8, 0))


@pytest.mark.parametrize(
    ("quiet", "due", "expected"),
    [
        # Berlin in summer (+02): inside the night window
        (NIGHT, utc(2026, 6, 10, 20, 0), utc(2026, 6, 11, 6, 0)),  # 22:00
        (NIGHT, utc(2026, 6, 10, 20, 30), utc(2026, 6, 11, 6, 0)),  # 22:30
        (NIGHT, utc(2026, 6, 10, 21, 59), utc(2026, 6, 11, 6, 0)),  # 23:59
        (NIGHT, utc(2026, 6, 10, 22, 0), utc(2026, 6, 11, 6, 0)),  # 00:00 next day
        (NIGHT, utc(2026, 6, 11, 4, 0), utc(2026, 6, 11, 6, 0)),  # 06:00
        (NIGHT, utc(2026, 6, 11, 5, 59), utc(2026, 6, 11, 6, 0)),  # 07:59
        (NIGHT, utc(2026, 6, 11, 5, 59, 59), utc(2026, 6, 11, 6, 0)),  # 07:59:59
        # outside: unchanged
        (NIGHT, utc(2026, 6, 11, 6, 0), utc(2026, 6, 11, 6, 0)),  # 08:00
        (NIGHT, utc(2026, 6, 11, 12, 0), utc(2026, 6, 11, 12, 0)),  # 14:00
        (NIGHT, utc(2026, 6, 10, 19, 59), utc(2026, 6, 10, 19, 59)),  # 21:59
        # month and year boundaries
        (NIGHT, utc(2026, 6, 30, 21, 0), utc(2026, 7, 1, 6, 0)),  # 23:00 on 30 June
        (NIGHT, utc(2026, 12, 31, 22, 30), utc(2027, 1, 1, 7, 0)),  # 23:30 CET New Year's Eve
        # a window that does not wrap midnight
        (QuietHours(time(13, 0), time(14, 0)), utc(2026, 6, 10, 11, 30), utc(2026, 6, 10, 12, 0)),
        (QuietHours(time(13, 0), time(14, 0)), utc(2026, 6, 10, 10, 59), utc(2026, 6, 10, 10, 59)),
        (QuietHours(time(13, 0), time(14, 0)), utc(2026, 6, 10, 12, 0), utc(2026, 6, 10, 12, 0)),
        (QuietHours(time(13, 0), time(14, 0)), utc(2026, 6, 10, 21, 0), utc(2026, 6, 10, 21, 0)),
        # start == end: never quiet
        (QuietHours(time(8, 0), time(8, 0)), utc(2026, 6, 10, 1, 0), utc(2026, 6, 10, 1, 0)),
        # across the spring change: 23:30 CET -> 08:00 CEST, 01:30 CET -> 08:00 CEST
        (NIGHT, utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 6, 0)),
        (NIGHT, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 6, 0)),
        (NIGHT, utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 6, 0)),  # 03:00 CEST
        # across the fall change: 23:30 CEST -> 08:00 CET; both 02:30s -> 08:00 CET
        (NIGHT, utc(2026, 10, 24, 21, 30), utc(2026, 10, 25, 7, 0)),
        (NIGHT, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 7, 0)),
        (NIGHT, utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 7, 0)),
        # the quiet end itself in a gap: first valid minute after it
        (QuietHours(time(22, 0), time(2, 30)), utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 1, 0)),
        # the quiet end in a fold, due in its first or second occurrence: never earlier
        (QuietHours(time(22, 0), time(2, 30)), utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 0, 30)),
        (QuietHours(time(22, 0), time(2, 30)), utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),
    ],
)
def test_respect_quiet_hours_berlin(quiet: QuietHours, due: datetime, expected: datetime) -> None:
    assert_utc(respect_quiet_hours(due, BERLIN, quiet), expected)


@pytest.mark.parametrize(
    ("tz", "due", "expected"),
    [
        # New York fall back: 01:30 EDT (and 01:30 EST) -> 08:00 EST
        (NEW_YORK, utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 13, 0)),
        (NEW_YORK, utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 13, 0)),
        # New York spring forward: 23:00 EST on the 7th -> 08:00 EDT on the 8th
        (NEW_YORK, utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 12, 0)),
        # Sydney: 23:00 AEDT on the 4th of April -> 08:00 AEST on the 5th
        (SYDNEY, utc(2026, 4, 4, 12, 0), utc(2026, 4, 4, 22, 0)),
        # Sydney: 23:00 AEST on the 3rd of October -> 08:00 AEDT on the 4th
        (SYDNEY, utc(2026, 10, 3, 13, 0), utc(2026, 10, 3, 21, 0)),
        # Shanghai: 23:30 UTC is 07:30 local on the next UTC day -> 08:00 local
        (SHANGHAI, utc(2026, 6, 1, 23, 30), utc(2026, 6, 2, 0, 0)),
        (SHANGHAI, utc(2026, 6, 1, 14, 30), utc(2026, 6, 2, 0, 0)),  # 22:30 local
        (SHANGHAI, utc(2026, 6, 1, 13, 59), utc(2026, 6, 1, 13, 59)),  # 21:59 local
    ],
)
def test_respect_quiet_hours_other_zones(tz: str, due: datetime, expected: datetime) -> None:
    assert_utc(respect_quiet_hours(due, tz, NIGHT), expected)


def test_respect_quiet_hours_returns_utc_for_any_aware_input() -> None:
    due = datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo(BERLIN))
    assert_utc(respect_quiet_hours(due, BERLIN, NIGHT), utc(2026, 6, 10, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        respect_quiet_hours(datetime(2026, 6, 10, 12, 0), BERLIN, NIGHT)


# --- move_to_zone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "old_tz", "new_tz", "old", "new"),
    [
        (
            LocalIntent(date(2026, 6, 10), NINE),
            BERLIN,
            SHANGHAI,
            utc(2026, 6, 10, 7, 0),
            utc(2026, 6, 10, 1, 0),
        ),
        (
            LocalIntent(date(2026, 1, 10), NINE),
            BERLIN,
            SHANGHAI,
            utc(2026, 1, 10, 8, 0),
            utc(2026, 1, 10, 1, 0),
        ),
        (
            LocalIntent(date(2026, 6, 10), NINE),
            SHANGHAI,
            NEW_YORK,
            utc(2026, 6, 10, 1, 0),
            utc(2026, 6, 10, 13, 0),
        ),
        # into a zone where the intent falls in a gap: first valid minute there
        (
            LocalIntent(date(2026, 3, 8), time(2, 30)),
            BERLIN,
            NEW_YORK,
            utc(2026, 3, 8, 1, 30),
            utc(2026, 3, 8, 7, 0),
        ),
        (
            LocalIntent(date(2026, 10, 4), time(2, 30)),
            SHANGHAI,
            SYDNEY,
            utc(2026, 10, 3, 18, 30),
            utc(2026, 10, 3, 16, 0),
        ),
        # into a zone where it falls in a fold: once, the first
        (
            LocalIntent(date(2026, 11, 1), time(1, 30)),
            BERLIN,
            NEW_YORK,
            utc(2026, 11, 1, 0, 30),
            utc(2026, 11, 1, 5, 30),
        ),
        # out of a gap: the asked 02:30 comes back
        (
            LocalIntent(date(2026, 3, 29), time(2, 30)),
            BERLIN,
            SHANGHAI,
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 28, 18, 30),
        ),
    ],
)
def test_move_to_zone(
    intent: LocalIntent, old_tz: str, new_tz: str, old: datetime, new: datetime
) -> None:
    assert_utc(resolve_local(intent.day, intent.at, old_tz), old)
    assert_utc(move_to_zone(intent, new_tz), new)


def test_move_to_zone_keeps_nine_local_from_a_stored_intent() -> None:
    due, intent = in_days(utc(2026, 6, 8, 12, 0), 2, NINE, BERLIN)
    assert_utc(due, utc(2026, 6, 10, 7, 0))
    moved = move_to_zone(LocalIntent.from_text(intent.to_text()), SHANGHAI)
    assert_utc(moved, utc(2026, 6, 10, 1, 0))
    assert wall(moved, SHANGHAI) == (date(2026, 6, 10), NINE)


# --- catch_up and collapse_missed -----------------------------------------------------------

DUE = utc(2026, 6, 1, 9, 0)
GRACE = timedelta(hours=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE - timedelta(days=1), CatchUp.WAIT),
        (DUE - timedelta(seconds=1), CatchUp.WAIT),
        (DUE, CatchUp.SEND),
        (DUE + timedelta(minutes=30), CatchUp.SEND),
        (DUE + GRACE, CatchUp.SEND),
        (DUE + GRACE + timedelta(seconds=1), CatchUp.MISSED),
        (DUE + timedelta(days=7), CatchUp.MISSED),
    ],
)
def test_catch_up(now: datetime, expected: CatchUp) -> None:
    assert catch_up(DUE, now, grace=GRACE) is expected


def test_catch_up_values_and_zero_grace() -> None:
    assert [c.value for c in CatchUp] == ["send", "missed", "wait"]
    assert catch_up(DUE, DUE, grace=timedelta(0)) is CatchUp.SEND
    assert catch_up(DUE, DUE + timedelta(microseconds=1), grace=timedelta(0)) is CatchUp.MISSED


def test_catch_up_compares_instants_not_wall_times() -> None:
    due = datetime(2026, 6, 1, 11, 0, tzinfo=ZoneInfo(BERLIN))  # 09:00 UTC
    assert catch_up(due, utc(2026, 6, 1, 10, 0), grace=GRACE) is CatchUp.SEND
    assert catch_up(due, utc(2026, 6, 1, 10, 0, 1), grace=GRACE) is CatchUp.MISSED


def test_catch_up_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="grace"):
        catch_up(DUE, DUE, grace=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        catch_up(datetime(2026, 6, 1, 9, 0), DUE, grace=GRACE)
    with pytest.raises(ValueError, match="aware"):
        catch_up(DUE, datetime(2026, 6, 1, 9, 0), grace=GRACE)


WEEKS = [utc(2026, 5, 4, 7, 0) + timedelta(days=7 * i) for i in range(5)]  # Mondays


@pytest.mark.parametrize(
    ("dues", "now", "missed", "send"),
    [
        # three missed weekly updates and one within grace: one send, the rest missed
        (WEEKS, WEEKS[3] + timedelta(minutes=30), [0, 1, 2], 3),
        # exactly grace after the newest: still sent; one second later: all missed
        (WEEKS, WEEKS[3] + GRACE, [0, 1, 2], 3),
        (WEEKS, WEEKS[3] + GRACE + timedelta(seconds=1), [0, 1, 2, 3], None),
        # none within grace: all past ones missed, the future one untouched
        (WEEKS, WEEKS[3] + timedelta(days=2), [0, 1, 2, 3], None),
        # due exactly now counts as past and is sent
        (WEEKS, WEEKS[4], [0, 1, 2, 3], 4),
        # everything in the future: nothing to do
        (WEEKS, WEEKS[0] - timedelta(seconds=1), [], None),
        ([], WEEKS[0], [], None),
        # a single one
        ([WEEKS[0]], WEEKS[0] + timedelta(minutes=5), [], 0),
        ([WEEKS[0]], WEEKS[0] + timedelta(hours=2), [0], None),
        # order of the input does not matter: the newest by instant is the one sent
        ([WEEKS[3], WEEKS[0], WEEKS[4], WEEKS[1]], WEEKS[3] + GRACE, [1, 3], 0),
        # two older ones both within grace: only the newest is sent
        ([DUE - timedelta(minutes=20), DUE - timedelta(minutes=10)], DUE, [0], 1),
        # duplicates of the newest: the last index is sent, the other missed
        ([DUE, DUE], DUE, [0], 1),
    ],
)
def test_collapse_missed(
    dues: list[datetime], now: datetime, missed: list[int], send: int | None
) -> None:
    assert collapse_missed(dues, now, grace=GRACE) == (missed, send)


def test_collapse_missed_weekly_updates_across_a_dst_change() -> None:
    """A bot down for three weeks over the spring change sends one update, on time."""
    dues, after = [], utc(2026, 3, 10)
    for _ in range(4):
        after, _intent = next_weekly(after, 0, NINE, BERLIN)
        dues.append(after)
    assert dues == [utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), utc(2026, 3, 30, 7),
                    utc(2026, 4, 6, 7)]  # fmt: skip
    now = utc(2026, 3, 30, 7, 45)
    assert collapse_missed(dues, now, grace=GRACE) == ([0, 1], 2)


def test_collapse_missed_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="aware"):
        collapse_missed([datetime(2026, 6, 1)], DUE, grace=GRACE)
    with pytest.raises(ValueError, match="grace"):
        collapse_missed([DUE], DUE, grace=-GRACE)


# --- reminder_at and snooze_until ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "tz", "quiet", "after", "expected"),
    [
        # 09:00 Berlin -> 09:00 next day
        (utc(2026, 6, 10, 7, 0), BERLIN, NIGHT, timedelta(hours=24), utc(2026, 6, 11, 7, 0)),
        # 21:00 -> 21:00 next day, outside quiet hours
        (utc(2026, 6, 10, 19, 0), BERLIN, NIGHT, timedelta(hours=24), utc(2026, 6, 11, 19, 0)),
        # 23:00 -> 23:00 next day is quiet -> 08:00 the day after
        (utc(2026, 6, 10, 21, 0), BERLIN, NIGHT, timedelta(hours=24), utc(2026, 6, 12, 6, 0)),
        # 21:00 + 2h = 23:00 -> 08:00 next day
        (utc(2026, 6, 10, 19, 0), BERLIN, NIGHT, timedelta(hours=2), utc(2026, 6, 11, 6, 0)),
        # 24 elapsed hours across the spring change: 09:00 CET -> 10:00 CEST
        (utc(2026, 3, 28, 8, 0), BERLIN, NIGHT, timedelta(hours=24), utc(2026, 3, 29, 8, 0)),
        # no quiet hours: 23:00 stays 23:00
        (
            utc(2026, 6, 10, 21, 0),
            BERLIN,
            QuietHours(time(0, 0), time(0, 0)),
            timedelta(hours=24),
            utc(2026, 6, 11, 21, 0),
        ),
        # Shanghai: sent 20:00 local, +3h = 23:00 -> 08:00 next day = 00:00 UTC
        (utc(2026, 6, 10, 12, 0), SHANGHAI, NIGHT, timedelta(hours=3), utc(2026, 6, 11, 0, 0)),
    ],
)
def test_reminder_at(
    sent_at: datetime, tz: str, quiet: QuietHours, after: timedelta, expected: datetime
) -> None:
    assert_utc(reminder_at(sent_at, tz, quiet, after=after), expected)


def test_reminder_at_defaults_to_a_day() -> None:
    assert_utc(reminder_at(utc(2026, 6, 10, 7, 0), BERLIN, NIGHT), utc(2026, 6, 11, 7, 0))


def test_reminder_at_rejects_negative_after() -> None:
    with pytest.raises(ValueError, match="after"):
        reminder_at(utc(2026, 6, 10, 7, 0), BERLIN, NIGHT, after=timedelta(hours=-1))


@pytest.mark.parametrize(
    ("now", "days", "at", "tz", "expected", "intent"),
    [
        # tomorrow 09:00, not quiet: the intent is as asked
        (
            utc(2026, 6, 10, 7, 0),
            1,
            NINE,
            BERLIN,
            utc(2026, 6, 11, 7, 0),
            LocalIntent(date(2026, 6, 11), NINE),
        ),
        # tomorrow 23:00 is quiet: 08:00 the day after, and the intent moves with it
        (
            utc(2026, 6, 10, 7, 0),
            1,
            time(23, 0),
            BERLIN,
            utc(2026, 6, 12, 6, 0),
            LocalIntent(date(2026, 6, 12), time(8, 0)),
        ),
        # today 06:00 has passed -> tomorrow 06:00, quiet -> tomorrow 08:00
        (
            utc(2026, 6, 10, 7, 0),
            0,
            time(6, 0),
            BERLIN,
            utc(2026, 6, 11, 6, 0),
            LocalIntent(date(2026, 6, 11), time(8, 0)),
        ),
        # snoozed into the spring change night: 01:30 -> 08:00 CEST
        (
            utc(2026, 3, 27, 12, 0),
            2,
            time(1, 30),
            BERLIN,
            utc(2026, 3, 29, 6, 0),
            LocalIntent(date(2026, 3, 29), time(8, 0)),
        ),
        # Shanghai, local date ahead of UTC: 23:30 UTC is 07:30 on the 2nd; +1 day 09:00
        (
            utc(2026, 6, 1, 23, 30),
            1,
            NINE,
            SHANGHAI,
            utc(2026, 6, 3, 1, 0),
            LocalIntent(date(2026, 6, 3), NINE),
        ),
    ],
)
def test_snooze_until(
    now: datetime, days: int, at: time, tz: str, expected: datetime, intent: LocalIntent
) -> None:
    due, got = snooze_until(now, days, at, tz, NIGHT)
    assert_utc(due, expected)
    assert got == intent
    assert_utc(move_to_zone(got, tz), expected)


def test_snooze_until_rejects_negative_days() -> None:
    with pytest.raises(ValueError, match="days"):
        snooze_until(utc(2026, 6, 10), -1, NINE, BERLIN, NIGHT)
