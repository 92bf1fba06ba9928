"""The founder's coaching summary: one model every export format is rendered from.

``build_summary`` is pure: given the founder's stored records (see
:mod:`bot.storage.records`), the catalog and a presenter for their language, it returns
a :class:`Summary` of JSON primitives. The JSON export *is* this model; its schema is
versioned by :data:`SCHEMA_VERSION` and documented in ``docs/export-schema.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.engine import FlowState, RunStatus, asked_answers, run_facts
from bot.rendering import Target

if TYPE_CHECKING:
    from bot.coach.present import Presenter
    from bot.engine import Catalog

SCHEMA_VERSION = 1
# flows with sections of their own elsewhere (commitments, check-ins, weekly updates)
NOT_SECTIONS = ("commit", "checkin", "update")


class AnswerItem(BaseModel):
    """The founder's latest answer to one question of a flow."""

    step: str
    question: str
    answer: str
    value: Any = None
    edits: int = Field(0, description="How many times the answer was changed in that run.")


class Change(BaseModel):
    """An answer that differs from the founder's previous run of the same flow."""

    question: str
    before: str
    after: str


class ScoreItem(BaseModel):
    """One assessment dimension, scored 1..5."""

    dimension: str
    name: str
    score: int


class AdviceItem(BaseModel):
    """Advice given at the end of a run, with the reason quoting the founder."""

    rule: str
    title: str
    text: str
    why: str


class FlowSummary(BaseModel):
    """The latest completed run of one flow."""

    flow: str
    title: str
    run_id: int
    completed_at: datetime | None
    answers: list[AnswerItem]
    changes: list[Change] = Field(default_factory=list)
    scores: list[ScoreItem] = Field(default_factory=list)
    advice: list[AdviceItem] = Field(default_factory=list)


class CheckInItem(BaseModel):
    """One check-in occurrence and what came of it."""

    id: int
    kind: str
    due_at: datetime
    due_local: str
    status: str
    outcome: str | None = None
    outcome_label: str | None = None
    note: str | None = None
    answered_at: datetime | None = None


class CommitmentItem(BaseModel):
    """A commitment the founder made, with its check-ins as a timeline."""

    id: int
    topic: str
    text: str
    status: str
    created_at: datetime
    checkins: list[CheckInItem] = Field(default_factory=list)


class WeeklyUpdate(BaseModel):
    """One weekly founder update."""

    date: str
    metric_name: str | None = None
    metric_value: float | None = None
    metric_change: float | None = None
    morale: int | None = None
    obstacle: str | None = None
    goals_done: list[str] = Field(default_factory=list)
    goals_carried: list[str] = Field(default_factory=list)
    goals_dropped: list[str] = Field(default_factory=list)
    goals_next: list[str] = Field(default_factory=list)


class KeyNumbers(BaseModel):
    """Cash, burn and runway as the founder last gave them in the funding flow."""

    as_of: str = Field(description="The local date of the funding run they come from.")
    cash: float | None = None
    burn: float | None = Field(default=None, description="Net monthly burn.")
    runway_months: float | None = Field(
        default=None, description="Cash divided by net burn; none without a net burn."
    )


class UnitEconomics(BaseModel):
    """What one customer is worth, as the founder last gave it in the business-model flow."""

    as_of: str = Field(description="The local date of the business-model run they come from.")
    paying_customers: float | None = None
    price: float | None = Field(default=None, description="Average revenue per customer a month.")
    gross_margin: float | None = Field(
        default=None, description="Share of the price left after serving costs (0.62 = 62%)."
    )
    payback_months: float | None = Field(
        default=None, description="Months of margin to earn back the cost of winning a customer."
    )


class ProductNumbers(BaseModel):
    """Revenue and the compute bill as the founder last gave them in the product flow."""

    as_of: str = Field(description="The local date of the product_tech run they come from.")
    revenue: float | None = Field(default=None, description="Monthly revenue.")
    compute: float | None = Field(default=None, description="Monthly compute spend.")
    compute_share: float | None = Field(
        default=None, description="Compute spend divided by revenue; none before revenue."
    )


class RawAnswer(BaseModel):
    """Every answer and every edit, as stored, with its words in the founder's language."""

    run_id: int
    flow: str
    step: str
    value: Any = None
    revision: int
    answered_at: datetime
    topic: str = Field(default="", description="The flow's title in the founder's language.")
    question: str = Field(default="", description="The question's short name.")
    answer: str = Field(default="", description="The value as the founder reads it (labels).")


class AdviceRecord(BaseModel):
    """Every advice item ever given, in the order shown (all runs, not only the latest)."""

    run_id: int
    flow: str
    rule: str
    priority: int
    rank: int
    given_at: datetime


