"""What this founder has already heard or committed to, for the advice about to be shown.

Loads the advice of their other runs and their commitments, renders the commitment texts
each related rule offers (so a stored commitment can be matched to the rule it came from),
and asks :func:`bot.engine.recall.recall` which advice items to refer to rather than
announce as news.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.engine.recall import OPEN_STATUSES, Advised, Committed, Recall, recall, related
from bot.errors import RenderError
from bot.rendering import Target
from bot.storage import Connection, history

if TYPE_CHECKING:
    from bot.coach.present import Presenter
    from bot.engine import Catalog, Flow
    from bot.engine.spec import RuleSpec


async def recalls_for(
    conn: Connection,
    *,
    user_id: int,
    timezone: str | None,
    run_id: int,
    catalog: Catalog,
    flow: Flow,
    rules: Sequence[RuleSpec],
    facts: dict[str, Any],
    present: Presenter,
) -> dict[str, Recall]:
    """For each rule about to be shown, how the founder met its point before (if they did)."""
    zone = ZoneInfo(timezone or "UTC")

    def day(moment: datetime) -> str:
        return moment.astimezone(zone).date().isoformat()

    advised = [
        Advised(flow_id, rule_id, day(when))
        for flow_id, rule_id, when in await history.advice_before(conn, user_id, run_id=run_id)
    ]
    committed = [
        Committed(text, day(when), status)
        for text, status, when in await history.commitments_made(conn, user_id)
    ]
    if not advised and not committed:
        return {}
    found: dict[str, Recall] = {}
    for rule in rules:
        offered = {key: _offered(catalog, key, facts, present) for key in related(flow.id, rule)}
        point = recall(flow.id, rule, advised=advised, committed=committed, offered=offered)
        if point is not None:
            found[rule.id] = point
    return found


async def open_commitments(conn: Connection, user_id: int) -> set[str]:
    """The texts of the founder's commitments still under way: never offered again."""
    made = await history.commitments_made(conn, user_id)
    return {text for text, status, _ in made if status in OPEN_STATUSES}


def _offered(
    catalog: Catalog, key: tuple[str, str], facts: dict[str, Any], present: Presenter
) -> list[str]:
    """The commitment texts a rule offers, as they would read now."""
    flow_id, rule_id = key
    flow = catalog.flows.get(flow_id)
    if flow is None:
        return []
    rule = next((r for r in flow.spec.rules if r.id == rule_id), None)
    words = present.texts(flow).rules.get(rule_id)
    if rule is None or words is None:
        return []
    texts = []
    for cid in rule.commitments:
        try:
            texts.append(present.template(words.commitments[cid], facts, target=Target.PLAIN))
        except RenderError:  # the other flow's facts are not all there: it cannot match
            continue
    return texts
