"""Exports: JSON against its schema, CSV with a BOM, safe names, only the founder's own data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from bot.clock import FrozenClock
from bot.coach import Coach
from bot.engine import Catalog
from bot.export.data import safe_filename, schema, to_csv, to_json
from bot.export.summary import Summary
from bot.models import UserRef
from bot.rendering import Renderer, Target
from bot.storage import Database
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import last_question, say
from tests.conftest import REPO

BOB = UserRef(channel="console", external_id="bob", display_name="Bob")


@pytest.fixture
def coach(db: Database, real_catalog: Catalog, clock: FrozenClock) -> Coach:
    """A Coach over every flow, on either backend (the suite's ``db``)."""
    return Coach(db, real_catalog, clock)


async def export(coach: Coach, who: UserRef, choice: str) -> bytes:
    replies = await say(coach, who, "/export")
    assert last_question(replies).step == "export"
    replies = await say(coach, who, choice)
    [file] = [r.file for r in replies if r.file is not None]
    return file.data


def test_published_schema_matches_the_model() -> None:
    """docs/export-schema.json is regenerated whenever the model changes."""
    assert (REPO / "docs" / "export-schema.json").read_text(encoding="utf-8") == schema()


async def test_json_export_validates_against_its_schema(coach: Coach) -> None:
    await onboard(coach)
    data = json.loads(await export(coach, ADA, "3"))
    jsonschema.validate(data, json.loads(schema()))
    assert data["schema_version"] == 1
    assert data["flows"][0]["flow"] == "onboarding"
    assert {a["step"] for a in data["answers"]} >= {"name", "startup", "stage"}


async def test_csv_export_has_a_bom_and_parses(coach: Coach) -> None:
    await say(coach, ADA, "/start")
    await say(coach, ADA, "1")
    for text in [
        "林",
        "深度求索",
        "帮小律所用开源模型审合同。",
        "2",
        "4",
        "4",
        "上海",
        "中文",
        "1",
    ]:
        await say(coach, ADA, text)
    raw = await export(coach, ADA, "4")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    startup = next(r for r in rows if r["问题或行动承诺"] == "公司")
    assert (startup["类型"], startup["回答"], startup["主题"]) == ("回答", "深度求索", "个人档案")


async def test_an_export_holds_only_the_founders_own_data(coach: Coach) -> None:
    await onboard(coach)
    await say(coach, BOB, "/start")
    await say(coach, BOB, "1")
    for text in ["Bob", "Bobcat Robotics", "Warehouse robots that learn on the job.", "3", "5",
                 "9", "Berlin", "en", "1"]:  # fmt: skip
        await say(coach, BOB, text)
    for choice in ("3", "4"):
        text = (await export(coach, ADA, choice)).decode("utf-8-sig")
        assert "Bobcat" not in text
        assert "Acme AI" in text


async def test_nothing_to_export_is_said_kindly(coach: Coach) -> None:
    await say(coach, ADA, "/start")
    await say(coach, ADA, "1")
    replies = await say(coach, ADA, "/export")
    assert replies[0].text.startswith("There is nothing to export yet.")
    assert all(r.file is None for r in replies)


async def test_investor_draft_with_nothing_to_draft_from_says_why(coach: Coach) -> None:
    await onboard(coach)
    await say(coach, ADA, "/export")
    replies = await say(coach, ADA, "investor")
    assert replies[0].text.startswith("An investor-update draft is built from what you have")
    assert "/update" in replies[0].text


@pytest.mark.parametrize(
    "startup", ["../../etc/passwd", "深度求索", "A/B:C*?<>|", "🚀 Rocket", "", "x" * 300, "CON"]
)
def test_file_names_are_safe_whatever_the_startup_is_called(startup: str) -> None:
    summary = Summary(generated_at=datetime(2026, 3, 2, tzinfo=UTC), locale="en", founder="x",
                      startup=startup, timezone="UTC")  # fmt: skip
    name = safe_filename(summary, "md")
    assert name.startswith("founder-coach-")
    assert name.endswith("-2026-03-02.md")
    assert all(c.isascii() and (c.isalnum() or c in "-.") for c in name)
    assert len(name) <= 70


def test_data_exports_of_an_empty_summary(real_catalog: Catalog) -> None:
    summary = Summary(generated_at=datetime(2026, 3, 2, tzinfo=UTC), locale="zh", founder="林",
                      timezone="Asia/Shanghai")  # fmt: skip
    assert json.loads(to_json(summary))["founder"] == "林"
    renderer = Renderer(real_catalog)

    def words(key: str, **context: object) -> str:
        return str(renderer.ui(f"export.{key}", "zh", Target.PLAIN, **context))

    assert to_csv(summary, words).decode("utf-8-sig").splitlines() == [
        "类型,主题,问题或行动承诺,回答,第几次填写,日期,状态,结果,备注"
    ]


async def test_investor_draft_from_weekly_updates_is_escaped_for_telegram(
    tmp_path: Path, real_catalog: Catalog, clock: FrozenClock
) -> None:
    """Two weekly updates: the draft computes the change and escapes the founder's words."""
    from datetime import timedelta

    from bot.rendering import Target
    from tests.checkins.test_checkins_weekly import answer_update

    db = await Database.open(tmp_path / "html.db")
    try:
        coach = Coach(db, real_catalog, clock, target=Target.HTML)
        await onboard(coach)
        week = {"metric_name": "Weekly active users", "morale": "3", "obstacle_kind": "other",
                "goals_next": "Close one pilot", "weekday": "mon", "hour": "h09"}  # fmt: skip
        await answer_update(coach, {**week, "metric_value": "300", "obstacle": "Legal review"})
        clock.advance(timedelta(days=7))
        await answer_update(coach, {**week, "metric_name": "keep", "metric_value": "420",
                                    "obstacle": "<b>Procurement</b> & legal", "goals_done": "1",
                                    "goals_carry": "none"})  # fmt: skip
        await say(coach, ADA, "/export")
        replies = await say(coach, ADA, "investor")
    finally:
        await db.close()
    *_, warning, draft = (r.text for r in replies)  # after what the draft still lacks
    assert "quote the obstacles from your weekly updates" in warning
    assert "420" in draft
    assert "+120" in draft
    assert "+40%" in draft
    assert "&lt;b&gt;Procurement&lt;/b&gt; &amp; legal" in draft
    assert "<b>Procurement</b>" not in draft


async def test_export_transcript_on_request(coach: Coach) -> None:
    """`/export transcript` adds the whole conversation; plain /export does not."""
    await onboard(coach)
    plain = json.loads(await export(coach, ADA, "3"))
    assert plain["transcript"] is None
    replies = await say(coach, ADA, "/export transcript")
    assert last_question(replies).step == "export"
    replies = await say(coach, ADA, "3")
    [file] = [r.file for r in replies if r.file is not None]
    full = json.loads(file.data)
    assert any(m["text"] == "Acme AI" and m["direction"] == "in" for m in full["transcript"])


async def test_json_holds_every_advice_item_and_checkin(coach: Coach, clock: FrozenClock) -> None:
    """Advice of every run (not only the latest) and weekly check-ins are in the data."""
    from tests.checkins.test_checkins_dispatch import commit_after_funding

    await onboard(coach)
    await commit_after_funding(coach)
    await say(coach, ADA, "/cancel")
    await commit_after_funding(coach)
    data = json.loads(await export(coach, ADA, "3"))
    runs = {item["run_id"] for item in data["advice_given"]}
    assert len(runs) == 2
    assert len(data["flows"][1]["advice"]) == sum(
        1 for a in data["advice_given"] if a["run_id"] == max(runs)
    )


def test_a_file_over_the_limit_leaves_out_the_transcript_and_says_so(
    monkeypatch: pytest.MonkeyPatch, real_catalog: Catalog
) -> None:
    from bot.coach import exporting
    from bot.export.summary import Message
    from bot.rendering import Renderer

    class Files(exporting.Exports):
        catalog = real_catalog
        renderer = Renderer(real_catalog)

    line = Message(direction="in", text="x" * 1000, at=datetime(2026, 3, 1, tzinfo=UTC))
    big = Summary(generated_at=datetime(2026, 3, 2, tzinfo=UTC), locale="en", founder="Ada",
                  startup="Acme", timezone="UTC", transcript=[line] * 50)  # fmt: skip
    monkeypatch.setattr(exporting, "MAX_BYTES", 20_000)
    file = Files().render_file(big, "json", "en")
    assert len(file.data) <= 20_000
    assert json.loads(file.data)["transcript"] is None
    assert "the full transcript is left out" in file.caption


CSV_AFTER_FUNDING = {
    # (locale, what a founder reads) for the funding stage, a yes/no and a check-in
    "en": {
        "header": ["Type", "Topic", "Question or commitment", "Answer", "Edit", "Date", "Status",
                   "Outcome", "Note"],
        "stage": ("Answer", "Funding", "Stage"),
        "checkin": ("Check-in", "Scheduled"),
    },
    "zh": {
        "header": ["类型", "主题", "问题或行动承诺", "回答", "第几次填写", "日期", "状态", "结果",
                   "备注"],
        "stage": ("回答", None, "阶段"),
        "checkin": ("跟进", "已安排"),
    },
}  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_csv_is_in_the_founders_words(coach: Coach, locale: str) -> None:
    """Header, topics, questions, answers and statuses in the founder's language, no ids."""
    from tests.checkins.test_checkins_dispatch import commit_after_funding

    await onboard(coach)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    replies = await commit_after_funding(coach)
    typed = {"pick": "1", "when": "in_a_week", "hour": "h09"}  # any other question: /skip
    for _ in range(10):
        question = last_question(replies)
        if question.flow != "commit":
            break
        replies = await say(coach, ADA, typed.get(question.step or "", "/skip"))
    raw = await export(coach, ADA, "4")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = CSV_AFTER_FUNDING[locale]
    assert table[0] == expected["header"]
    record, topic, question = expected["stage"]
    stages = [row for row in table if row[2] == question and row[0] == record]
    assert len(stages) == 2  # the profile's and the funding flow's
    if topic is not None:
        assert stages[1][1] == topic
    for stage in stages:
        assert stage[3] not in (
            "idea",
            "prototype",
            "mvp",
            "revenue",
            "scaling",
        )  # a label, not an id
        assert stage[5][:4] == "2026"
    assert any(row[0] == expected["checkin"][0] and row[6] == expected["checkin"][1]
               and row[2] for row in table[1:])  # fmt: skip
    ids = {"mvp", "vertical_ai", "False", "True", "h09", "on_date", "answer", "checkin"}
    assert not ids & {cell for row in table[1:] for cell in row}
    assert not any(row[2] == "" for row in table[1:] if row[0] == record)  # every question named
