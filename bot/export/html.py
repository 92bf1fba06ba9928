"""The coaching summary as one self-contained HTML page, with the weekly charts drawn in SVG.

No external resource, no script: the page opens offline on a phone and prints cleanly.
Every text (the words of ui.yaml ``export`` and everything from the summary) goes through
:func:`html.escape`; the charts are inline SVG whose labels are escaped the same way.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

from bot.export.summary import FlowSummary, Summary, WeeklyUpdate
from bot.export.words import (
    DASH,
    Words,
    checkin_outcome,
    commitment_status,
    generated_date,
    local_date,
    local_time,
    metric_series,
    morale,
    number,
    profile_and_flows,
    signed,
    speaker,
    topic_label,
)
from bot.rendering.filters import format_money, format_num

__all__ = ["chart_svg", "to_html"]

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f6f8; color: #1f2328; line-height: 1.6;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC",
    "Microsoft YaHei", sans-serif;
  -webkit-text-size-adjust: 100%; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
header h1 { font-size: 1.5rem; line-height: 1.3; margin: 1rem 0 .25rem; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 12px;
  padding: 1rem 1.25rem; margin: 1rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 0 0 .75rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1rem 0 .25rem; }
.meta { color: #57606a; font-size: .9rem; margin: .25rem 0 .75rem; }
dl.answers { margin: 0; }
dl.answers dt { font-weight: 600; }
dl.answers dd { margin: 0 0 .6rem; white-space: pre-wrap; }
ul, ol { padding-left: 1.25rem; }
.score { font-variant-numeric: tabular-nums; }
.dots { color: #2563eb; letter-spacing: .1em; margin-left: .5rem; }
.advice p { margin: .25rem 0; white-space: pre-wrap; }
.why { color: #57606a; font-style: italic; }
:lang(zh) .why { font-style: normal; }  /* CJK has no italics: grey alone sets it apart */
ol.timeline { list-style: none; padding-left: 0; margin: 0; }
ol.timeline > li { border-left: 3px solid #c9d1d9; padding: 0 0 .75rem 1rem; }
ol.timeline h3 { margin-top: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #e1e4e8; padding: .35rem .5rem; text-align: left;
  vertical-align: top; }
th { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart .grid { stroke: #e1e4e8; stroke-width: 1; }
svg.chart .axis { stroke: #8c959f; stroke-width: 1; }
svg.chart .line { fill: none; stroke: #2563eb; stroke-width: 2.5; }
svg.chart .point { fill: #2563eb; stroke: #fff; stroke-width: 1.5; }
svg.chart.morale .line { stroke: #d97706; }
svg.chart.morale .point { fill: #d97706; }
svg.chart text { fill: #57606a; font-size: 14px; }
svg.chart text.title { fill: #1f2328; font-weight: 600; }
ol.transcript { list-style: none; padding-left: 0; }
ol.transcript li { margin: 0 0 .75rem; }
ol.transcript .who { font-weight: 600; }
ol.transcript .in .who { color: #2563eb; }
ol.transcript .text { margin: .1rem 0 0; white-space: pre-wrap; }
@media print {
  body { background: none; color: #000; }
  main { max-width: none; padding: 0; }
  section { border: 0; border-radius: 0; padding: 0; margin: 0 0 1.5rem;
    break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  figure, tr, li, dl.answers dd { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
}
""".strip()

# The chart's drawing area, in SVG units (the chart scales to the page's width).
WIDTH, HEIGHT = 560, 250
LEFT, RIGHT, TOP, BOTTOM = 68, 12, 16, 50
PAD = 24  # between the y axis (and the right edge) and the first (and last) point
MAX_X_LABELS = 6
MIN_POINTS = 2  # a chart of one point says nothing the table does not


