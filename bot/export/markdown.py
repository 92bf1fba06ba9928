"""The coaching summary as Markdown: profile, flows, commitments, weekly updates, transcript.

Every word of the document comes from ui.yaml ``export`` (``words``); every text from the
summary (answers, advice, commitments, notes, goals, obstacles, the transcript) goes
through :func:`~bot.rendering.markup.escape_markdown`, so founder text shows exactly as
typed and can add no heading, link, list, HTML or table column. Only what Markdown would
act on is escaped, and lines are broken with two trailing spaces rather than a ``\\``,
so the raw file reads cleanly when pasted into a doc or an email.
"""

from __future__ import annotations

import re
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
    morale,
    number,
    profile_and_flows,
    signed,
    speaker,
    topic_label,
)
from bot.rendering.markup import escape_markdown

__all__ = ["Words", "md", "md_block", "md_cell", "to_markdown"]

_BREAK = "  \n"  # a hard line break that reads as nothing in the raw file
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?")


class _Computed(str):
    """A value the exporter made itself (a date, a number): shown without escaping."""

    __slots__ = ()


def md(text: str | None) -> str:
    """Founder or summary text on one line, escaped for Markdown (a dash when empty)."""
    flat = " ".join((text or "").split())
    return escape_markdown(flat) if flat else DASH


def md_block(text: str | None, indent: str = "") -> str:
    """Text of several lines, escaped, its lines kept apart by hard line breaks."""
    lines = [escape_markdown(" ".join(line.split())) for line in (text or "").splitlines()
             if line.strip()]  # fmt: skip
    return (_BREAK + indent).join(lines) if lines else DASH


def md_cell(text: str | None) -> str:
    """Text in a table cell: escaped, and a ``|`` cannot start another column."""
    return md(text).replace("|", "\\|")


def _date(text: str) -> str:
    """A date from the summary: as it is when it looks like one, else escaped."""
    return _Computed(text) if _DATE.fullmatch(text) else md(text)


class _Writer:
    """The lines of the document, and the words escaped for it."""

    def __init__(self, summary: Summary, words: Words) -> None:
        self.summary = summary
        self.locale = summary.locale
        self.words = words
        self.lines: list[str] = []

    def w(self, key: str, **context: Any) -> str:
        """A UI string with every value from the summary escaped."""
        safe = {
            name: md(value)
            if isinstance(value, str) and value and not isinstance(value, _Computed)
            else value
            for name, value in context.items()
        }
        return self.words(key, **safe)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def heading(self, level: int, text: str) -> None:
        self.add(f"{'#' * level} {text}", "")

    def paragraph(self, text: str) -> None:
        self.add(text, "")

    def bullets(self, items: list[str], indent: str = "") -> None:
        self.add(*(f"{indent}- {item}" for item in items))
        if not indent:
            self.add("")


def to_markdown(summary: Summary, words: Words) -> str:
    """The founder's coaching summary as one Markdown document."""
    out = _Writer(summary, words)
    out.heading(1, out.w("title", founder=summary.founder, startup=summary.startup or ""))
    out.paragraph(out.w("generated", date=_Computed(generated_date(summary))))
    profile, flows = profile_and_flows(summary)
    out.heading(2, out.w("profile"))
    if profile is None or not profile.answers:
        out.paragraph(out.w("no_profile"))
    else:
        _answers(out, profile)
    for flow in flows:
        _flow(out, flow)
    _weekly(out)
    _commitments(out)
    if summary.transcript is not None:
        _transcript(out)
    return "\n".join(out.lines).rstrip() + "\n"


def _answers(out: _Writer, flow: FlowSummary) -> None:
    out.bullets([out.w("answer_line", question=a.question, answer=a.answer) for a in flow.answers])


def _flow(out: _Writer, flow: FlowSummary) -> None:
    out.heading(2, md(flow.title))
    if flow.completed_at is not None:
        out.paragraph(
            out.w("completed", date=_Computed(local_date(flow.completed_at, out.summary)))
        )
    if flow.answers:
        out.heading(3, out.w("answers"))
        _answers(out, flow)
    if flow.changes:
        out.heading(3, out.w("changes"))
        out.bullets(
            [
                out.w("change_line", question=c.question, before=c.before, after=c.after)
                for c in flow.changes
            ]
        )
    if flow.scores:
        out.heading(3, out.w("scores"))
        out.bullets([out.w("score_line", name=s.name, score=s.score) for s in flow.scores])
    if flow.advice:
        out.heading(3, out.w("advice"))
        for index, item in enumerate(flow.advice, start=1):
            out.heading(4, f"{index}. {md(item.title)}")
            out.paragraph(md_block(item.text))
            why = out.w("why", why=item.why)
            # Chinese has no italics: a slanted CJK face is a synthetic one, and reads poorly
            out.paragraph(why if out.locale.startswith("zh") else f"*{why}*")


def _commitments(out: _Writer) -> None:
    summary = out.summary
    out.heading(2, out.w("commitments"))
    if not summary.commitments:
        out.paragraph(out.w("no_commitments"))
        return
    for commitment in summary.commitments:
        out.heading(3, md(commitment.text))
        meta = out.w(
            "commitment_meta",
            topic=topic_label(commitment, summary, out.words),
            status=commitment_status(commitment, out.words),
            date=_Computed(local_date(commitment.created_at, summary)),
        )
        out.paragraph(meta)
        if not commitment.checkins:
            out.paragraph(out.w("no_checkins"))
            continue
        items = []
        for checkin in commitment.checkins:
            line = out.w(
                "checkin_line",
                when=_date(checkin.due_local),
                outcome=checkin_outcome(checkin, out.words),
                note=(checkin.note or "").strip(),
            )
            items.append(line)
        out.bullets(items)


def _cells(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _weekly(out: _Writer) -> None:
    summary, locale = out.summary, out.locale
    out.heading(2, out.w("weekly"))
    if not summary.weekly_updates:
        out.paragraph(out.w("no_weekly"))
        return
    headers = ["col_date", "col_metric", "col_value", "col_change", "col_morale", "col_obstacle"]
    out.add(_cells([out.w(h) for h in headers]), _cells(["---"] * len(headers)))
    for update in summary.weekly_updates:
        out.add(
            _cells(
                [
                    _date(update.date),
                    md_cell(update.metric_name),
                    number(update.metric_value, locale),
                    signed(update.metric_change, locale),
                    morale(update),
                    md_cell(update.obstacle),
                ]
            )
        )
    out.add("")
    for update in summary.weekly_updates:
        _goals(out, update)


def _goals(out: _Writer, update: WeeklyUpdate) -> None:
    groups = [
        ("goals_done", update.goals_done),
        ("goals_carried", update.goals_carried),
        ("goals_dropped", update.goals_dropped),
        ("goals_next", update.goals_next),
    ]
    if not any(goals for _, goals in groups):
        return
    out.heading(3, out.w("week", date=_date(update.date)))
    for key, goals in groups:
        if goals:
            out.add(f"- {out.w(key)}")
            out.bullets([md(goal) for goal in goals], indent="  ")
    out.add("")


def _transcript(out: _Writer) -> None:
    out.heading(2, out.w("transcript"))
    messages = out.summary.transcript or []
    if not messages:
        out.paragraph(out.w("no_transcript"))
        return
    for message in messages:
        who = speaker(message.direction, out.words)
        when = local_time(message.at, out.summary)
        out.add(f"- **{who}** · {when}  ", f"  {md_block(message.text, '  ')}")
    out.add("")
