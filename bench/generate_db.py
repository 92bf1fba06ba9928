"""A large, realistic Founder Coach database, for the cold-start benchmark (issue #7).

    python -m bench.generate_db PATH [--founders 100000] [--answers 2000000]
                                     [--checkins 100000] [--templates 48] [--seed 7]

How it is built, in three steps:

1. **Journeys.** The real Coach (flows, engine, rendering, storage, the check-in dispatcher)
   runs ``--templates`` Telegram founders, half in English and half in Chinese, each in its
   own time zone, on a frozen clock in an in-memory database: consent and onboarding (with
   an occasional edit in the review), then a few sessions days apart, each a coaching flow
   or a weekly update, followed by commitments; check-ins fire when they are due and are
   answered (or go unanswered, then missed, as the sweep would mark them); weekly updates
   come every week; some founders stop in the middle of a conversation. Answers and their
   edit history, facts, advice, scores, commitments, check-ins, send attempts and the
   transcript are exactly what the coach stores.
2. **Schema.** ``PATH`` is created by :meth:`Database.open`, i.e. the real migrations, so a
   table added by a later migration is there too (empty).
3. **Copies.** Each of ``--founders`` founders is one of the journeys (of their language)
   with their own ids, Telegram id, name, startup and time zone, moved in time: a third
   were last active in the past week, the others up to four months ago. Every check-in
   still open goes to the first of its weekdays at least a day after ``--now``, at its
   local time, so all of them are in the future and ``scheduled``. Journeys are picked so
   that the totals track ``--answers`` and ``--checkins``. ``processed_updates`` (and the
   ``update_ledger`` of migration 5, if there) hold the Telegram updates of the last
   ``--uptime-days``: what a process that ran that long leaves for the next start to
   forget. Rows go in with ``sqlite3``'s ``executemany`` in one transaction, the indexes
   built afterwards from the same SQL.

Deterministic for a given ``--seed`` and ``--now`` (default: the current hour).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import random
import re
import sqlite3
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.catalog import load_checked_catalog
from bot.checkins import planner
from bot.checkins.service import CheckinService, SendResult
from bot.clock import FrozenClock, from_text, to_text
from bot.coach import Coach
from bot.config import load_settings
from bot.models import Incoming, OutMessage, Said, Tapped, UserRef
from bot.rendering import Target
from bot.runtime import checkin_service
from bot.storage import Database, checkins, users

# ------------------------------------------------------------------ what founders say

NAME = "Qzfoundername"  # stand-ins in the journeys, replaced by each copy's own
STARTUP = "Qzstartupname"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EN_NAMES = _words(
    "Ada Ben Chloe David Elena Farid Grace Hugo Isha Jonas Kira Liam Maya Noah Olivia Priya"
    " Quinn Rafael Sara Tom Uma Victor Wen Yusuf Zoe Arjun Sarah Lukas Amara Diego"
)
ZH_NAMES = _words(
    "李娜 王伟 张敏 刘洋 陈静 杨帆 赵磊 黄婷 周杰 吴昊 徐丽 孙浩 马超 朱琳 胡斌 郭涛 林晨 何欣"
    " 高远 罗佳 梁爽 宋雨 郑凯 谢楠 韩雪 唐宁 冯博 曹颖 彭飞 邓洁"
)
EN_PARTS = (
    _words(
        "Acme Lexa Nova Vox Ledger Tutor Quant Sol Atlas Orbit Pixel Cortex Signal Vera Helix"
        " Bright Deep Clear Swift"
    ),
    _words("AI Labs ly Desk line Mind Works Stack Flow Scale Sense Logic Forge Pilot Base"),
)
ZH_PARTS = (
    _words("智 云 数 灵 星 深 言 图 知 未来 天 极"),
    _words("科技 智能 数据 实验室 AI 引擎 视界 问答 医疗 教育"),
)

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "pitch": (
            "Contract review copilot for in-house legal teams",
            "Voice agents for clinic front desks",
            "Risk models for mid-size banks, trained on their own loan books",
            "An open-weights model fine-tuned for customs paperwork",
            "AI tutor that explains maths homework step by step",
            "GPU scheduling for small research labs",
            "Synthetic data for autonomous-driving edge cases",
        ),
        "team_problem": (
            "We cannot hire ML engineers fast enough",
            "Co-founders disagree on whether to go enterprise or self-serve",
            "Nobody owns sales; the CTO does demos at night",
            "Our only researcher is leaving in two months",
        ),
        "obstacle": (
            "Enterprise security review is taking weeks",
            "GPU costs doubled after the model upgrade",
            "Two pilots stalled waiting for legal sign-off",
            "Hiring a senior ML engineer",
        ),
        "goals_next": (
            "Close the pilot with Northwind\nShip the evaluation dashboard",
            "Interview 10 customers\nCut inference cost by 20%",
            "Send the investor update\nHire a founding engineer",
        ),
        "metric_name": ("Weekly active users", "MRR", "Paying customers", "Pilot sign-ups"),
        "own": (
            "Book five customer calls this week",
            "Write the hiring scorecard",
            "Draft the data-sharing agreement",
        ),
        "note": (
            "Got three calls booked",
            "Half done, the rest next week",
            "Blocked by legal",
            "Done, and it helped",
        ),
        "": ("Not sure yet", "We are still figuring this out"),
    },
    "zh": {
        "pitch": (
            "面向企业法务的合同审查助手",
            "诊所前台的语音智能体",
            "为中型银行做风控模型",
            "为报关单据微调的开源大模型",
            "一步一步讲解数学作业的 AI 家教",
            "给小型实验室的 GPU 调度平台",
        ),
        "team_problem": (
            "招不到足够的算法工程师",
            "联合创始人对做大客户还是自助产品有分歧",
            "没有人负责销售，CTO 晚上做演示",
            "唯一的研究员两个月后离职",
        ),
        "obstacle": (
            "大客户的安全审查拖了好几周",
            "模型升级后 GPU 成本翻倍",
            "两个试点在等法务签字",
            "招聘资深算法工程师",
        ),
        "goals_next": (
            "完成和华东客户的试点\n上线评测看板",
            "访谈 10 位客户\n推理成本降低 20%",
            "发出投资人月报\n招一位创始工程师",
        ),
        "metric_name": ("周活跃用户", "月经常性收入", "付费客户数", "试点签约数"),
        "own": ("这周约五个客户电话", "写好招聘评分表", "起草数据共享协议"),
        "note": ("约到了三个电话", "做了一半，剩下的下周完成", "卡在法务", "完成了，很有帮助"),
        "": ("还不确定", "我们还在摸索"),
    },
}
# (IANA zone as stored, what the founder types, weight)
ZONES = {
    "en": (
        ("America/New_York", "New York", 5),
        ("America/Los_Angeles", "San Francisco", 5),
        ("Europe/London", "London", 4),
        ("Europe/Berlin", "Berlin", 3),
        ("Asia/Singapore", "Singapore", 3),
        ("Asia/Kolkata", "Bangalore", 3),
        ("America/Chicago", "Austin", 2),
        ("Europe/Paris", "Paris", 2),
        ("Australia/Sydney", "Sydney", 1),
        ("Asia/Jerusalem", "Tel Aviv", 1),
        ("America/Sao_Paulo", "Sao Paulo", 1),
        ("Africa/Lagos", "Lagos", 1),
    ),
    "zh": (
        ("Asia/Shanghai", "上海", 8),
        ("Asia/Shanghai", "北京", 6),
        ("Asia/Shanghai", "深圳", 4),
        ("Asia/Hong_Kong", "香港", 2),
        ("Asia/Taipei", "台北", 1),
        ("Asia/Singapore", "新加坡", 2),
        ("America/Los_Angeles", "硅谷", 1),
        ("Europe/London", "伦敦", 1),
    ),
}
COACHING = ("team", "funding", "marketing")
SKIP_CHANCE = {("commit", "own"): 0.85, ("checkin", "note"): 0.5}
CHOICE_WEIGHTS = {  # how founders answer check-ins: mostly done or partly, rarely snoozed
    ("checkin", "outcome"): (35, 22, 15, 6, 6, 16),
    ("checkin", "next"): (3, 3, 2, 6),
}


def money(rng: random.Random, locale: str, low: float, high: float) -> str:
    """An amount the way founders type it (``120k``, ``1.5m``, ``300万``)."""
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    if locale == "zh" and value >= 10_000 and rng.random() < 0.6:
        return f"{round(value / 10_000)}万"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}m"
    if value >= 1_000:
        return f"{round(value / 1_000)}k"
    return str(round(value))


# ------------------------------------------------------------------ 1. journeys


class Sender:
    """The dispatcher's transport in the journeys: every check-in arrives."""

    def __init__(self) -> None:
        self.inbox: dict[str, list[OutMessage]] = {}

    async def __call__(self, who: UserRef, messages: list[OutMessage]) -> SendResult:
        self.inbox[who.external_id] = messages
        return SendResult.SENT