def e(text: Any) -> str:
    """Escape any text for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


class _Page:
    """The parts of the page, and the words escaped for it."""

    def __init__(self, summary: Summary, words: Words) -> None:
        self.summary = summary
        self.locale = summary.locale
        self.words = words
        self.parts: list[str] = []

    def w(self, key: str, **context: Any) -> str:
        """A UI string rendered with the raw values, then escaped as a whole."""
        return e(self.words(key, **context))

    def add(self, *parts: str) -> None:
        self.parts.extend(parts)


def _lang(locale: str) -> str:
    if locale.startswith("zh"):
        return "zh-Hans"
    return locale if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", locale) else "en"


def _anchor(flow_id: str) -> str:
    return "flow-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", flow_id).strip("-") or "x")


def to_html(summary: Summary, words: Words) -> str:
    """The founder's coaching summary as one self-contained HTML page."""
    page = _Page(summary, words)
    title = page.w("title", founder=summary.founder, startup=summary.startup or "")
    page.add(
        "<!doctype html>",
        f'<html lang="{e(_lang(summary.locale))}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{title}</h1>",
        f'<p class="meta">{page.w("generated", date=generated_date(summary))}</p>',
        "</header>",
    )
    profile, flows = profile_and_flows(summary)
    page.add('<section id="profile">', f"<h2>{page.w('profile')}</h2>")
    if profile is None or not profile.answers:
        page.add(f"<p>{page.w('no_profile')}</p>")
    else:
        _answers(page, profile)
    page.add("</section>")
    for flow in flows:
        _flow(page, flow)
    _weekly(page)
    _commitments(page)
    if summary.transcript is not None:
        _transcript(page)
    page.add("</main>", "</body>", "</html>")
    return "\n".join(page.parts) + "\n"


def _answers(page: _Page, flow: FlowSummary) -> None:
    page.add('<dl class="answers">')
    for answer in flow.answers:
        page.add(f"<dt>{e(answer.question)}</dt>", f"<dd>{e(answer.answer) or DASH}</dd>")
    page.add("</dl>")


def _flow(page: _Page, flow: FlowSummary) -> None:
    page.add(f'<section id="{e(_anchor(flow.flow))}">', f"<h2>{e(flow.title)}</h2>")
    if flow.completed_at is not None:
        when = local_date(flow.completed_at, page.summary)
        page.add(f'<p class="meta">{page.w("completed", date=when)}</p>')
    if flow.answers:
        page.add(f"<h3>{page.w('answers')}</h3>")
        _answers(page, flow)
    if flow.changes:
        page.add(f"<h3>{page.w('changes')}</h3>", "<ul>")
        for change in flow.changes:
            line = page.w(
                "change_line", question=change.question, before=change.before, after=change.after
            )
            page.add(f"<li>{line}</li>")
        page.add("</ul>")
    if flow.scores:
        page.add(f"<h3>{page.w('scores')}</h3>", "<ul>")
        for score in flow.scores:
            dots = "●" * max(0, min(score.score, 5)) + "○" * max(0, 5 - max(score.score, 0))
            line = page.w("score_line", name=score.name, score=score.score)
            page.add(
                f'<li><span class="score">{line}</span>'
                f'<span class="dots" aria-hidden="true">{dots}</span></li>'
            )
        page.add("</ul>")
    if flow.advice:
        page.add(f"<h3>{page.w('advice')}</h3>", '<ol class="advice">')
        for item in flow.advice:
            page.add(
                "<li>",
                f"<h4>{e(item.title)}</h4>",
                f"<p>{e(item.text.strip())}</p>",
                f'<p class="why">{page.w("why", why=item.why)}</p>',
                "</li>",
            )
        page.add("</ol>")
    page.add("</section>")


