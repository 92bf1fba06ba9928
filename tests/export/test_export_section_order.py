"""Every export lists the founder's conversations in one order (founder trial, issue 3).

The profile, then each conversation in menu order (whatever order the founder did them
in), the weekly updates, then commitments and check-ins: in Markdown, HTML, JSON and CSV
alike. Before, product and technology came before the business model in every format, and
the documents put commitments before the weekly updates.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from bot.coach import Coach
from tests.checkins.test_checkins_weekly import answer_update
from tests.coach.helpers import ADA, say
from tests.coach.test_coach_recall import ONBOARDING, _answer, start
from tests.coach.test_coach_revenue_once import BUSINESS, PRODUCT
from tests.export.test_export_data import export

MENU_ORDER = {
    "en": ["Your profile", "Business model", "Product and technology"],
    "zh": ["个人档案", "商业模式", "产品与技术"],
}


async def _founder(coach: Coach, locale: str) -> None:
    """Product and technology first, then the business model, then a weekly update."""
    await _answer(coach, await start(coach, ADA), ONBOARDING)
    if locale == "zh":
        await say(coach, ADA, "/lang zh")
    product = {**PRODUCT, "revenue": "4000", "compute_spend": "1000"}
    await _answer(coach, await say(coach, ADA, "/product_tech"), product)
    await say(coach, ADA, "/skip")  # no commitments
    await _answer(coach, await say(coach, ADA, "/business_model"), BUSINESS)
    await say(coach, ADA, "1")  # a commitment
    await say(coach, ADA, "h09")
    await say(coach, ADA, "/menu")
    await answer_update(coach, {"metric_name": "Paying firms", "metric_value": "3",
                                "morale": "4", "obstacle": "/skip", "goals_next": "Close one",
                                "weekday": "mon", "hour": "h09"})  # fmt: skip


def _in_order(text: str, names: list[str]) -> bool:
    places = [text.find(name) for name in names]
    return -1 not in places and places == sorted(places)


@pytest.mark.parametrize("locale", ["en", "zh"])
async def test_every_format_lists_the_conversations_in_menu_order(
    full_coach: Coach, locale: str
) -> None:
    await _founder(full_coach, locale)
    flows = ["onboarding", "business_model", "product_tech"]
    titles = MENU_ORDER[locale]
    markdown = (await export(full_coach, ADA, "1")).decode()
    heads = [m.group(1) for m in re.finditer(r"^## (.+)$", markdown, flags=re.MULTILINE)]
    weekly = "Weekly updates" if locale == "en" else "创始人周报"
    commitments = "Commitments and check-ins" if locale == "en" else "行动承诺与跟进"
    assert heads[-2:] == [weekly, commitments], heads
    assert _in_order(markdown, [*titles[1:], weekly, commitments])
    html = (await export(full_coach, ADA, "2")).decode()
    ids = re.findall(r'<section id="([^"]+)">', html)
    assert ids == ["profile", *(f"flow-{f}" for f in flows[1:]), "weekly", "commitments"]
    data = json.loads(await export(full_coach, ADA, "3"))
    assert [f["flow"] for f in data["flows"]] == flows
    assert list(data).index("weekly_updates") < list(data).index("commitments")
    rows = list(csv.reader(io.StringIO((await export(full_coach, ADA, "4")).decode("utf-8-sig"))))
    topics = list(dict.fromkeys(row[1] for row in rows[1:] if row[0] in ("Answer", "回答")))
    assert topics[:3] == titles, topics
    kinds = [row[0] for row in rows[1:]]
    assert kinds == sorted(kinds, key=lambda kind: kind not in ("Answer", "回答"))