@dataclass
class Journey:
    """One template founder driven through the real Coach."""

    coach: Coach
    clock: FrozenClock
    rng: random.Random
    who: UserRef
    locale: str
    city: str
    edited: set[int] = field(default_factory=set)
    metric: float = 0.0
    in_checkin: bool = False  # answering a check-in: new commitments are rarer

    async def say(self, incoming: Incoming) -> list[OutMessage]:
        self.clock.advance(timedelta(seconds=self.rng.randint(4, 90)))
        return await self.coach.handle(self.who, incoming)

    def text_for(self, step: str) -> str:
        pool = TEXTS[self.locale]
        if step == "name":
            return NAME
        if step == "startup":
            return STARTUP
        if step == "timezone":
            return self.city
        if step == "language":
            return self.locale
        return self.rng.choice(pool.get(step) or pool[""])

    def number_for(self, step: str, unit: str | None) -> str:
        rng = self.rng
        if step == "metric_value":
            self.metric = (
                self.metric * rng.uniform(0.95, 1.25) if self.metric else rng.randint(20, 500)
            )
            return str(round(self.metric))
        if unit == "money":
            high = {"cash": 5e6, "raise_amount": 2e7, "budget": 2e5, "hire_cost": 3e5}.get(
                step, 3e5
            )
            return (
                "0"
                if step == "raise_amount" and rng.random() < 0.2
                else money(rng, self.locale, 2e3, high)
            )
        high = {"team_size": 40, "cofounders": 4, "hiring_plan": 8, "pipeline": 30}.get(step, 200)
        return str(rng.randint(0 if step != "team_size" else 1, high))

    def answer(self, question: OutMessage, tries: int) -> Incoming:
        """What the founder does with a question (``tries`` > 0 after an error)."""
        rng, run, step = self.rng, question.run_id, question.step or ""
        options = question.options
        if question.type == "review":
            if run is not None and run not in self.edited and rng.random() < 0.3:
                self.edited.add(run)
                return Tapped(run_id=run, step=step, indexes=(rng.randrange(1, len(options)),))
            return Tapped(run_id=run, step=step, indexes=(0,))
        skip = SKIP_CHANCE.get((question.flow or "", step), 0.15 if question.kind == "text" else 0)
        if question.can_skip and (tries > 1 or rng.random() < skip):
            return Tapped(run_id=run, step=step, action="skip")
        if question.kind in ("choice", "yesno", "scale"):
            weights = CHOICE_WEIGHTS.get((question.flow or "", step))
            if question.kind == "scale":
                index = min(len(options) - 1, max(0, round(rng.gauss(2.6, 1.0))))
            elif weights and len(weights) == len(options):
                index = rng.choices(range(len(options)), weights=weights)[0]
            else:
                index = rng.randrange(len(options))
            return Tapped(run_id=run, step=step, indexes=(index,))
        if question.kind == "multi":
            keep = 0.25 if self.in_checkin else 0.8
            if question.flow == "commit" and question.can_skip and rng.random() > keep:
                return Tapped(run_id=run, step=step, action="skip")
            count = min(len(options), rng.choices((1, 2, 3), weights=(55, 30, 15))[0])
            return Tapped(
                run_id=run,
                step=step,
                indexes=tuple(sorted(rng.sample(range(len(options)), count))),
            )
        if question.kind == "number":
            spec = self.coach.catalog.flows[question.flow or ""].step(step)
            return Said(self.number_for(step, spec.unit.value if spec.unit else None))
        if question.kind == "date":
            return Said((self.clock.now() + timedelta(days=rng.randint(5, 25))).date().isoformat())
        return Said(self.text_for(step))

    async def converse(self, replies: list[OutMessage], *, stop_after: int | None = None) -> None:
        """Answer question after question until the coach stops asking (or ``stop_after``)."""
        tries, answered = 0, 0
        while True:
            asks = [r for r in replies if r.type in ("question", "review")]
            if not asks or replies[-1].type == "menu" or asks[-1].run_id is None:
                return
            if stop_after is not None and answered >= stop_after:
                return
            tries = tries + 1 if any(r.type == "error" for r in replies) else 0
            if tries > 3:
                await self.say(Said("/cancel"))
                return
            replies = await self.say(self.answer(asks[-1], tries))
            answered += 1