def _commitments(page: _Page) -> None:
    summary = page.summary
    page.add('<section id="commitments">', f"<h2>{page.w('commitments')}</h2>")
    if not summary.commitments:
        page.add(f"<p>{page.w('no_commitments')}</p>", "</section>")
        return
    page.add('<ol class="timeline">')
    for commitment in summary.commitments:
        meta = page.w(
            "commitment_meta",
            topic=topic_label(commitment, summary, page.words),
            status=commitment_status(commitment, page.words),
            date=local_date(commitment.created_at, summary),
        )
        page.add("<li>", f"<h3>{e(commitment.text) or DASH}</h3>", f'<p class="meta">{meta}</p>')
        if not commitment.checkins:
            page.add(f"<p>{page.w('no_checkins')}</p>")
        else:
            page.add("<ul>")
            for checkin in commitment.checkins:
                line = page.w(
                    "checkin_line",
                    when=checkin.due_local,
                    outcome=checkin_outcome(checkin, page.words),
                    note=(checkin.note or "").strip(),
                )
                page.add(f"<li>{line}</li>")
            page.add("</ul>")
        page.add("</li>")
    page.add("</ol>", "</section>")


def _weekly(page: _Page) -> None:
    summary, locale = page.summary, page.locale
    updates = summary.weekly_updates
    page.add('<section id="weekly">', f"<h2>{page.w('weekly')}</h2>")
    if not updates:
        page.add(f"<p>{page.w('no_weekly')}</p>", "</section>")
        return
    name, series = metric_series(updates)
    if series:
        label = page.words("chart_metric", metric=name or "")
        points = [
            (u.date, float(u.metric_value or 0), number(u.metric_value, locale)) for u in series
        ]
        page.add(
            chart_svg(
                points,
                label=label,
                css="metric",
                x_title=page.words("axis_week"),
                point=lambda date, value: page.words("chart_point", date=date, value=value),
                locale=locale,
            )
        )
    rated = [u for u in updates if u.morale is not None]
    if rated:
        page.add(
            chart_svg(
                [(u.date, float(u.morale or 0), morale(u)) for u in rated],
                label=page.words("chart_morale"),
                css="morale",
                x_title=page.words("axis_week"),
                point=lambda date, value: page.words("chart_point", date=date, value=value),
                locale=locale,
                scale=(1.0, 5.0),
            )
        )
    headers = ["col_date", "col_metric", "col_value", "col_change", "col_morale", "col_obstacle"]
    page.add('<div class="table-wrap">', "<table>", "<thead>", "<tr>")
    page.add(*(f'<th scope="col">{page.w(h)}</th>' for h in headers))
    page.add("</tr>", "</thead>", "<tbody>")
    for update in updates:
        page.add(
            "<tr>",
            f"<td>{e(update.date)}</td>",
            f"<td>{e(update.metric_name or DASH)}</td>",
            f'<td class="num">{e(number(update.metric_value, locale))}</td>',
            f'<td class="num">{e(signed(update.metric_change, locale))}</td>',
            f'<td class="num">{e(morale(update))}</td>',
            f"<td>{e(update.obstacle or DASH)}</td>",
            "</tr>",
        )
    page.add("</tbody>", "</table>", "</div>")
    for update in updates:
        _goals(page, update)
    page.add("</section>")


def _goals(page: _Page, update: WeeklyUpdate) -> None:
    groups = [
        ("goals_done", update.goals_done),
        ("goals_carried", update.goals_carried),
        ("goals_dropped", update.goals_dropped),
        ("goals_next", update.goals_next),
    ]
    if not any(goals for _, goals in groups):
        return
    page.add(f"<h3>{page.w('week', date=update.date)}</h3>", "<dl>")
    for key, goals in groups:
        if goals:
            page.add(f"<dt>{page.w(key)}</dt>", "<dd>", "<ul>")
            page.add(*(f"<li>{e(goal)}</li>" for goal in goals))
            page.add("</ul>", "</dd>")
    page.add("</dl>")