class Message(BaseModel):
    """One message of the conversation."""

    direction: str
    text: str
    at: datetime


class Summary(BaseModel):
    """Everything a founder's export contains."""

    schema_version: int = SCHEMA_VERSION
    generated_at: datetime
    locale: str
    founder: str
    startup: str | None = None
    timezone: str
    currency: str | None = Field(
        default=None,
        description="ISO code of the currency the founder typed amounts in (e.g. CAD), if any;"
        " money answers are plain numbers in it.",
    )
    flows: list[FlowSummary] = Field(
        default_factory=list,
        description="The profile, then each conversation, in menu order.",
    )
    weekly_updates: list[WeeklyUpdate] = Field(default_factory=list)
    commitments: list[CommitmentItem] = Field(default_factory=list)
    key_numbers: KeyNumbers | None = Field(
        default=None, description="Cash, burn and runway from the latest funding run, if given."
    )
    unit_economics: UnitEconomics | None = Field(
        default=None,
        description="Customers, margin and payback from the latest business-model run.",
    )
    product_numbers: ProductNumbers | None = Field(
        default=None, description="Revenue and compute spend from the latest product_tech run."
    )
    answers: list[RawAnswer] = Field(default_factory=list)
    advice_given: list[AdviceRecord] = Field(default_factory=list)
    checkins: list[CheckInItem] = Field(
        default_factory=list, description="Every check-in, weekly updates included."
    )
    transcript: list[Message] | None = None
    transcript_left_out: int = Field(
        default=0,
        description="How many earlier messages of the conversation the transcript leaves out"
        " (it holds the most recent ones, up to a bound).",
    )

    @property
    def is_empty(self) -> bool:
        """Nothing worth exporting yet (no completed flow, commitment or update)."""
        return not (self.flows or self.commitments or self.weekly_updates)


def build_summary(
    records: dict[str, list[dict[str, Any]]],
    *,
    catalog: Catalog,
    present: Presenter,
    founder: str,
    timezone: str | None,
    now: datetime,
    transcript: bool = False,
) -> Summary:
    """The summary of one founder's stored records, in the presenter's language."""
    zone = timezone or "UTC"
    runs = records["runs"]
    facts = _current_facts(runs, catalog)
    summary = Summary(
        generated_at=now,
        locale=present.locale,
        founder=founder,
        startup=str(facts.get("onboarding", {}).get("startup") or "") or None,
        timezone=zone,
        currency=present.currency,
    )
    # every format lists what follows in this order: the profile, each conversation in menu
    # order, the weekly updates, then commitments and check-ins (founder trial)
    ordered = catalog.flows_in_order()
    rank = {flow.id: place for place, flow in enumerate(ordered)}
    for flow in ordered:
        done = [r for r in runs if r["flow_id"] == flow.id and r["status"] == "completed"]
        if not done or flow.id in NOT_SECTIONS:
            continue
        then = _facts_before(runs, done[-1], catalog)
        summary.flows.append(_flow_summary(flow, done, records, facts, then, present))
    summary.commitments = _commitments(records, present, zone)
    summary.weekly_updates = _weekly(runs, catalog, zone)
    summary.key_numbers = _key_numbers(runs, facts.get("funding", {}), zone)
    summary.unit_economics = _unit_economics(runs, facts.get("business_model", {}), zone)
    summary.product_numbers = _product_numbers(runs, facts.get("product_tech", {}), zone)
    answers = [_raw_answer(a, catalog, present, facts) for a in records["answers"]]
    # grouped by conversation in the same order, each in the order it was given
    summary.answers = sorted(answers, key=lambda a: rank.get(a.flow, len(rank)))
    summary.advice_given = [
        AdviceRecord(
            run_id=a["run_id"],
            flow=a["flow_id"],
            rule=a["rule_id"],
            priority=a["priority"],
            rank=a["rank"],
            given_at=a["created_at"],
        )
        for a in records["advice"]
    ]
    summary.checkins = [_checkin(c, present, zone) for c in records["checkins"]]
    if transcript:
        summary.transcript = [
            Message(direction=m["direction"], text=m["text"], at=m["created_at"])
            for m in records["transcript"]
        ]
    return summary


def _raw_answer(
    answer: dict[str, Any], catalog: Catalog, present: Presenter, facts: dict[str, Any]
) -> RawAnswer:
    """One stored answer, with its topic, question and value in the founder's words."""
    raw = RawAnswer(
        run_id=answer["run_id"],
        flow=answer["flow_id"],
        step=answer["step_id"],
        value=answer["value"],
        revision=answer["revision"],
        answered_at=answer["created_at"],
    )
    flow = catalog.flows.get(raw.flow)
    if flow is None or not any(step.id == raw.step for step in flow.spec.steps):
        return raw  # a flow or step since removed: its ids are all there is
    step = flow.step(raw.step)
    raw.topic = present.texts(flow).title
    if raw.step in present.texts(flow).steps:
        raw.question = present.short_name(flow, step, facts)
    raw.answer = present.display(flow, step, raw.value)
    return raw