async def journey(
    coach: Coach,
    service: CheckinService,
    sender: Sender,
    clock: FrozenClock,
    index: int,
    seed: int,
) -> str:
    """One founder's life with the coach, from /start to their last session; their city."""
    rng = random.Random(seed * 1_000_003 + index)
    locale = "en" if index % 2 == 0 else "zh"
    zones = ZONES[locale]
    _, city, _ = rng.choices(zones, weights=[w for *_, w in zones])[0]
    who = UserRef(
        channel="telegram",
        external_id=str(900_000 + index),
        display_name=NAME,
        language_code=locale,
    )
    me = Journey(coach, clock, rng, who, locale, city)
    replies = await me.say(Said("/start"))
    replies = await me.say(Tapped(run_id=None, step="consent", indexes=(0,)))
    await me.converse(replies)
    sessions = rng.choices((0, 1, 2, 3, 4, 6, 9), weights=(18, 30, 18, 12, 10, 7, 5))[0]
    weekly = sessions > 0 and rng.random() < 0.35
    flows = ["update"] if weekly else []
    flows += [rng.choice(COACHING) for _ in range(sessions - len(flows))]
    rng.shuffle(flows)
    for flow in flows:
        upcoming = clock.now() + timedelta(days=rng.uniform(1, 9))
        await checkins_until(me, service, sender, upcoming)
        clock.advance(max(timedelta(0), upcoming - clock.now()))
        await me.converse(await me.say(Said(f"/{flow}")))
    if sessions and rng.random() < 0.25:  # stopped in the middle of a conversation
        await checkins_until(me, service, sender, clock.now() + timedelta(days=2))
        await me.converse(await me.say(Said(f"/{rng.choice(COACHING)}")), stop_after=3)
    if sessions:  # then check-ins keep coming for a while (weekly updates for good)
        tail = timedelta(days=rng.choice((0, 3, 10, 20, 35)) + rng.uniform(0, 3))
        await checkins_until(me, service, sender, clock.now() + tail)
    return city


