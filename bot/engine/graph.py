"""Draw a flow as a Mermaid diagram (``founder-coach flows graph FLOW``)."""

from __future__ import annotations

from bot.engine.flow import Flow
from bot.engine.spec import StepKind


def _quote(text: str) -> str:
    return text.replace('"', "'")


def mermaid(flow: Flow, locale: str = "en") -> str:
    """A ``flowchart TD``: steps in order; a conditional step may be passed over."""
    texts = flow.texts.get(locale)
    lines = ["flowchart TD", "    start([start])"]
    steps = flow.spec.steps
    for step in steps:
        title = step.id
        if texts and step.id in texts.steps and step.kind is not StepKind.REVIEW:
            title = f"{step.id}<br/>{step.kind}"
        shape = f'{{{{"{_quote(title)}"}}}}' if step.when else f'["{_quote(title)}"]'
        lines.append(f"    {step.id}{shape}")
    lines.append("    done([done: assessment and advice])")
    previous = ["start"]
    for step in steps:
        label = f'|"when {_quote(step.when)}"|' if step.when else ""
        for source in previous:
            lines.append(f"    {source} -->{label} {step.id}")
        if step.kind is StepKind.REVIEW:
            lines.append(f"    {step.id} -.->|edit| {step.id}")
        # a conditional (or optional) step can be passed over: the next step is reachable
        # from both this step and the one before it
        previous = [*previous, step.id] if step.when else [step.id]
    for source in previous:
        lines.append(f"    {source} --> done")
    return "\n".join(lines) + "\n"