def _state(run: dict[str, Any]) -> FlowState:
    return FlowState.model_validate(run["state"])


def _current_facts(runs: list[dict[str, Any]], catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Facts as the completed runs left them, in order, as the Coach stores them.

    A step that ``shares`` a fact writes it back to the flow it belongs to (the stage
    confirmed in /funding is the profile's stage from then on), so a later run of another
    flow wins over the profile run that first set it.
    """
    facts: dict[str, dict[str, Any]] = {}
    for run in runs:
        flow = catalog.flows.get(run["flow_id"])
        if flow is None or run["status"] != "completed":
            continue
        own = run_facts(flow, _state(run), facts).get(flow.id, {})
        kept = facts.get(flow.id, {})
        facts[flow.id] = own
        for step in flow.spec.steps:
            if step.shares and step.id in own:
                owner, name = step.shares.split(".", 1)
                facts.setdefault(owner, {})[name] = own[step.id]
            elif step.shares == f"{flow.id}.{step.id}" and step.id in kept:
                own[step.id] = kept[step.id]  # a setting not asked again persists
    return facts


def _facts_before(
    runs: list[dict[str, Any]], run: dict[str, Any], catalog: Catalog
) -> dict[str, dict[str, Any]]:
    """The facts as they stood when ``run`` was completed: the runs completed before it."""

    def order(r: dict[str, Any]) -> tuple[str, int]:
        return (str(r["completed_at"] or ""), int(r["id"]))

    earlier = [r for r in runs if r["status"] == "completed" and order(r) < order(run)]
    return _current_facts(sorted(earlier, key=order), catalog)


def _flow_summary(
    flow: Any,
    done: list[dict[str, Any]],
    records: dict[str, list[dict[str, Any]]],
    facts: dict[str, dict[str, Any]],
    then: dict[str, dict[str, Any]],
    present: Presenter,
) -> FlowSummary:
    """The latest run of a flow; its advice in the words and numbers it was given with.

    ``facts`` are today's (the answers section shows what is true now, a stage confirmed
    since included); ``then`` are the facts when the run was completed, so an advice item
    quotes the cash, burn or team size that made the coach give it, not later numbers.
    """
    run = done[-1]
    state = _state(run)
    merged = run_facts(flow, state, facts)
    given = run_facts(flow, state, then)
    texts = present.texts(flow)
    edits: dict[str, int] = {}
    for answer in records["answers"]:
        if answer["run_id"] == run["id"]:
            edits[answer["step_id"]] = answer["revision"] - 1
    asked = asked_answers(flow, state, facts)
    current = facts.get(flow.id, {})
    for step_id in asked:  # a value another flow confirmed since (the stage, via /funding)
        if step_id in current:
            asked[step_id] = current[step_id]
    answers = [
        AnswerItem(
            step=step.id,
            question=present.short_name(flow, step, merged),
            answer=present.display(flow, step, asked[step.id]),
            value=asked[step.id],
            edits=edits.get(step.id, 0),
        )
        for step in flow.spec.steps
        if step.asks and step.id in asked
    ]
    changes: list[Change] = []
    if len(done) > 1:
        before = asked_answers(flow, _state(done[-2]), facts)
        changes = [
            Change(question=question, before=old, after=new)
            for question, old, new in present.changed_answers(flow, before, asked, merged)
        ]
    scores = [
        ScoreItem(
            dimension=s["dimension"], name=texts.assessment[s["dimension"]].name, score=s["score"]
        )
        for s in records["scores"]
        if s["run_id"] == run["id"] and s["dimension"] in texts.assessment
    ]
    order = [dimension.id for dimension in flow.spec.assessment]  # as the chat showed them
    scores.sort(key=lambda s: order.index(s.dimension) if s.dimension in order else len(order))
    advice: list[AdviceItem] = []
    for item in records["advice"]:
        words = texts.rules.get(item["rule_id"])
        if item["run_id"] != run["id"] or words is None:
            continue
        advice.append(
            AdviceItem(
                rule=item["rule_id"],
                title=present.template(words.title, given, target=Target.PLAIN),
                text=present.template(words.text, given, target=Target.PLAIN),
                why=present.template(words.why, given, target=Target.PLAIN),
            )
        )
    return FlowSummary(
        flow=flow.id,
        title=texts.title,
        run_id=run["id"],
        completed_at=run["completed_at"],
        answers=answers,
        changes=changes,
        scores=scores,
        advice=advice,
    )


def _local(moment: str | datetime, zone: str) -> str:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _checkin(c: dict[str, Any], present: Presenter, zone: str) -> CheckInItem:
    label = None
    if c["outcome"] and "checkin" in present.renderer.catalog.flows:
        outcome = c["outcome"] if c["kind"] == "commitment" else None
        if outcome is not None:
            label = present.renderer.option_label("checkin.outcome", outcome, present.locale)
    return CheckInItem(
        id=c["id"],
        kind=c["kind"],
        due_at=c["due_at"],
        due_local=_local(c["due_at"], zone),
        status=c["status"],
        outcome=c["outcome"],
        outcome_label=label,
        note=c["note"],
        answered_at=c["answered_at"],
    )


def _commitments(
    records: dict[str, list[dict[str, Any]]], present: Presenter, zone: str
) -> list[CommitmentItem]:
    return [
        CommitmentItem(
            id=row["id"],
            topic=row["flow_id"] or "own",
            text=row["text"] or "",
            status=row["status"],
            created_at=row["created_at"],
            checkins=[
                _checkin(c, present, zone)
                for c in records["checkins"]
                if c["commitment_id"] == row["id"]
            ],
        )
        for row in records["commitments"]
    ]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _key_numbers(
    runs: list[dict[str, Any]], funding: dict[str, Any], zone: str
) -> KeyNumbers | None:
    """Cash, burn and runway from the latest completed funding run (None if not given)."""
    done = [r for r in runs if r["flow_id"] == "funding" and r["status"] == "completed"]
    cash, burn = _number(funding.get("cash")), _number(funding.get("burn"))
    if not done or (cash is None and burn is None):
        return None
    return KeyNumbers(
        as_of=_local(done[-1]["completed_at"] or done[-1]["started_at"], zone)[:10],
        cash=cash,
        burn=burn,
        runway_months=_number(funding.get("runway_months")),
    )


def _unit_economics(
    runs: list[dict[str, Any]], model: dict[str, Any], zone: str
) -> UnitEconomics | None:
    """Customers, price, margin and payback from the latest completed business-model run."""
    done = [r for r in runs if r["flow_id"] == "business_model" and r["status"] == "completed"]
    if not done:
        return None
    return UnitEconomics(
        as_of=_local(done[-1]["completed_at"] or done[-1]["started_at"], zone)[:10],
        paying_customers=_number(model.get("paying_customers")),
        price=_number(model.get("price")) or None,  # 0 means no price yet
        gross_margin=_number(model.get("gross_margin")),
        payback_months=_number(model.get("payback_months")),
    )


def _product_numbers(
    runs: list[dict[str, Any]], product: dict[str, Any], zone: str
) -> ProductNumbers | None:
    """Revenue and compute from the latest completed product_tech run (None if not given)."""
    done = [r for r in runs if r["flow_id"] == "product_tech" and r["status"] == "completed"]
    revenue, compute = _number(product.get("revenue")), _number(product.get("compute_spend"))
    if not done or (revenue is None and compute is None):
        return None
    return ProductNumbers(
        as_of=_local(done[-1]["completed_at"] or done[-1]["started_at"], zone)[:10],
        revenue=revenue,
        compute=compute,
        compute_share=_number(product.get("compute_ratio")),
    )


def _weekly(runs: list[dict[str, Any]], catalog: Catalog, zone: str) -> list[WeeklyUpdate]:
    flow = catalog.flows.get("update")
    if flow is None:
        return []
    updates: list[WeeklyUpdate] = []
    previous: dict[str, Any] = {}
    for run in runs:
        if run["flow_id"] != "update" or run["status"] != RunStatus.COMPLETED.value:
            continue
        state = _state(run)
        own = run_facts(flow, state, {"update": previous}).get("update", {})
        last_goals = [str(g) for g in previous.get("goals", [])]
        done = [str(g) for g in own.get("goals_done", [])]
        carried = [str(g) for g in own.get("goals_carry", [])]
        updates.append(
            WeeklyUpdate(
                date=_local(run["completed_at"] or run["started_at"], zone)[:10],
                metric_name=own.get("metric_name"),
                metric_value=own.get("metric_value"),
                metric_change=own.get("metric_change"),
                morale=own.get("morale"),
                obstacle=own.get("obstacle"),
                goals_done=done,
                goals_carried=carried,
                goals_dropped=[g for g in last_goals if g not in done and g not in carried],
                goals_next=[str(g) for g in own.get("goals", [])],
            )
        )
        previous = {**previous, **own}
    return updates