async def checkins_until(
    me: Journey, service: CheckinService, sender: Sender, until: datetime
) -> None:
    """Fire the founder's check-ins due before ``until``; answer most, leave some unanswered."""
    db = me.coach.db
    async with db.reading() as conn:
        user = await users.find(conn, channel=me.who.channel, external_id=me.who.external_id)
    assert user is not None
    while True:
        async with db.reading() as conn:
            due = [
                c
                for c in await checkins.for_user(conn, user.id, ("scheduled",))
                if c.due_at < until
            ]
        if not due:
            return
        row = due[0]
        me.clock.advance(max(timedelta(0), row.due_at - me.clock.now()) + timedelta(seconds=5))
        sender.inbox.pop(me.who.external_id, None)
        await service.fire(row.id)
        messages = sender.inbox.pop(me.who.external_id, [])
        if not messages:
            continue
        if me.rng.random() < 0.75:
            me.clock.advance(timedelta(minutes=me.rng.randint(3, 300)))
            me.in_checkin = True
            await me.converse(messages)
            me.in_checkin = False
        else:  # no answer: a reminder a day later, missed a day after that (as the sweep does)
            async with db.transaction() as conn:
                sent = await checkins.get(conn, row.id)
                assert sent is not None
                reminded = (sent.sent_at or me.clock.now()) + timedelta(hours=24)
                await checkins.set_status(conn, row.id, "missed", reminded_at=reminded)
                await me.coach.close_checkin_run(conn, sent)


async def run_journeys(count: int, seed: int) -> tuple[Database, dict[str, tuple[datetime, str]]]:
    """Drive ``count`` template founders; return their database, when each ended, their city."""
    settings = load_settings()
    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    db = await Database.open(":memory:")
    clock = FrozenClock(datetime(2025, 1, 6, 8, 0, tzinfo=UTC))
    coach = Coach(db, catalog, clock, target=Target.HTML)
    sender = Sender()
    service = checkin_service(coach, settings, sender)
    ends: dict[str, tuple[datetime, str]] = {}
    cities: dict[int, str] = {}
    for index in range(count):
        clock.advance(timedelta(hours=random.Random(seed + index).uniform(1, 30)))
        cities[index] = await journey(coach, service, sender, clock, index, seed)
        ends[str(900_000 + index)] = (clock.now(), cities[index])
    return db, ends


# ------------------------------------------------------------------ templates from journeys

