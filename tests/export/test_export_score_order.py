"""Scores in an export come in the order the conversation showed them.

The business-model export listed "Feasibility, Gross margin, Reality check, Business model
clarity, Payback" (the dimensions' ids in alphabetical order) after a chat that said gross
margin, payback, clarity, feasibility, reality check, in the flow's order.
"""

from __future__ import annotations

import json

from bot.coach import Coach
from bot.engine import Catalog
from tests.checkins.test_checkins_dispatch import ADA, onboard
from tests.coach.helpers import say
from tests.export.test_export_advice_as_given import coach, walk  # noqa: F401


async def test_scores_keep_the_flows_order(coach: Coach, real_catalog: Catalog) -> None:  # noqa: F811
    await onboard(coach)
    typed = {"price": "2000", "serve_cost": "600", "acquisition_cost": "8000",
             "paying_customers": "3", "custom_share": "0"}  # fmt: skip
    await walk(coach, "/business_model", "en", typed)
    await say(coach, ADA, "/export")
    [data] = [json.loads(r.file.data) for r in await say(coach, ADA, "3") if r.file is not None]
    [flow] = [f for f in data["flows"] if f["flow"] == "business_model"]
    order = [d.id for d in real_catalog.flows["business_model"].spec.assessment]
    shown = [s["dimension"] for s in flow["scores"]]
    assert shown == [d for d in order if d in shown]
    assert shown[0] == "gross_margin"
