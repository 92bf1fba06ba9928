"""A commitment is checked on when it says it will be done.

"Within two weeks" asked about after a week, or "within a month" after a week, reads as
nagging; the flow's ``horizons:`` must match what the English words promise (the Chinese
say the same). Horizons are by commitment id, so one map serves both languages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# what the words promise -> the horizon that fits
PROMISES = (("within two weeks", "two_weeks"), ("within a month", "month"),
            ("this quarter", "month"))  # fmt: skip


def _suggested(flow: str) -> dict[str, str]:
    content = yaml.safe_load((ROOT / "content" / "en" / f"{flow}.yaml").read_text("utf-8"))
    return {
        key: text
        for rule in content.get("rules", {}).values()
        for key, text in (rule.get("commitments") or {}).items()
    }


@pytest.mark.parametrize(
    "flow", ["team", "funding", "marketing", "business_model", "product_tech", "risk_legal"]
)
def test_commitments_are_checked_when_they_say_they_will_be_done(flow: str) -> None:
    spec = yaml.safe_load((ROOT / "flows" / f"{flow}.yaml").read_text("utf-8"))
    horizons = spec.get("horizons") or {}
    wrong = []
    for key, text in _suggested(flow).items():
        for words, horizon in PROMISES:
            if words in text.lower() and horizons.get(key, "week") != horizon:
                wrong.append(f"{key}: says {words!r}, checked after {horizons.get(key, 'week')}")
    assert wrong == []