# How each column is copied: an id of a sequence (U: users, R: flow_runs, A: answers,
# AD: advice, CM: commitments, CK: checkins, AT: checkin_attempts, T: transcript), a
# time, the founder's own words (the stand-in name and startup replaced), the run state
# (its check-in id remapped), the Telegram id, or the due time and local intent of a
# check-in. Any other column, including one a later migration adds, is copied as it is.
SEQUENCES = ("U", "R", "A", "AD", "CM", "CK", "AT", "T")
COLUMNS: dict[str, dict[str, str]] = {
    "users": {"id": "U", "external_id": "ext", "display_name": "words", "timezone": "zone"},
    "flow_runs": {"id": "R", "user_id": "U", "state_json": "state"},
    "answers": {"id": "A", "run_id": "R", "user_id": "U", "value_json": "words"},
    "facts": {"user_id": "U", "run_id": "R", "value_json": "words"},
    "assessments": {"run_id": "R"},
    "advice": {"id": "AD", "user_id": "U", "run_id": "R"},
    "commitments": {"id": "CM", "user_id": "U", "advice_id": "AD", "text": "words"},
    "checkins": {
        "id": "CK",
        "user_id": "U",
        "commitment_id": "CM",
        "run_id": "R",
        "note": "words",
        "due_at": "due",
        "local_intent": "intent",
        "timezone": "zone",
    },
    "checkin_attempts": {"id": "AT", "checkin_id": "CK"},
    "transcript": {"id": "T", "user_id": "U", "run_id": "R", "text": "words"},
}
OWNER = {  # how a table's rows are found for one founder
    "users": "id = :u",
    "assessments": "run_id IN (SELECT id FROM flow_runs WHERE user_id = :u)",
    "checkin_attempts": "checkin_id IN (SELECT id FROM checkins WHERE user_id = :u)",
}
CHECKIN_ID = re.compile(r'"checkin_id":(\d+)')


class Words(str):
    """Text in a journey that names the founder, their startup or their city."""

    __slots__ = ()


@dataclass
class Template:
    """One journey, ready to be copied: local ids, times relative to its end."""

    locale: str
    zone: str
    city: str  # what the founder typed for their time zone
    rows: dict[str, list[tuple[Any, ...]]]
    sizes: dict[str, int]  # how many ids of each sequence it uses
    answers: int
    open_checkins: int
    inbound: list[int]  # when the founder wrote (µs before the end), sorted


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


async def templates_from(db: Database, ends: dict[str, tuple[datetime, str]]) -> list[Template]:
    """Read every journey back, with ids made local and times relative to its end."""
    found: list[Template] = []
    async with db.reading() as conn:
        tables = {}
        for table in COLUMNS:
            async with conn.execute(f"SELECT * FROM {table} LIMIT 0") as cursor:
                tables[table] = list(cursor.columns)
        async with conn.execute("SELECT id, external_id, locale, timezone FROM users") as rows:
            founders = [tuple(row) async for row in rows]
        for user_id, external_id, locale, zone in founders:
            end, city = ends[external_id]
            raw: dict[str, list[dict[str, Any]]] = {}
            for table, columns in tables.items():
                where = OWNER.get(table, "user_id = :u")
                order = "rowid"
                async with conn.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE {where} ORDER BY {order}",
                    {"u": user_id},
                ) as rows:
                    raw[table] = [dict(zip(columns, row, strict=True)) async for row in rows]
            found.append(_template(raw, tables, end, locale or "en", zone or "UTC", city))
    return found


def _template(
    raw: dict[str, list[dict[str, Any]]],
    tables: dict[str, list[str]],
    end: datetime,
    locale: str,
    zone: str,
    city: str,
) -> Template:
    tokens = (NAME, STARTUP, zone, city)
    local: dict[str, dict[int, int]] = {seq: {} for seq in SEQUENCES}
    for table, kinds in COLUMNS.items():
        for column, kind in kinds.items():
            if column == "id":
                for number, row in enumerate(raw[table], start=1):
                    local[kind][row["id"]] = number
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table, columns in tables.items():
        kinds = COLUMNS[table]
        out = []
        for row in raw[table]:
            values: list[Any] = []
            for column in columns:
                value, kind = row[column], kinds.get(column)
                if kind in SEQUENCES and kind != "U":
                    value = None if value is None else local[kind][value]
                elif kind == "state" and (match := CHECKIN_ID.search(value)):
                    value = (
                        value[: match.start(1)],
                        local["CK"][int(match[1])],
                        value[match.end(1) :],
                    )
                elif kind in ("words", "state") and value and any(t in value for t in tokens):
                    value = Words(value)
                elif column.endswith("_at") and value is not None:
                    value = _micros(from_text(value) - end)
                values.append(value)
            out.append(tuple(values))
        rows[table] = out
    inbound = sorted(
        _micros(from_text(r["created_at"]) - end)
        for r in raw["transcript"]
        if r["direction"] == "in"
    )
    return Template(
        locale=locale,
        zone=zone,
        city=city,
        rows=rows,
        sizes={seq: len(ids) for seq, ids in local.items()},
        answers=len(raw["answers"]),
        open_checkins=sum(1 for r in raw["checkins"] if r["status"] == "scheduled"),
        inbound=inbound,
    )