def _transcript(page: _Page) -> None:
    page.add('<section id="transcript">', f"<h2>{page.w('transcript')}</h2>")
    messages = page.summary.transcript or []
    if not messages:
        page.add(f"<p>{page.w('no_transcript')}</p>", "</section>")
        return
    page.add('<ol class="transcript">')
    for message in messages:
        side = "in" if message.direction == "in" else "out"
        when = local_time(message.at, page.summary)
        page.add(
            f'<li class="{side}">',
            f'<span class="who">{e(speaker(message.direction, page.words))}</span> ',
            f'<time class="meta">{e(when)}</time>',
            f'<p class="text">{e(message.text.strip())}</p>',
            "</li>",
        )
    page.add("</ol>", "</section>")


def _tick(value: float, locale: str) -> str:
    """An axis label: short for large numbers (``1.5M``, ``150万``)."""
    return format_money(value, locale) if abs(value) >= 1e6 else format_num(value, locale)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short_date(text: str) -> str:
    """``03-02`` for an axis (the full date is in each point's tooltip)."""
    return text[5:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text) else text


def chart_svg(
    points: Sequence[tuple[str, float, str]],
    *,
    label: str,
    css: str,
    x_title: str,
    point: Any,
    locale: str,
    scale: tuple[float, float] | None = None,
) -> str:
    """A line chart of ``(date, value, shown value)`` points as inline SVG.

    "" for fewer than :data:`MIN_POINTS` points: one value is no trend, and the table
    beside the chart already shows it. ``label`` is the chart's only title (its caption),
    so the chart does not say it twice. ``scale`` fixes the y axis (morale is 1..5);
    otherwise it runs from 0 (or the lowest value, if negative) to the highest; equal
    values draw a flat line. ``point(date, shown)`` is each point's tooltip. Every text is
    escaped here.
    """
    points = [p for p in points if math.isfinite(p[1])]
    if len(points) < MIN_POINTS:
        return ""
    values = [v for _, v, _ in points]
    if scale is not None:
        low, high = scale
        ticks = [low + step for step in range(int(high - low) + 1)]
    else:
        low, high = min(0.0, *values), max(0.0, *values)
        if high == low:
            high = low + 1
        ticks = [low, (low + high) / 2, high]
    count = len(points)
    left, right, bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(index: int) -> float:
        inner = right - left - 2 * PAD
        return left + PAD + (inner / 2 if count == 1 else inner * index / (count - 1))

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return bottom - (bottom - TOP) * share

    svg = [
        f"<figure><figcaption>{e(label)}</figcaption>",
        f'<svg class="chart {e(css)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{e(label)}">',
    ]
    for tick in ticks:
        at = _fmt(y(tick))
        svg.append(f'<line class="grid" x1="{left}" y1="{at}" x2="{right}" y2="{at}"></line>')
        svg.append(
            f'<text x="{left - 8}" y="{at}" text-anchor="end" dominant-baseline="middle">'
            f"{e(_tick(tick, locale))}</text>"
        )
    svg.append(f'<line class="axis" x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"></line>')
    svg.append(f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"></line>')
    every = max(1, math.ceil(count / MAX_X_LABELS))
    for index, (date, _, _) in enumerate(points):
        if index % every == 0 or index == count - 1:
            svg.append(
                f'<text x="{_fmt(x(index))}" y="{bottom + 20}" text-anchor="middle">'
                f"{e(_short_date(date))}</text>"
            )
    svg.append(
        f'<text class="title" x="{_fmt((left + right) / 2)}" y="{HEIGHT - 4}" '
        f'text-anchor="middle">{e(x_title)}</text>'
    )
    if count > 1:
        coords = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, (_, v, _) in enumerate(points))
        svg.append(f'<polyline class="line" points="{coords}"></polyline>')
    for index, (date, value, shown) in enumerate(points):
        svg.append(
            f'<circle class="point" cx="{_fmt(x(index))}" cy="{_fmt(y(value))}" r="5">'
            f"<title>{e(point(date, shown))}</title></circle>"
        )
    svg.append("</svg></figure>")
    return "\n".join(svg)
