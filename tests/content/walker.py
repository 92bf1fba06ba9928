"""An automatic founder: answers whatever question comes with a plausible answer."""

from __future__ import annotations

from typing import Any

NUMBERS = {
    "team_size": "4",
    "cofounders": "2",
    "hiring_plan": "3",
    "cash": "600k",
    "burn": "50k",
    "compute_spend": "15k",
    "raise_amount": "1.5m",
    "pipeline": "5",
    "interviews": "4",
    "budget": "8k",
}
TEXTS = {"zh": "这是一个足够长的回答，用来测试。", "en": "A long enough answer for the test."}


def answer_for(question: dict[str, Any], locale: str, todo: list[str]) -> str:
    """The input an automatic founder types for a question (JSON-lines form)."""
    kind = question.get("kind")
    step = question.get("step")
    options = question.get("options", [])
    if question["type"] == "menu":
        return todo[0]
    if question["type"] == "review" or step == "consent":
        return options[0]["id"]
    if options and options[0]["id"] == "keep":
        return "keep"
    if step == "language":
        return locale
    match kind:
        case "choice":
            return options[min(1, len(options) - 1)]["id"]
        case "multi":
            return "1, 2"
        case "yesno":
            return "yes" if locale == "en" else "是"
        case "scale":
            return "3"
        case "timezone":
            return "Shanghai" if locale == "en" else "上海"
        case "number":
            return NUMBERS.get(str(step), "3")
    return TEXTS[locale]