def _row_maker(table: str, columns: list[str]) -> Any:
    """A compiled function that turns a template row into one founder's row."""
    kinds = COLUMNS[table]
    parts = []
    for index, column in enumerate(columns):
        kind, cell = kinds.get(column), f"r[{index}]"
        if kind == "U":
            parts.append("U")
        elif kind in SEQUENCES and column == "id":
            parts.append(f"{cell} + {kind}")
        elif kind in SEQUENCES:
            parts.append(f"(None if {cell} is None else {cell} + {kind})")
        elif kind == "ext":
            parts.append("ext")
        elif kind == "zone":
            parts.append("zone")
        elif kind == "words":
            parts.append(f"(words({cell}) if {cell}.__class__ is Words else {cell})")
        elif kind == "state":
            parts.append(f"state({cell}, CK)")
        elif kind == "due":  # due_at comes before local_intent in the table
            parts.append("(d := due(r))[0]")
        elif kind == "intent":
            parts.append("d[1]")
        elif column.endswith("_at"):
            parts.append(f"at({cell})")
        else:
            parts.append(cell)
    source = (
        f"lambda r, {', '.join(SEQUENCES)}, ext, zone, words, state, at, due: "
        f"({', '.join(parts)},)"
    )
    return eval(source, {"Words": Words})


# ------------------------------------------------------------------ 3. copies


@dataclass
class Totals:
    """What the copies add up to."""

    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scheduled: int = 0
    en: int = 0
    insert_s: float = 0.0  # in executemany
    index_s: float = 0.0  # building the indexes after the rows


def _pick_templates(
    templates: list[Template], founders: int, answers: int, scheduled: int, rng: random.Random
) -> list[int]:
    """One journey per founder, so that the totals track the targets as they grow."""
    by_locale = {
        loc: [i for i, t in enumerate(templates) if t.locale == loc] for loc in ("en", "zh")
    }
    per_answer, per_checkin = answers / founders, scheduled / founders
    got_a = got_c = 0
    chosen = []
    for index in range(founders):
        last = founders - index <= 200  # the last ones may be anyone, to land on the targets
        pool = (
            list(range(len(templates)))
            if last
            else by_locale["en" if rng.random() < 0.55 else "zh"]
        )
        candidates = pool if last else rng.sample(pool, min(8, len(pool)))
        want_a, want_c = per_answer * (index + 1), per_checkin * (index + 1)

        best = min(
            candidates,
            key=lambda i, a=want_a - got_a, c=want_c - got_c: (
                ((templates[i].answers - a) / per_answer) ** 2
                + ((templates[i].open_checkins - c) / per_checkin) ** 2
            ),
        )
        chosen.append(best)
        got_a += templates[best].answers
        got_c += templates[best].open_checkins
    return chosen


def founder_names(rng: random.Random, locale: str) -> tuple[str, str]:
    """A founder's name and their startup's."""
    if locale == "zh":
        return rng.choice(ZH_NAMES), rng.choice(ZH_PARTS[0]) + rng.choice(ZH_PARTS[1])
    return rng.choice(EN_NAMES), rng.choice(EN_PARTS[0]) + " " + rng.choice(EN_PARTS[1])


def external_id(index: int) -> str:
    """The Telegram user id of founder ``index`` (0-based) in a generated database."""
    return str(100_000_000 + index * 7)


def _roll(
    due: datetime, intent: str | None, zone: str, earliest: datetime
) -> tuple[str, str | None]:
    """An open check-in on the first of its weekdays after ``earliest``, at its local time."""
    if intent is None:
        weeks = max(0, math.ceil((earliest - due) / timedelta(weeks=1)))
        return to_text(due + timedelta(weeks=weeks)), None
    wish = planner.LocalIntent.from_text(intent)
    first = planner.resolve_local(wish.day, wish.at, zone)
    weeks = math.ceil((earliest - first) / timedelta(weeks=1))
    while True:
        day = wish.day + timedelta(weeks=weeks)
        moved = planner.resolve_local(day, wish.at, zone)
        moved = planner.respect_quiet_hours(moved, zone, planner.QuietHours())
        if moved >= earliest:
            return to_text(moved), planner.LocalIntent(day, wish.at).to_text()
        weeks += 1


