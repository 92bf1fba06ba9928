"""An investor-update draft from the last month of weekly founder updates.

Plain text with light markup (``**bold**`` headings, ``- `` bullets), sent as a message
the founder copies into an email. Every number is computed from the weekly updates; the
asks are left as lines for the founder to fill in, never invented; and the founder's
morale, which they told their coach, is not something the draft tells their investors.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.export.summary import Summary, WeeklyUpdate
from bot.export.words import Words, metric_series, number, same_metric, signed, signed_pct

__all__ = ["WINDOW_DAYS", "investor_update", "recent_updates"]

WINDOW_DAYS = 31


def _day(update: WeeklyUpdate) -> date | None:
    try:
        return date.fromisoformat(update.date[:10])
    except ValueError:
        return None


def recent_updates(summary: Summary, today: date) -> list[WeeklyUpdate]:
    """The weekly updates of the last :data:`WINDOW_DAYS` days up to ``today``, oldest first."""
    start = today - timedelta(days=WINDOW_DAYS)
    dated = [(d, i, u) for i, u in enumerate(summary.weekly_updates) if (d := _day(u)) is not None]
    return [u for d, _, u in sorted(dated, key=lambda t: (t[0], t[1])) if start <= d <= today]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        line = _one_line(item)
        if line and line.casefold() not in seen:
            seen.add(line.casefold())
            kept.append(line)
    return kept


def _headline(summary: Summary, recent: list[WeeklyUpdate], words: Words) -> list[str]:
    locale = summary.locale
    name, series = metric_series(recent)
    if not series:
        return [words("investor.no_metric")]
    metric = _one_line(name or "")
    first, last = series[0], series[-1]
    if len(series) > 1:
        start, end = float(first.metric_value or 0), float(last.metric_value or 0)
        change = end - start
        pct = signed_pct(change / abs(start), locale) if start else ""
        line = words(
            "investor.metric_change",
            metric=metric,
            first=number(start, locale),
            last=number(end, locale),
            change=signed(change, locale),
            pct=pct,
        )
        return [line]
    # One value this month: compare with the previous update of the same metric, if any.
    position = next(i for i, u in enumerate(summary.weekly_updates) if u is last)
    before = [
        u
        for u in summary.weekly_updates[:position]
        if u.metric_value is not None and same_metric(u.metric_name, name)
    ]
    change, since = "", ""
    if before:
        change = signed(float(last.metric_value or 0) - float(before[-1].metric_value), locale)
        since = before[-1].date
    return [
        words(
            "investor.metric_single",
            metric=metric,
            value=number(last.metric_value, locale),
            change=change,
            since=since,
        )
    ]


def investor_update(summary: Summary, words: Words, *, today: date) -> str | None:
    """The draft, in the founder's language; None without a weekly update in the last month."""
    recent = recent_updates(summary, today)
    if not recent:
        return None
    nothing = f"- {words('investor.nothing')}"

    def bullets(items: list[str]) -> list[str]:
        return [f"- {item}" for item in items] or [nothing]

    lines = [
        f"**{words('investor.title', startup=summary.startup or '', founder=summary.founder)}**",
        words("investor.period", start=recent[0].date, end=recent[-1].date),
        "",
        words("investor.greeting"),
        "",
        f"**{words('investor.headline')}**",
        *bullets(_headline(summary, recent, words)),
        "",
        f"**{words('investor.highlights')}**",
        *bullets(_unique([g for u in recent for g in u.goals_done])),
        "",
        f"**{words('investor.lowlights')}**",
        *bullets(
            _unique([u.obstacle for u in recent if u.obstacle])
            + [
                words("investor.dropped", goal=goal)
                for goal in _unique([g for u in recent for g in u.goals_dropped])
            ]
        ),
        "",
        f"**{words('investor.asks')}**",
        words("investor.ask_hint"),
        f"- {words('investor.ask_intros')}",
        f"- {words('investor.ask_help')}",
        "",
        f"**{words('investor.next_goals')}**",
        *bullets(_unique(recent[-1].goals_next)),
        "",
        words("investor.signoff", founder=summary.founder),
    ]
    return "\n".join(lines).strip()
