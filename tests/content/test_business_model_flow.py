"""The business-model conversation, as a founder meets it (issue #16).

A founder types their own figures, the way they would, in English and in Chinese, through
the real console and JSON-lines entry points; the coach must answer with the margin after
the model bill, the months to pay back and the customers needed to break even, computed
from those figures, and the conversation must be reachable from /menu, /help and its own
command. The investor draft carries the unit economics when the founder gave them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.telegram.menus import COMMANDS
from bot.engine import Catalog
from bot.export.investor import investor_update
from bot.export.summary import UnitEconomics
from bot.rendering import Renderer
from tests.content.test_content_personas import CASES
from tests.export.test_export_documents import TODAY, make_summary, words_for

FLOW = "business_model"

# onboarding, then funding (for runway and burn), then the business-model flow, typed as a
# founder types: amounts with k and 万, a percentage with its sign, lists with 、; the picker
# came after funding (once a day), and /more shows the advice after the top three
SCRIPTS = {
    "en": [
        "agree", "Dana", "Clausewise", "Contract review for in-house legal teams", "4", "3",
        "4", "Toronto", "en", "1",
        "/funding", "4", "360k", "60k", "/skip", "0", "1", "5", "6", "1", "1",
        "/business_model", "1", "2", "$2,000", "1", "300", "30k", "4", "20%", "1, 2, 3",
        "1, 2", "3", "1", "/more",
    ],
    "zh": [
        "同意", "陈晨", "智衡科技", "给制造企业做质检模型", "4", "2", "8", "上海", "zh", "1",
        "/funding", "4", "200万", "20万", "/skip", "0", "1", "5", "6", "1", "1",
        "/business_model", "4", "2", "5万", "4", "5000", "/skip", "3", "80%", "1、3", "1、2、4",
        "1、3", "1", "/more",
    ],
}  # fmt: skip
EXPECTED = {
    "en": [
        "Gross margin: 5/5. 85% of each $2,000 left after serving costs of $300: room to grow.",
        "Payback: 2/5. About 17.6 months to earn back $30,000 per customer, longer than your"
        " 6 months of cash.",
        "about 17.6 months to pay back. You have about 6 months of cash",
        "you'd need about 40 paying customers at today's price and costs, against 4 today",
    ],
    "zh": [
        "毛利率：5/5。每收 5万，扣掉 5000 的服务成本，剩 90%，有增长的余地。",
        "商业模式清晰度：3/5。靠做定制项目赚钱，由用户所在的公司付钱；待解决：一次性收费、收入多靠定制项目。",
        "泡沫自检：1/5。三个泡沫信号中占了 2 个：因为 AI 火才入局和重模型轻商业。",
        "理由：获客成本这一题你跳过了。",
        "你的收入有 80% 来自定制项目",
    ],
}


def _env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ["PYTHONIOENCODING"] = "utf-8"
    return environ


def _chat(db: Path, locale: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--db", str(db), "--user", "dana",
         "--lang", locale, *extra],
        input="\n".join(SCRIPTS[locale]) + "\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_founders_own_figures_come_back_as_margin_payback_and_break_even(
    tmp_path: Path, locale: str
) -> None:
    console = _chat(tmp_path / "c.db", locale)
    assert console.returncode == 0, console.stderr
    for words in EXPECTED[locale]:
        assert words in console.stdout
    jsonl = _chat(tmp_path / "j.db", locale, "--jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    replies = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r for r in replies if r["type"] == "error"] == []
    ours = [r for r in replies if r.get("flow") == FLOW]
    assert {"assessment", "advice"} <= {r["type"] for r in ours}
    shown = "\n".join(r.get("text", "") for r in ours)
    for words in EXPECTED[locale][2:]:
        assert words in shown


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_exports_and_menu_include_the_conversation(tmp_path: Path, locale: str) -> None:
    db = tmp_path / "c.db"
    assert _chat(db, locale).returncode == 0
    title = {"en": "Business model", "zh": "商业模式"}[locale]
    for fmt in ("md", "html", "csv", "json"):
        out = subprocess.run(
            [sys.executable, "-m", "bot", "export", "--db", str(db), "--user", "dana",
             "--format", fmt],
            capture_output=True, text=True, env=_env(), timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert title in out.stdout if fmt != "json" else '"business_model"' in out.stdout


def test_its_command_is_everywhere_a_command_is_listed(real_catalog: Catalog) -> None:
    flow = real_catalog.flows[FLOW]
    assert flow.spec.menu
    assert flow.spec.prefill
    assert tuple(flow.spec.requires) == ("onboarding",)
    assert FLOW in COMMANDS
    ui = real_catalog.ui
    for locale in ("en", "zh"):
        assert ui[locale]["commands"][FLOW]
        assert f"/{FLOW}" in ui[locale]["help"]


def test_enough_personas_in_both_languages() -> None:
    ours = [p for flow, p in CASES if flow == FLOW]
    assert len(ours) >= 6
    with_zh = [p for p in ours if p.get("numbers_zh") or p.get("says_zh")]
    with_en = [p for p in ours if p.get("numbers") or p.get("says")]
    assert len(with_zh) >= 3
    assert len(with_en) >= 3
    assert len(real_rules := {r for p in ours for r in p["fires"]}) >= 15, real_rules


def test_every_claimed_topic_can_be_contradicted(real_catalog: Catalog) -> None:
    spec = real_catalog.flows[FLOW].spec
    assert len(spec.rules) >= 15
    assert 3 <= len(spec.assessment) <= 5
    claims = [c for rule in spec.rules for c in rule.claims]
    claims += [c for dim in spec.assessment for band in dim.claims.values() for c in band]
    signs: dict[str, set[str]] = {}
    for claim in claims:
        signs.setdefault(claim[1:], set()).add(claim[0])
    assert {topic for topic, found in signs.items() if found != {"+", "-"}} == set()
    for rule in spec.rules:
        assert 1 <= len(rule.commitments) <= 3, rule.id


@pytest.mark.parametrize(
    ("locale", "lines"),
    [
        ("en", ["- Paying customers: 4, paying $2,000 a month on average",
                "- Gross margin after model and hosting costs: 85%",
                "- A new customer pays back what it cost to win them in about 17.6 months"]),
        ("zh", ["- 付费客户：4 个，平均每个每月付 2000美元",
                "- 扣掉模型和服务器成本后的毛利率：85%",
                "- 一个新客户约 17.6 个月赚回获客成本"]),
    ],
)  # fmt: skip
def test_investor_draft_carries_the_unit_economics(
    real_catalog: Catalog, locale: str, lines: list[str]
) -> None:
    summary = make_summary(locale)
    summary.currency = "USD"
    summary.unit_economics = UnitEconomics(
        as_of="2026-03-04", paying_customers=4, price=2000, gross_margin=0.85,
        payback_months=30000 / 1700,
    )  # fmt: skip
    draft = investor_update(summary, words_for(Renderer(real_catalog), locale), today=TODAY)
    assert draft is not None
    for line in lines:
        assert line in draft.splitlines()