class _Copy:
    """One founder's copy of a journey: their own name, startup, zone and times."""

    def __init__(
        self, template: Template, rng: random.Random, now: datetime, checkin_columns: list[str]
    ) -> None:
        self.name, self.startup = founder_names(rng, template.locale)
        zones = ZONES[template.locale]
        self.zone, city, _ = rng.choices(zones, weights=[w for *_, w in zones])[0]
        self.swaps = [(NAME, self.name), (STARTUP, self.startup)]
        if self.zone != template.zone:
            self.swaps.append((template.zone, self.zone))
        if city != template.city:
            self.swaps.append((template.city, city))
        # a third were active in the last week, the others up to four months ago
        if rng.random() < 0.3:
            ago = timedelta(hours=rng.uniform(2, 7 * 24))
        else:
            ago = timedelta(days=rng.uniform(7, 120))
        self.end = now - ago
        self.earliest = now + timedelta(days=1)
        self.seen: dict[int, str] = {}  # the rows of one turn share its time
        self.i_due = checkin_columns.index("due_at")
        self.i_intent = checkin_columns.index("local_intent")
        self.i_status = checkin_columns.index("status")

    def at(self, offset: int | None) -> str | None:
        """A time of the journey (µs before its end) as stored for this founder."""
        if offset is None:
            return None
        text = self.seen.get(offset)
        if text is None:
            moment = self.end + timedelta(microseconds=offset)
            text = self.seen[offset] = moment.isoformat(timespec="microseconds")
        return text

    def words(self, text: str | None) -> str | None:
        """The journey's words with this founder's name, startup and city."""
        if text is None:
            return None
        for old, new in self.swaps:
            text = text.replace(old, new)
        return text

    def state(self, value: Any, checkins_base: int) -> str | None:
        """A run's state, with its check-in id remapped."""
        if isinstance(value, tuple):
            return self.words(f"{value[0]}{value[1] + checkins_base}{value[2]}")
        return self.words(value) if value.__class__ is Words else value

    def due(self, row: tuple[Any, ...]) -> tuple[str, str | None]:
        """A check-in's due time and local intent; an open one moved into the future."""
        moment = self.end + timedelta(microseconds=row[self.i_due])
        if row[self.i_status] != "scheduled":
            return to_text(moment), row[self.i_intent]
        return _roll(moment, row[self.i_intent], self.zone, self.earliest)


def copy_founders(
    path: Path,
    templates: list[Template],
    *,
    founders: int,
    answers: int,
    scheduled: int,
    now: datetime,
    seed: int,
    uptime: timedelta,
    columns: dict[str, list[str]],
) -> Totals:
    """Write every founder's rows into ``path`` (schema already there) in one transaction."""
    rng = random.Random(seed)
    chosen = _pick_templates(templates, founders, answers, scheduled, rng)
    makers = {table: _row_maker(table, cols) for table, cols in columns.items()}
    inserts = {
        table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for table, cols in columns.items()
    }
    inserts["processed_updates"] = (
        "INSERT INTO processed_updates (key, processed_at) VALUES (?, ?)"
    )
    inserts["update_ledger"] = (
        "INSERT INTO update_ledger (update_id, payload, received_at, finished_at)"
        " VALUES (?, ?, ?, ?)"
    )
    conn = sqlite3.connect(path, isolation_level=None)
    ledger = _ledger_columns(conn)
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    conn.execute("PRAGMA journal_mode = OFF")  # a generator: no crash to survive
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    totals = Totals()
    base = dict.fromkeys(SEQUENCES, 0)
    window = now - uptime
    update_id = 700_000_000
    conn.execute("BEGIN")
    for name, _ in indexes:  # built again, from the same SQL, once the rows are in
        conn.execute(f"DROP INDEX {name}")
    batch: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for index, choice in enumerate(chosen):
        template = templates[choice]
        copy = _Copy(template, rng, now, columns["checkins"])
        ids = [base[seq] for seq in SEQUENCES]
        ids[0] = index + 1  # the founder's own id
        extra = (external_id(index), copy.zone, copy.words, copy.state, copy.at, copy.due)
        for table, rows in template.rows.items():
            make, out = makers[table], batch[table]
            for row in rows:
                out.append(make(row, *ids, *extra))
        for seq in SEQUENCES[1:]:
            base[seq] += template.sizes[seq]
        # the Telegram updates of the last `uptime`: what the exactly-once records hold
        first = bisect.bisect_left(template.inbound, _micros(window - copy.end))
        for offset in template.inbound[first:]:
            update_id += 1
            stamp = copy.at(offset)
            batch["processed_updates"].append((f"tg:{update_id}", stamp))
            if ledger:
                batch["update_ledger"].append((update_id, "", stamp, copy.at(offset + 200_000)))
        totals.scheduled += template.open_checkins
        totals.en += template.locale == "en"
        if len(batch["transcript"]) > 200_000 or index == founders - 1:
            began = time.perf_counter()
            for table, rows in batch.items():
                conn.executemany(inserts[table], rows)
                totals.rows[table] += len(rows)
            totals.insert_s += time.perf_counter() - began
            batch.clear()
    began = time.perf_counter()
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    totals.index_s = time.perf_counter() - began
    conn.execute("PRAGMA journal_mode = WAL")  # as the coach keeps it
    conn.close()
    return totals


