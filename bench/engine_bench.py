"""How fast the pure engine is: flow steps per second, and one assessment's rule evaluation.

No database and no rendering: the real catalog (``flows/``, ``content/``) is loaded once,
then

- the team, funding and marketing flows are run end to end with valid typed answers
  (``start``, then one ``advance`` per answer, the review confirmed), many times over,
  and the ``advance`` calls per second are counted;
- each completed run's advice rules and assessment are evaluated (``fired_rules`` and
  ``assess`` over the run's facts), each evaluation timed on its own: median and p99.

Prints the figures and saves bench/results/engine.json.

    python -m bench engine            (or: make bench)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from typing import Any

from bench.common import save
from bot.catalog import load_checked_catalog
from bot.config import load_settings
from bot.engine import Flow, FlowState, TextAnswer, advance, assess, fired_rules, run_facts, start

FLOWS = ("team", "funding", "marketing")
RUNS_PER_REPEAT = 50  # end-to-end runs of each flow per timed repeat
REPEATS = 7
EVALUATIONS = 2_000  # timed evaluations of each flow's rules and assessment

# What the founder already told the coach (onboarding, and funding facts that the team and
# marketing rules read across flows).
FACTS: dict[str, dict[str, Any]] = {
    "onboarding": {
        "name": "Lin",
        "startup": "Acme AI",
        "pitch": "Contract review assistant for mid-size law firms",
        "stage": "mvp",
        "sector": "vertical_ai",
        "team_size": 6,
        "timezone": "Asia/Shanghai",
        "language": "en",
    },
    "funding": {
        "stage": "mvp",
        "cash": 900_000,
        "burn": 60_000,
        "runway_months": 15.0,
        "pre_revenue": True,
    },
}

# What the founder types at each step, in the forms the parsers accept (numbers, ids,
# labels, several choices); every conditional step of these answers is asked.
ANSWERS: dict[str, dict[str, str]] = {
    "team": {
        "roles": "2, 3, 5",
        "cofounders": "2",
        "equity_agreed": "yes",
        "founder_vesting": "no",
        "incentives": "1, 2",
        "options_formal": "no",
        "cadence": "Weekly review meeting",
        "goals_written": "yes",
        "team_problem": "We cannot hire an ML engineer we can afford",
        "problem_kind": "3",
        "hiring_plan": "3",
        "key_hire": "ml engineer",
        "hire_cost": "$30k",
        "review": "ok",
    },
    "funding": {
        "stage": "3",
        "cash": "900k",
        "burn": "60,000",
        "compute_spend": "15k",
        "raise_amount": "1.5m",
        "funding_channels": "1, 2",
        "instrument": "equity",
        "pipeline": "5",
        "investor_updates": "2",
        "milestones": "1, 2",
        "use_of_funds": "1, 2",
        "risks": "1, 3",
        "review": "ok",
    },
    "marketing": {
        "segment": "1",
        "customer": "Mid-size accounting firms",
        "positioning": "differentiation",
        "pricing": "2",
        "channels": "1, 6",
        "attribution": "yes",
        "interviews": "4",
        "feedback_loop": "no",
        "metrics": "1, 5",
        "budget": "8k",
        "review": "ok",
    },
}


def run_flow(
    flow: Flow, answers: Mapping[str, str], facts: Mapping[str, Any]
) -> tuple[FlowState, int]:
    """One run from start to confirmed review; the final state and the ``advance`` calls."""
    transition = start(flow, facts)
    steps = 0
    while transition.prompt is not None:
        event = TextAnswer(answers[transition.prompt.step_id])
        transition = advance(flow, transition.state, event, facts)
        steps += 1
        if transition.notice is not None:
            raise RuntimeError(f"{flow.id}: answer refused: {transition.notice}")
    if not transition.completed:
        raise RuntimeError(f"{flow.id}: run did not complete")
    return transition.state, steps


def evaluate(flow: Flow, merged: Mapping[str, Any]) -> tuple[int, int]:
    """A full assessment's rule evaluation: every advice rule, then every dimension."""
    return len(fired_rules(flow, merged)), len(assess(flow, merged))


def micros(seconds: float) -> float:
    return round(seconds * 1e6, 1)


