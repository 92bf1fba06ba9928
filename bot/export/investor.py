"""An investor-update draft from the last month of weekly founder updates.

Plain text with light markup (``**bold**`` headings, ``- `` bullets), sent as a message
the founder copies into an email. Every number is computed from what the founder gave:
the weekly updates, and cash, burn and runway from their latest funding run. It must be
safe to paste as it is, so:

- a section with nothing to say is left out, never padded with "nothing recorded";
- a change is only claimed between two updates at least a week apart (two updates on one
  day are a correction, not a trend);
- goals are labelled with the week they are for;
- the weekly obstacles, which the founder told their coach in private, are quoted only in
  the default version, and :func:`private_notes` lets the caller warn about them; the
  ``private=False`` version leaves them out;
- the asks are left as lines for the founder to fill in, never invented, and the founder's
  morale is never something the draft tells their investors;
- it is drafted from whatever the founder has given (without a weekly update it has cash,
  customers and revenue but no metric, highlights or goals), and :func:`missing` names what
  is not in it, for the coach to say beside the draft, never inside it.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.export.summary import KeyNumbers, ProductNumbers, Summary, UnitEconomics, WeeklyUpdate
from bot.export.words import Words, number, same_metric, signed, signed_pct
from bot.rendering.filters import format_money, format_months, format_num, format_pct

__all__ = ["MIN_DAYS_FOR_A_CHANGE", "SOURCES", "WINDOW_DAYS", "investor_update", "missing",
           "private_notes", "recent_updates"]  # fmt: skip

WINDOW_DAYS = 31
# what a full draft is built from, each with the conversation that gives it
SOURCES = ("update", "funding", "business_model", "product_tech")
MIN_DAYS_FOR_A_CHANGE = 7  # a change is between two updates at least a week apart


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


def private_notes(summary: Summary, today: date) -> list[str]:
    """The founder's private notes (weekly obstacles) the default draft quotes."""
    return _unique([u.obstacle for u in recent_updates(summary, today) if u.obstacle])


def _by_day(updates: list[WeeklyUpdate], name: str | None) -> list[tuple[date, WeeklyUpdate]]:
    """Updates giving a value of the metric, one per day (a later one that day corrects)."""
    days: dict[date, WeeklyUpdate] = {}
    for update in updates:
        day = _day(update)
        if day and update.metric_value is not None and same_metric(update.metric_name, name):
            days[day] = update
    return sorted(days.items(), key=lambda item: item[0])


def _metric(summary: Summary, recent: list[WeeklyUpdate], words: Words) -> list[str]:
    """The key metric now and, given an update a week or more before, its change since."""
    locale = summary.locale
    valued = [u for u in recent if u.metric_value is not None]
    if not valued:
        return []
    name = valued[-1].metric_name
    metric = _one_line(name or "")
    window = _by_day(recent, name)
    last_day, last = window[-1]
    latest = last_day - timedelta(days=MIN_DAYS_FOR_A_CHANGE)
    base = next(((d, u) for d, u in window if d <= latest), None)
    if base is None:  # nothing a week older this month: the last one before, if any
        start = window[0][0]
        earlier = [(d, u) for d, u in _by_day(summary.weekly_updates, name) if d < start]
        base = earlier[-1] if earlier and earlier[-1][0] <= latest else None
    end = float(last.metric_value or 0)
    if base is None:
        return [words("investor.metric_single", metric=metric, value=number(end, locale))]
    since, first = base[0], float(base[1].metric_value or 0)
    change = end - first
    return [
        words(
            "investor.metric_change",
            metric=metric,
            first=number(first, locale),
            last=number(end, locale),
            change=signed(change, locale),
            pct=signed_pct(change / abs(first), locale) if first else "",
            since=since.isoformat(),
        )
    ]


def _money(numbers: KeyNumbers, summary: Summary, words: Words) -> list[str]:
    """Cash, burn and runway, as the founder last gave them."""
    locale, currency = summary.locale, summary.currency
    lines = []
    if numbers.cash is not None:
        amount = format_money(numbers.cash, locale, currency)
        lines.append(words("investor.cash", amount=amount, date=numbers.as_of))
    if numbers.burn is not None:
        if numbers.burn > 0:
            amount = format_money(numbers.burn, locale, currency)
            lines.append(words("investor.burn", amount=amount))
        else:
            lines.append(words("investor.no_burn"))
    if numbers.runway_months is not None:
        months = format_months(numbers.runway_months, locale)
        lines.append(words("investor.runway", months=months))
    return lines


