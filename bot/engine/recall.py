"""Points the founder has heard before: advice is referred to, not announced again.

A rule makes the same point as its ``echoes`` (rules of other flows, such as team's "nobody
owns revenue" and marketing's "nobody sells"). When the founder has committed to one of the
commitments of the rule or of an echo, the advice asks how that is going; when an echo was
shown in another flow, the advice says where it was said first. Pure: the Coach loads what
was said and committed, and renders the commitment texts to match them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.engine.spec import RuleSpec

OPEN_STATUSES = frozenset({"open", "partly", "not_yet"})  # a commitment still under way


class RecallKind(StrEnum):
    """How the founder met the point before."""

    COMMITTED = "committed"  # they committed to act on it
    ADVISED = "advised"  # another flow made the point


@dataclass(frozen=True)
class Advised:
    """An advice item shown at the end of an earlier run."""

    flow_id: str
    rule_id: str
    day: str  # ISO date, in the founder's zone


@dataclass(frozen=True)
class Committed:
    """A commitment the founder made, as stored (its text, as it was offered)."""

    text: str
    day: str  # ISO date, in the founder's zone
    status: str


@dataclass(frozen=True)
class Recall:
    """What to say instead of announcing a rule's point as news."""

    kind: RecallKind
    flow_id: str  # where the point was made (or committed to)
    rule_id: str
    day: str
    commitment: str | None = None


def related(flow_id: str, rule: RuleSpec) -> list[tuple[str, str]]:
    """The rule itself and the rules of other flows that make the same point."""
    found = [(flow_id, rule.id)]
    found += [tuple(echo.split(".", 1)) for echo in rule.echoes]  # type: ignore[misc]
    return found


def recall(
    flow_id: str,
    rule: RuleSpec,
    *,
    advised: Sequence[Advised],
    committed: Sequence[Committed],
    offered: Mapping[tuple[str, str], Sequence[str]],
) -> Recall | None:
    """How the founder met this rule's point before, if they did.

    ``offered``: the commitment texts each related rule offers, as rendered now. A commitment
    still under way (most recent first) wins; else the latest showing of an echo in another
    flow. A rule shown again in a re-run of its own flow is not recalled: a re-run is a
    check-up, and the founder asked for it.
    """
    for flow, rule_id in related(flow_id, rule):
        texts = set(offered.get((flow, rule_id), ()))
        for made in sorted(committed, key=lambda c: c.day, reverse=True):
            if made.status in OPEN_STATUSES and made.text in texts:
                return Recall(RecallKind.COMMITTED, flow, rule_id, made.day, made.text)
    echoes = set(related(flow_id, rule)[1:])
    shown = [a for a in advised if (a.flow_id, a.rule_id) in echoes and a.flow_id != flow_id]
    if shown:
        latest = max(shown, key=lambda a: a.day)
        return Recall(RecallKind.ADVISED, latest.flow_id, latest.rule_id, latest.day)
    return None
