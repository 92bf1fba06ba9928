"""What the document exports share: their words (ui.yaml ``export``), dates and numbers.

Every user-facing word of a document comes from ``words``; this module only picks the
key. Numbers are formatted for the summary's language by :mod:`bot.rendering.filters`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.export.summary import CheckInItem, CommitmentItem, FlowSummary, Summary, WeeklyUpdate
from bot.rendering.filters import format_num, format_pct

Words = Callable[..., str]
"""``words("key", **context)``: the plain-text UI string ``export.<key>`` rendered."""

COMMITMENT_STATUSES = ("open", "done", "partly", "not_yet", "dropped", "cancelled")
CHECKIN_STATUSES = ("scheduled", "sending", "sent", "answered", "missed", "cancelled", "paused",
                    "failed", "paused_blocked")  # fmt: skip
DASH = "—"


def zone_of(summary: Summary) -> ZoneInfo:
    """The founder's zone (UTC if the name is unknown)."""
    try:
        return ZoneInfo(summary.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, summary: Summary) -> datetime:
    """A moment in the founder's zone (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone_of(summary))


def local_date(moment: datetime, summary: Summary) -> str:
    """``2026-03-02``: the date of a moment in the founder's zone."""
    return local(moment, summary).date().isoformat()


def local_time(moment: datetime, summary: Summary) -> str:
    """``2026-03-02 09:00`` in the founder's zone."""
    return local(moment, summary).strftime("%Y-%m-%d %H:%M")


def generated_date(summary: Summary) -> str:
    """The day the summary was made, in the founder's zone."""
    return local_date(summary.generated_at, summary)


def profile_and_flows(summary: Summary) -> tuple[FlowSummary | None, list[FlowSummary]]:
    """The onboarding flow (the profile), if any, and every other flow."""
    flows = list(summary.flows)
    if flows and flows[0].flow == "onboarding":
        return flows[0], flows[1:]
    return None, [f for f in flows if f.flow != "onboarding"]


def number(value: float | None, locale: str) -> str:
    """``1,234.5``, or a dash when there is no number."""
    return DASH if value is None else format_num(value, locale)


def signed(value: float | None, locale: str) -> str:
    """``+120`` / ``-3`` / ``0``, or a dash when there is no change."""
    if value is None:
        return DASH
    text = format_num(value, locale)
    return f"+{text}" if value > 0 else text


def signed_pct(fraction: float, locale: str) -> str:
    """``+40%`` / ``-12.5%``."""
    text = format_pct(fraction, locale)
    return f"+{text}" if fraction > 0 else text


def morale(update: WeeklyUpdate) -> str:
    """``4/5``, or a dash."""
    return DASH if update.morale is None else f"{update.morale}/5"


def topic_label(commitment: CommitmentItem, summary: Summary, words: Words) -> str:
    """The flow a commitment came from, by its title; ``own`` for the founder's own."""
    for flow in summary.flows:
        if flow.flow == commitment.topic:
            return flow.title
    if commitment.topic == "own":
        return words("topic_own")
    return commitment.topic


def commitment_status(commitment: CommitmentItem, words: Words) -> str:
    """Where a commitment stands, in words."""
    if commitment.status in COMMITMENT_STATUSES:
        return words(f"commitment_status.{commitment.status}")
    return commitment.status


def checkin_outcome(checkin: CheckInItem, words: Words) -> str:
    """How a check-in went (its outcome's label), else where it stands."""
    if checkin.outcome_label:
        return checkin.outcome_label
    if checkin.status in CHECKIN_STATUSES:
        return words(f"checkin_status.{checkin.status}")
    return checkin.outcome or checkin.status


def speaker(direction: str, words: Words) -> str:
    """Who said a line of the transcript."""
    return words("speaker_in" if direction == "in" else "speaker_out")


def same_metric(a: str | None, b: str | None) -> bool:
    """Two metric names mean the same number (case and spaces aside)."""
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def metric_series(updates: list[WeeklyUpdate]) -> tuple[str | None, list[WeeklyUpdate]]:
    """The latest metric with a value, and every update giving a value of it, in order."""
    valued = [u for u in updates if u.metric_value is not None]
    if not valued:
        return None, []
    name = valued[-1].metric_name
    return name, [u for u in valued if same_metric(u.metric_name, name)]