def _ledger_columns(conn: sqlite3.Connection) -> bool:
    """Whether the update ledger (migration 5) is there, with the columns we fill."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(update_ledger)")}
    return {"update_id", "payload", "received_at", "finished_at"} <= columns


# ------------------------------------------------------------------ the whole thing


def generate(
    path: Path,
    *,
    founders: int = 100_000,
    answers: int = 2_000_000,
    scheduled: int = 100_000,
    templates: int = 48,
    seed: int = 7,
    now: datetime | None = None,
    uptime_days: float = 7,
    quiet: bool = False,
) -> dict[str, Any]:
    """Build the database at ``path`` (which must not exist); return what it holds."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; the generator only creates new files")
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    began = time.perf_counter()

    async def prepare() -> tuple[list[Template], dict[str, list[str]]]:
        db, ends = await run_journeys(templates, seed)
        try:
            found = await templates_from(db, ends)
        finally:
            await db.close()
        schema = await Database.open(path)  # the real migrations
        try:
            async with schema.reading() as conn:
                columns = {}
                for table in COLUMNS:
                    async with conn.execute(f"SELECT * FROM {table} LIMIT 0") as cursor:
                        columns[table] = list(cursor.columns)
        finally:
            await schema.close()
        return found, columns

    found, columns = asyncio.run(prepare())
    journeys_s = time.perf_counter() - began
    say(f"{len(found)} journeys through the real coach in {journeys_s:.1f} s")
    for table, cols in columns.items():
        template_cols = len(found[0].rows[table][0]) if found[0].rows.get(table) else len(cols)
        assert template_cols == len(cols), f"{table}: schema differs from the journeys'"
    totals = copy_founders(
        path,
        found,
        founders=founders,
        answers=answers,
        scheduled=scheduled,
        now=now,
        seed=seed,
        uptime=timedelta(days=uptime_days),
        columns=columns,
    )
    seconds = time.perf_counter() - began
    size = path.stat().st_size
    result = {
        "path": str(path),
        "seconds": round(seconds, 1),
        "journeys_seconds": round(journeys_s, 1),
        "file_mb": round(size / 2**20, 1),
        "now": to_text(now),
        "seed": seed,
        "templates": templates,
        "founders_en": totals.en,
        "scheduled_checkins": totals.scheduled,
        "insert_seconds": round(totals.insert_s, 1),
        "index_seconds": round(totals.index_s, 1),
        "rows": dict(sorted(totals.rows.items())),
    }
    say(
        f"wrote {path}: {size / 2**20:,.0f} MB in {seconds:.1f} s (journeys {journeys_s:.1f} s,"
        f" executemany {totals.insert_s:.1f} s, indexes {totals.index_s:.1f} s)"
    )
    for table, count in result["rows"].items():
        say(f"  {table:18} {count:>10,}")
    after = to_text(now + timedelta(days=1))
    say(f"  scheduled check-ins {totals.scheduled:,}, all due after {after}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--founders", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=2_000_000)
    parser.add_argument("--checkins", type=int, default=100_000, help="scheduled check-ins")
    parser.add_argument("--templates", type=int, default=48, help="journeys to copy from")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="ISO time the data is relative to (default: this hour, UTC)",
    )
    parser.add_argument(
        "--uptime-days",
        type=float,
        default=7,
        help="how long the previous bot process ran (its update ledger)",
    )
    args = parser.parse_args(argv)
    now = args.now.astimezone(UTC) if args.now else None
    if args.path.exists():
        raise SystemExit(f"{args.path} exists; the generator only creates new files")
    generate(
        args.path,
        founders=args.founders,
        answers=args.answers,
        scheduled=args.checkins,
        templates=args.templates,
        seed=args.seed,
        now=now,
        uptime_days=args.uptime_days,
    )


if __name__ == "__main__":
    sys.exit(main())