def _customers(unit: UnitEconomics, summary: Summary, words: Words) -> list[str]:
    """Paying customers, gross margin and payback, from the business-model flow."""
    locale = summary.locale
    lines = []
    if unit.paying_customers:
        price = format_money(unit.price, locale, summary.currency) if unit.price else ""
        count = format_num(unit.paying_customers, locale)
        lines.append(words("investor.customers", count=count, price=price))
    if unit.gross_margin is not None:
        lines.append(words("investor.gross_margin", margin=format_pct(unit.gross_margin, locale)))
    if unit.payback_months is not None:
        months = format_months(unit.payback_months, locale)
        lines.append(words("investor.payback", months=months))
    return lines


def _product(numbers: ProductNumbers, summary: Summary, words: Words) -> list[str]:
    """Monthly revenue and the compute bill against it, as the founder last gave them."""
    locale, currency = summary.locale, summary.currency
    lines = []
    if numbers.revenue:
        amount = format_money(numbers.revenue, locale, currency)
        lines.append(words("investor.revenue", amount=amount))
    if numbers.compute is not None and numbers.compute_share is not None:
        amount = format_money(numbers.compute, locale, currency)
        share = format_pct(numbers.compute_share, locale)
        lines.append(words("investor.compute_share", amount=amount, share=share))
    elif numbers.compute:
        amount = format_money(numbers.compute, locale, currency)
        lines.append(words("investor.compute", amount=amount))
    return lines


def _section(title: str, items: list[str]) -> list[str]:
    """A heading and its bullets, or nothing at all when there is nothing to say."""
    if not items:
        return []
    return [f"**{title}**", *(f"- {item}" for item in items), ""]


def missing(summary: Summary, today: date) -> list[str]:
    """The :data:`SOURCES` the draft has nothing from: the conversations that would add it.

    ``update``: no weekly update in the last month (no metric, highlights or goals);
    the others: no numbers from that conversation.
    """
    given = {
        "update": bool(recent_updates(summary, today)),
        "funding": summary.key_numbers is not None
        and bool(_money(summary.key_numbers, summary, _keys)),
        "business_model": summary.unit_economics is not None
        and bool(_customers(summary.unit_economics, summary, _keys)),
        "product_tech": summary.product_numbers is not None
        and bool(_product(summary.product_numbers, summary, _keys)),
    }
    return [source for source in SOURCES if not given[source]]


def _keys(key: str, **_: object) -> str:
    """Words that are only their keys: to ask the section builders whether they have lines."""
    return key


def investor_update(
    summary: Summary, words: Words, *, today: date, private: bool = True
) -> str | None:
    """The draft, in the founder's language; None when there is nothing at all to draft from.

    Without a weekly update in the last month it is drafted from the numbers the other
    conversations gave, dated ``today`` (:func:`missing` says what is not in it).
    ``private=False`` leaves out the founder's private notes (see the module docstring).
    """
    if len(missing(summary, today)) == len(SOURCES):
        return None
    recent = recent_updates(summary, today)
    numbers = _metric(summary, recent, words) if recent else []
    if summary.key_numbers is not None:
        numbers += _money(summary.key_numbers, summary, words)
    if summary.unit_economics is not None:
        numbers += _customers(summary.unit_economics, summary, words)
    if summary.product_numbers is not None:
        numbers += _product(summary.product_numbers, summary, words)
    obstacles = private_notes(summary, today) if private else []
    dropped = _unique([g for u in recent for g in u.goals_dropped])
    goals = _unique(recent[-1].goals_next) if recent else []
    period = (
        words("investor.period", start=recent[0].date, end=recent[-1].date)
        if recent
        else words("investor.as_of", date=today.isoformat())
    )
    lines = [
        f"**{words('investor.title', startup=summary.startup or '', founder=summary.founder)}**",
        period,
        "",
        words("investor.greeting"),
        "",
        *_section(words("investor.headline"), numbers),
        *_section(
            words("investor.highlights"), _unique([g for u in recent for g in u.goals_done])
        ),
        *_section(
            words("investor.lowlights"),
            obstacles + [words("investor.dropped", goal=goal) for goal in dropped],
        ),
        f"**{words('investor.asks')}**",
        words("investor.ask_hint"),
        f"- {words('investor.ask_intros')}",
        f"- {words('investor.ask_help')}",
        "",
        *(_section(words("investor.next_goals", date=recent[-1].date), goals) if recent else []),
        words("investor.signoff", founder=summary.founder),
    ]
    return "\n".join(lines).strip()