def measure() -> dict[str, Any]:
    settings = load_settings()
    catalog = load_checked_catalog(
        settings.founder_coach_flows_dir, settings.founder_coach_content_dir
    )
    flows = {flow_id: catalog.flows[flow_id] for flow_id in FLOWS}

    # ---- (a) flow steps per second
    finals: dict[str, FlowState] = {}
    steps_per_run: dict[str, int] = {}
    for flow_id, flow in flows.items():  # warm-up, and the shape of each run
        finals[flow_id], steps_per_run[flow_id] = run_flow(flow, ANSWERS[flow_id], FACTS)
    per_flow_seconds: dict[str, list[float]] = {flow_id: [] for flow_id in FLOWS}
    rates: list[float] = []
    for _ in range(REPEATS):
        total_steps, total_seconds = 0, 0.0
        for flow_id, flow in flows.items():
            began = time.perf_counter()
            for _ in range(RUNS_PER_REPEAT):
                _, steps = run_flow(flow, ANSWERS[flow_id], FACTS)
            elapsed = time.perf_counter() - began
            per_flow_seconds[flow_id].append(elapsed)
            total_steps += steps * RUNS_PER_REPEAT
            total_seconds += elapsed
        rates.append(total_steps / total_seconds)
    stepping: dict[str, Any] = {"steps_per_second_median": round(statistics.median(rates))}
    for flow_id in FLOWS:
        run_seconds = statistics.median(per_flow_seconds[flow_id]) / RUNS_PER_REPEAT
        stepping[flow_id] = {
            "steps_per_run": steps_per_run[flow_id],
            "run_ms_median": round(run_seconds * 1000, 2),
            "step_us_median": micros(run_seconds / steps_per_run[flow_id]),
        }

    # ---- (b) one completed run's advice rules and assessment
    evaluation: dict[str, Any] = {}
    for flow_id, flow in flows.items():
        merged = run_facts(flow, finals[flow_id], FACTS)
        fired, scored = evaluate(flow, merged)  # expressions were compiled by the catalog check
        alone: list[float] = []
        with_facts: list[float] = []
        for _ in range(EVALUATIONS):
            began = time.perf_counter()
            evaluate(flow, merged)
            alone.append(time.perf_counter() - began)
        for _ in range(EVALUATIONS):
            began = time.perf_counter()
            evaluate(flow, run_facts(flow, finals[flow_id], FACTS))
            with_facts.append(time.perf_counter() - began)
        evaluation[flow_id] = {
            "rules": len(flow.spec.rules),
            "rules_fired": fired,
            "dimensions": len(flow.spec.assessment),
            "dimensions_scored": scored,
            "median_us": micros(statistics.median(alone)),
            "p99_us": micros(statistics.quantiles(alone, n=100)[98]),
            "with_run_facts_median_us": micros(statistics.median(with_facts)),
            "with_run_facts_p99_us": micros(statistics.quantiles(with_facts, n=100)[98]),
        }
    return {"stepping": stepping, "evaluation": evaluation}


def main() -> None:
    figures = measure()
    save(
        "engine",
        {
            "measured": {
                "flows": list(FLOWS),
                "stepping": "start + one advance per typed answer (review confirmed), "
                "valid answers, no database, no rendering",
                "runs_per_repeat": RUNS_PER_REPEAT,
                "repeats": REPEATS,
                "evaluation": "fired_rules + assess over a completed run's facts "
                "(with_run_facts: run_facts included)",
                "evaluations_per_flow": EVALUATIONS,
            },
            "figures": figures,
        },
    )
    stepping, evaluation = figures["stepping"], figures["evaluation"]
    print(
        f"Engine steps ({', '.join(FLOWS)}; {RUNS_PER_REPEAT} runs each, median of {REPEATS}):"
        f" {stepping['steps_per_second_median']:,} steps/s"
    )
    for flow_id in FLOWS:
        row = stepping[flow_id]
        print(
            f"  {flow_id}: {row['steps_per_run']} steps, {row['run_ms_median']} ms per run,"
            f" {row['step_us_median']} µs per step"
        )
    print(f"Rules + assessment of a completed run ({EVALUATIONS:,} evaluations each):")
    for flow_id in FLOWS:
        row = evaluation[flow_id]
        print(
            f"  {flow_id}: {row['rules']} rules ({row['rules_fired']} fire),"
            f" {row['dimensions']} dimensions: median {row['median_us']} µs,"
            f" p99 {row['p99_us']} µs;"
            f" with run_facts median {row['with_run_facts_median_us']} µs,"
            f" p99 {row['with_run_facts_p99_us']} µs"
        )


if __name__ == "__main__":
    main()
