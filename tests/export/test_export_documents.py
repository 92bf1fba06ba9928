"""The documents: Markdown and HTML summaries and the investor-update draft, parsed back."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml

from bot.catalog import load_checked_catalog
from bot.export.html import to_html
from bot.export.investor import investor_update
from bot.export.markdown import Words, to_markdown
from bot.export.summary import (
    AdviceItem,
    AnswerItem,
    Change,
    CheckInItem,
    CommitmentItem,
    FlowSummary,
    Message,
    ScoreItem,
    Summary,
    WeeklyUpdate,
)
from bot.rendering import Renderer, Target, escape_markdown
from tests.conftest import REPO

TODAY = date(2026, 3, 30)
SCRIPT = "<script>alert(1)</script>"
# Where founder text goes in make_summary(text=...)
FIELDS = ["PITCH", "QUESTION", "ANSWER", "ADVICE", "WHY", "COMMITMENT", "NOTE", "OBSTACLE", "GOAL",
          "TRANSCRIPT"]  # fmt: skip


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(load_checked_catalog(REPO / "flows", REPO / "content"))


def words_for(renderer: Renderer, locale: str) -> Words:
    return lambda key, **ctx: renderer.ui(f"export.{key}", locale, Target.PLAIN, **ctx)


@pytest.fixture
def words(renderer: Renderer) -> Words:
    return words_for(renderer, "en")


@pytest.fixture
def words_zh(renderer: Renderer) -> Words:
    return words_for(renderer, "zh")


def nasty(tag: str) -> str:
    """Founder text that would add formatting if it were not escaped."""
    return f"<b>{tag}</b> *{tag}* {tag}|col {tag}_x"


def weekly(
    values: list[float | None], *, morale: list[int | None] | None = None, first_day: int = 2
) -> list[WeeklyUpdate]:
    """One update a week from March ``first_day``; change computed as the flow does."""
    updates = []
    for i, value in enumerate(values):
        before = values[i - 1] if i else None
        updates.append(
            WeeklyUpdate(
                date=f"2026-03-{first_day + 7 * i:02d}",
                metric_name="Weekly active users" if value is not None else None,
                metric_value=value,
                metric_change=None if value is None or before is None else value - before,
                morale=(morale or [3] * len(values))[i],
            )
        )
    return updates


def make_summary(
    locale: str = "en", *, text: Callable[[str], str] = lambda tag: tag, transcript: bool = True
) -> Summary:
    """A founder two flows in, with advice, a commitment checked twice and four weeks."""
    onboarding = FlowSummary(
        flow="onboarding",
        title="Your profile",
        run_id=1,
        completed_at=at(1),
        answers=[
            AnswerItem(step="name", question="Name", answer="Ada"),
            AnswerItem(step="startup", question="Startup", answer="Acme AI"),
            AnswerItem(step="pitch", question="Pitch", answer=text("PITCH")),
        ],
    )
    team = FlowSummary(
        flow="team",
        title="Team building",
        run_id=2,
        completed_at=at(3),
        answers=[
            AnswerItem(step="cofounder", question=text("QUESTION"), answer=text("ANSWER")),
            AnswerItem(step="hires", question="Next hire", answer="ML engineer"),
        ],
        changes=[Change(question="Next hire", before="PM", after="ML engineer")],
        scores=[
            ScoreItem(dimension="team", name="Team strength", score=3),
            ScoreItem(dimension="hiring", name="Hiring plan", score=2),
        ],
        advice=[
            AdviceItem(
                rule="hire_ml",
                title=text("ADVICE"),
                text="Write the role down before you talk to anyone.",
                why=f"You said {text('WHY')}.",
            )
        ],
    )
    funding = FlowSummary(
        flow="funding",
        title="Funding and runway",
        run_id=3,
        completed_at=at(4),
        answers=[AnswerItem(step="runway", question="Runway", answer="9 months")],
        scores=[ScoreItem(dimension="runway", name="Runway", score=2)],
        advice=[AdviceItem(rule="runway", title="Extend runway", text="Cut burn.", why="9 mo.")],
    )
    commitment = CommitmentItem(
        id=1,
        topic="team",
        text=text("COMMITMENT"),
        status="partly",
        created_at=at(3),
        checkins=[
            CheckInItem(
                id=1,
                kind="commitment",
                due_at=at(10),
                due_local="2026-03-10 17:00",
                status="answered",
                outcome="partly",
                outcome_label="Partly done",
                note=text("NOTE"),
                answered_at=at(10, 10),
            ),
            CheckInItem(
                id=2,
                kind="commitment",
                due_at=at(17),
                due_local="2026-03-17 17:00",
                status="scheduled",
            ),
        ],
    )
    updates = weekly([300, 330, 380, 420], morale=[3, 4, 2, 4])
    updates[0].obstacle = text("OBSTACLE")
    updates[0].goals_next = ["Ship the pilot", "Call 5 customers"]
    updates[1].goals_done = ["Ship the pilot"]
    updates[1].goals_carried = ["Call 5 customers"]
    updates[1].goals_next = ["Call 5 customers", text("GOAL")]
    updates[2].obstacle = "Hiring is slow"
    updates[2].goals_done = ["Call 5 customers"]
    updates[2].goals_dropped = ["Old plan"]
    updates[2].goals_next = ["Sign the first contract"]
    updates[3].goals_next = ["Close the seed round", "Hire the ML engineer"]
    messages = [
        Message(direction="out", text="Hi! What should I call you?", at=at(1)),
        Message(
            direction="in", text=text("TRANSCRIPT") + "\n# not a heading\n2. not a list", at=at(1)
        ),
    ]
    return Summary(
        generated_at=at(30, 20),  # 04:00 on the 31st in Shanghai
        locale=locale,
        founder="Ada",
        startup="Acme AI",
        timezone="Asia/Shanghai",
        flows=[onboarding, team, funding],
        commitments=[commitment],
        weekly_updates=updates,
        transcript=messages if transcript else None,
    )


def empty_summary(locale: str = "en") -> Summary:
    return Summary(generated_at=at(30), locale=locale, founder="", timezone="Not/AZone")


# --- Markdown -------------------------------------------------------------------------------


def headings(markdown: str) -> list[tuple[int, str]]:
    return [
        (len(m.group(1)), m.group(2))
        for m in re.finditer(r"^(#{1,6}) (.+)$", markdown, flags=re.MULTILINE)
    ]


def test_markdown_headings_come_in_order(words: Words) -> None:
    found = headings(to_markdown(make_summary(), words))
    expected = [
        (1, "Coaching summary: Ada, Acme AI"),
        (2, "Profile"),
        (2, "Team building"),
        (3, "Your answers"),
        (3, "Since last time"),
        (3, "Where you stand"),
        (3, "Advice"),
        (2, "Funding and runway"),
        (2, "Weekly updates"),
        (2, "Commitments and check-ins"),
        (2, "Conversation transcript"),
    ]
    positions = [found.index(h) for h in expected]
    assert positions == sorted(positions)
    assert [h for h in found if h[0] <= 2] == [h for h in expected if h[0] <= 2]


def test_markdown_content(words: Words) -> None:
    text = to_markdown(make_summary(), words)
    assert "Generated on 2026-03-31" in text  # the founder's date, not UTC's
    assert "- Pitch: PITCH" in text
    assert "- Next hire: PM → ML engineer" in text
    assert "- Team strength: 3/5" in text
    assert "*Why: You said WHY.*" in text
    assert "Team building · Partly done · made on 2026-03-03" in text
    assert "- 2026-03-10 17:00: Partly done. Note: NOTE" in text
    assert "- 2026-03-17 17:00: Scheduled" in text
    assert "### Week of 2026-03-16" in text
    assert "- Dropped\n  - Old plan" in text


def commonmark(text: str) -> str:
    """The Markdown as a reader renders it (CommonMark with GitHub's tables and strikes)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


@pytest.mark.parametrize("tag", FIELDS)
def test_markdown_escapes_founder_text(words: Words, tag: str) -> None:
    text = to_markdown(make_summary(text=nasty), words)
    rendered = commonmark(text)
    assert f"<b>{tag}" not in rendered
    assert f"<em>{tag}" not in rendered
    assert f"&lt;b&gt;{tag}&lt;/b&gt; *{tag}* {tag}|col {tag}_x" in rendered


ATTACKS = [
    "[click](http://evil.example)",
    "![img](http://evil.example/x.png)",
    "<a href='http://evil.example'>x</a>",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "---",
    "`code`",
    "**bold** __bold__ _em_ ~~gone~~",
    "&copy; &#169;",
    "<http://evil.example>",
    "[ref]\n\n[ref]: http://evil.example",
    "trailing backslash \\",
    "Hire #",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_founder_text_cannot_inject(words: Words, attack: str) -> None:
    """Links, images, HTML, headings, lists, quotes, code, emphasis: all shown as typed."""

    def tags(text: Callable[[str], str]) -> dict[str, int]:
        rendered = commonmark(to_markdown(make_summary(text=text), words))
        found = re.findall(r"<([a-z][a-z0-9]*)", rendered)
        return {tag: found.count(tag) for tag in set(found) if tag != "br"}  # a typed newline

    attacked = commonmark(to_markdown(make_summary(text=lambda tag: f"{tag} {attack}"), words))
    assert tags(lambda tag: f"{tag} {attack}") == tags(lambda tag: f"{tag} plain words")
    assert "evil.example" not in "".join(re.findall(r'(?:href|src)="[^"]*"', attacked))
    assert "©" not in attacked


@pytest.mark.parametrize(
    "typed",
    ["mid-size firms", "2.5M (vertical AI)", "#1 priority: C++ devs!", "snake_case & co.",
     "50% of {budget}", "Q1-Q2 plan + hires", "中文_名字 说明（重要）"],
)  # fmt: skip
def test_markdown_reads_cleanly_raw(words: Words, typed: str) -> None:
    """Ordinary founder text is not escaped: the raw file reads as typed (§4 Exports)."""
    text = to_markdown(make_summary(text=lambda tag: f"{tag} {typed}"), words)
    assert f"PITCH {typed}" in text
    assert f"NOTE {typed}" in text
    assert not any(line.endswith("\\") for line in text.splitlines())


def test_markdown_lines_of_founder_text_start_nothing(words: Words) -> None:
    text = to_markdown(make_summary(), words)
    lines = text.splitlines()
    assert "  \\# not a heading  " in lines
    assert "  2\\. not a list" in lines
    assert not any(line.lstrip().startswith(("# not", "2. not")) for line in lines)
    rendered = commonmark(text)
    assert "# not a heading" in rendered
    assert "<h1>not a heading" not in rendered
    assert "<ol" not in rendered


def cells(row: str) -> list[str]:
    assert row.startswith("|")
    assert row.endswith("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


def test_markdown_weekly_table_has_a_row_per_update(words: Words) -> None:
    text = to_markdown(make_summary(text=nasty), words)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    header, rule, *body = rows
    assert cells(header) == [
        "Date",
        "Key metric",
        "Value",
        "Change on last week",
        "Morale",
        "Biggest obstacle",
    ]
    assert set(cells(rule)) == {"---"}
    assert len(body) == 4
    assert all(len(cells(row)) == 6 for row in body)
    assert cells(body[0])[:5] == ["2026-03-02", "Weekly active users", "300", "—", "3/5"]
    assert cells(body[1])[2:4] == ["330", "+30"]
    assert cells(body[0])[5] == escape_markdown(nasty("OBSTACLE")).replace("|", "\\|")


def test_markdown_transcript_only_when_asked(words: Words) -> None:
    text = to_markdown(make_summary(transcript=False), words)
    assert "Conversation transcript" not in text
    assert "Hi! What should I call you?" not in text


def test_markdown_of_an_empty_summary_says_so(words: Words) -> None:
    text = to_markdown(empty_summary(), words)
    assert headings(text) == [
        (1, "Coaching summary"),
        (2, "Profile"),
        (2, "Weekly updates"),
        (2, "Commitments and check-ins"),
    ]
    assert "No profile yet." in text
    assert "No commitments yet." in text
    assert "No weekly updates yet." in text
    assert "|" not in text


def test_markdown_in_chinese(words_zh: Words) -> None:
    text = to_markdown(make_summary("zh"), words_zh)
    found = [h for level, h in headings(text) if level <= 2]
    assert found == [
        "创业辅导总结：Ada（Acme AI）",
        "创始人档案",
        "Team building",
        "Funding and runway",
        "创始人周报",
        "行动承诺与跟进",
        "完整对话记录",
    ]
    assert "### 和上次相比" in text
    assert "- Team strength：3/5" in text
    assert "理由：You said WHY." in text.splitlines()  # grey, not italic (see below)
    assert "| 日期 | 关键指标 | 数值 | 较上周变化 | 状态 | 最大的卡点 |" in text


# --- HTML -----------------------------------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """The page's elements, checked for balance as they are read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.data: list[tuple[list[str], str]] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), list(self.stack)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> while {self.stack[-1:]} is open")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.data.append((list(self.stack), data))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs, _ in self.elements if t == tag]

    def text(self) -> str:
        return "".join(d for _, d in self.data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    assert page.errors == []
    assert page.stack == []
    return page


def svgs(document: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", document, flags=re.DOTALL)


def test_html_is_one_well_formed_page(words: Words) -> None:
    document = to_html(make_summary(), words)
    page = parse(document)
    assert page.doctype.lower() == "doctype html"
    assert page.find("html") == [{"lang": "en"}]
    assert {"charset": "utf-8"} in page.find("meta")
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.find(
        "meta"
    )
    assert len(page.find("style")) == 1
    assert page.find("script") == page.find("link") == page.find("img") == []
    for tag, attrs, _ in page.elements:
        for name in ("src", "href", "xlink:href", "action"):
            assert "http" not in (attrs.get(name) or ""), (tag, attrs)
    assert "@import" not in document
    assert "url(" not in document


def test_html_sections_each_with_a_heading(words: Words) -> None:
    document = to_html(make_summary(), words)
    page = parse(document)
    ids = [attrs.get("id") for attrs in page.find("section")]
    assert ids == ["profile", "flow-team", "flow-funding", "weekly", "commitments", "transcript"]
    for section_id in ids:
        body = document.split(f'<section id="{section_id}">', 1)[1]
        assert body.lstrip().startswith("<h2>"), section_id
    assert parse(to_html(make_summary(transcript=False), words)).find("section")[-1] == {
        "id": "commitments"
    }


def test_html_shows_the_summary(words: Words) -> None:
    page = parse(to_html(make_summary(), words))
    text = page.text()
    for expected in (
        "Coaching summary: Ada, Acme AI",
        "Generated on 2026-03-31",
        "Why: You said WHY.",
        "Next hire: PM → ML engineer",
        "Team strength: 3/5",
        "2026-03-10 17:00: Partly done. Note: NOTE",
        "Old plan",
        "Hiring is slow",
        "Hi! What should I call you?",
    ):
        assert expected in text
    rows = [stack for stack, data in page.data if stack[-1:] == ["td"] and data == "+30"]
    assert len(rows) == 1


@pytest.mark.parametrize("tag", FIELDS)
def test_html_escapes_founder_text(words: Words, tag: str) -> None:
    document = to_html(make_summary(text=lambda t: f"{t} {SCRIPT} <b>x</b>"), words)
    page = parse(document)
    assert page.find("script") == []
    assert page.find("b") == []
    assert f"{tag} {SCRIPT} <b>x</b>" in page.text()
    assert f"{tag} &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;x&lt;/b&gt;" in document


def test_html_draws_two_charts(words: Words) -> None:
    document = to_html(make_summary(), words)
    page = parse(document)
    charts = page.find("svg")
    assert len(charts) == 2
    assert all(c.get("role") == "img" for c in charts)
    assert [c.get("aria-label") for c in charts] == [
        "Weekly active users, week by week",
        "Morale, week by week (1 to 5)",
    ]
    metric, morale = svgs(document)
    assert metric.count("<circle") == morale.count("<circle") == 4
    assert metric.count("<title>") == 4
    assert "<title>2026-03-23: 420</title>" in metric
    assert "<title>2026-03-16: 2/5</title>" in morale
    assert ">Week</text>" in metric
    assert metric.count("<polyline") == 1


def circle_ys(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r'<circle[^>]*\bcy="([^"]+)"', svg)]


def circle_xs(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<circle[^>]*\bcx="([^"]+)"', svg)]


def assert_finite(svg: str) -> None:
    """Every coordinate is a finite number (no division by zero drew NaN or inf)."""
    coords = re.findall(r'\b(?:x|y|x1|y1|x2|y2|cx|cy)="([^"]*)"', svg)
    coords += [n for p in re.findall(r'points="([^"]*)"', svg) for n in re.split(r"[ ,]", p)]
    assert coords
    assert all(math.isfinite(float(c)) for c in coords), coords


@pytest.mark.parametrize("count", [2, 3, 12])
def test_html_charts_take_any_number_of_points(words: Words, count: int) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([100.0 + 10 * i for i in range(count)], first_day=1)
    for i, update in enumerate(summary.weekly_updates):
        update.date = f"2026-{1 + i // 4:02d}-{1 + 7 * (i % 4):02d}"
    document = to_html(summary, words)
    parse(document)
    charts = svgs(document)
    assert len(charts) == 2
    for chart in charts:
        assert chart.count("<circle") == count
        assert chart.count("<polyline") == 1
        assert_finite(chart)
        xs = circle_xs(chart)
        assert xs == sorted(xs)
        assert len(set(xs)) == count
    ys = circle_ys(charts[0])
    assert ys == sorted(ys, reverse=True)  # rising values are drawn higher


def test_html_chart_of_equal_and_zero_values(words: Words) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([0, 0, 0], morale=[5, 5, 5])
    metric, morale = svgs(to_html(summary, words))
    assert len(set(circle_ys(metric))) == 1
    assert len(set(circle_ys(morale))) == 1
    assert_finite(metric)
    assert_finite(morale)


def test_html_skips_the_metric_chart_without_values(words: Words) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([None, None], morale=[2, 4])
    document = to_html(summary, words)
    [chart] = parse(document).find("svg")
    assert chart["aria-label"] == "Morale, week by week (1 to 5)"
    summary.weekly_updates = []
    document = to_html(summary, words)
    assert parse(document).find("svg") == []
    assert "No weekly updates yet." in document


def test_html_chart_labels_are_escaped(words: Words) -> None:
    summary = make_summary()
    for update in summary.weekly_updates:
        update.metric_name = f'"><i>MRR</i>{SCRIPT}'
    document = to_html(summary, words)
    page = parse(document)
    assert page.find("i") == page.find("script") == []
    [metric, _] = page.find("svg")
    assert metric["aria-label"] == f'"><i>MRR</i>{SCRIPT}, week by week'


def test_html_in_chinese(words_zh: Words) -> None:
    document = to_html(make_summary("zh"), words_zh)
    page = parse(document)
    assert page.find("html") == [{"lang": "zh-Hans"}]
    headings = [d for stack, d in page.data if stack[-1:] == ["h2"]]
    assert headings == [
        "创始人档案",
        "Team building",
        "Funding and runway",
        "创始人周报",
        "行动承诺与跟进",
        "完整对话记录",
    ]
    assert "Noto Sans CJK SC" in document
    assert "每周状态（1–5）" in document


def test_html_reads_on_a_phone_and_prints(words: Words) -> None:
    document = to_html(make_summary(), words)
    style = document.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "max-width" in style
    assert '"PingFang SC"' in style
    print_rules = style.split("@media print", 1)[1]
    assert "background: none" in print_rules
    assert "page-break-inside: avoid" in print_rules


def test_html_of_an_empty_summary(words: Words) -> None:
    page = parse(to_html(empty_summary(), words))
    ids = [attrs.get("id") for attrs in page.find("section")]
    assert ids == ["profile", "weekly", "commitments"]
    assert "No commitments yet." in page.text()


# --- Investor update ------------------------------------------------------------------------


def test_investor_update_computes_the_month(words: Words) -> None:
    draft = investor_update(make_summary(), words, today=TODAY)
    assert draft is not None
    lines = draft.splitlines()
    assert lines[0] == "**Investor update: Acme AI**"
    assert "- Weekly active users: 300 → 420 since 2026-03-02, +120 (+40%)" in lines
    highlights = lines[lines.index("**Highlights**") + 1 : lines.index("**Lowlights**") - 1]
    assert highlights == ["- Ship the pilot", "- Call 5 customers"]
    lowlights = lines[lines.index("**Lowlights**") + 1 : lines.index("**Asks**") - 1]
    assert lowlights == ["- OBSTACLE", "- Hiring is slow", "- Dropped: Old plan"]
    goals_heading = "**Goals for the week after 2026-03-23**"
    asks = lines[lines.index("**Asks**") + 1 : lines.index(goals_heading) - 1]
    assert asks[1:] == ["- Intros to …", "- Advice on …"]
    goals = lines[lines.index(goals_heading) + 1 :]
    assert goals[:2] == ["- Close the seed round", "- Hire the ML engineer"]


def test_investor_update_in_chinese(words_zh: Words) -> None:
    draft = investor_update(make_summary("zh"), words_zh, today=TODAY)
    assert draft is not None
    assert "- Weekly active users：2026-03-02 以来 300 → 420，+120（+40%）" in draft
    for heading in ("投资人月报", "**亮点**", "**问题与挑战**", "**需要的支持**",
                    "**2026-03-23 之后一周的目标**"):  # fmt: skip
        assert heading in draft


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_investor_update_never_mentions_morale(renderer: Renderer, locale: str) -> None:
    words = words_for(renderer, locale)
    draft = investor_update(make_summary(locale), words, today=TODAY)
    assert draft is not None
    assert words("col_morale") not in draft
    assert words("axis_morale") not in draft
    assert "/5" not in draft


def test_investor_update_only_from_the_last_month(words: Words) -> None:
    summary = make_summary()
    assert investor_update(summary, words, today=date(2026, 4, 24)) is None
    assert investor_update(empty_summary(), words, today=TODAY) is None
    summary.weekly_updates = weekly([100, 300, 330], first_day=2)  # March 2, 9, 16
    summary.weekly_updates[0].date = "2026-01-20"  # older than a month: not the start
    draft = investor_update(summary, words, today=date(2026, 3, 20))
    assert draft is not None
    assert "300 → 330 since 2026-03-09, +30 (+10%)" in draft


def test_investor_update_without_a_base_for_a_percentage(words: Words) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([0, 25, 50])
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    assert "- Weekly active users: 0 → 50 since 2026-03-02, +50" in draft
    assert "%" not in draft


def test_investor_update_with_one_update_this_month(words: Words) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([200, 260])
    summary.weekly_updates[0].date = "2026-02-01"
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    assert "- Weekly active users: 200 → 260 since 2026-02-01, +60 (+30%)" in draft
    summary.weekly_updates[1].metric_value = None
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    assert "Key numbers" not in draft  # no metric and no funding run: the section is left out
    assert "Nothing recorded" not in draft


# --- The words --------------------------------------------------------------------------------


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    if not isinstance(tree, dict):
        return {prefix: tree}
    found: dict[str, str] = {}
    for key, value in tree.items():
        found.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return found


def test_export_words_exist_in_both_languages() -> None:
    en, zh = (
        flatten(yaml.safe_load((REPO / "content" / loc / "ui.yaml").read_text("utf-8"))["export"])
        for loc in ("en", "zh")
    )
    assert set(en) == set(zh)
    assert {"title", "why", "changes", "investor.highlights", "chart_morale"} <= set(en)
    words_only = re.compile(r"{{.*?}}|{%.*?%}|/[a-z_]+")  # leave out variables and commands
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not any(cjk.search(words_only.sub("", text)) for text in en.values())
    assert not [
        key for key, text in zh.items() if re.search(r"[A-Za-z]", words_only.sub("", text))
    ]


def test_a_renamed_metric_starts_a_new_series(words: Words) -> None:
    summary = make_summary()
    summary.weekly_updates = weekly([100, 120, 5000, 6000])
    for update in summary.weekly_updates[2:]:
        update.metric_name = "MRR"
    draft = investor_update(summary, words, today=TODAY)
    assert draft is not None
    assert "- MRR: 5,000 → 6,000 since 2026-03-16, +1,000 (+20%)" in draft
    metric, morale = svgs(to_html(summary, words))
    assert metric.count("<circle") == 2
    assert morale.count("<circle") == 4


# --- Charts a founder can read (issue #13) ----------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_chart_says_its_title_once(renderer: Renderer, locale: str) -> None:
    """The caption names the chart; the drawing does not say it again."""
    document = to_html(make_summary(locale), words_for(renderer, locale))
    for chart in re.findall(r"<figure>.*?</figure>", document, flags=re.DOTALL):
        texts = re.findall(r"<(?:figcaption|text)[^>]*>([^<]*)<", chart)
        named = [t for t in texts if t.strip() and not re.fullmatch(r"[\d.,\-万亿MB/]+", t)]
        assert "Weekly active users" not in named[1:], named
        assert len(named) == len(set(named)), named  # no text twice in one chart


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_no_chart_for_a_single_point(renderer: Renderer, locale: str) -> None:
    summary = make_summary(locale)
    summary.weekly_updates = weekly([120])
    document = to_html(summary, words_for(renderer, locale))
    assert "<svg" not in document
    assert "120" in document  # the table still shows the value


def test_chinese_why_lines_are_grey_not_italic(renderer: Renderer) -> None:
    """§3 zh 4: synthetic italics look poor in CJK; the 理由 line is set apart in grey only."""
    zh_words, en_words = words_for(renderer, "zh"), words_for(renderer, "en")
    markdown = to_markdown(make_summary("zh"), zh_words)
    assert "理由：You said WHY." in markdown.splitlines()
    assert "*理由" not in markdown
    assert "*Why: You said WHY.*" in to_markdown(make_summary(), en_words)
    document = to_html(make_summary("zh"), zh_words)
    assert ":lang(zh) .why { font-style: normal; }" in document
    assert '<html lang="zh-Hans">' in document
