"""A loaded flow: its structure plus its words in every locale."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.spec import FlowSpec, StepSpec
from bot.engine.texts import FlowTexts


@dataclass(frozen=True)
class Flow:
    """A validated flow, ready for the engine and the renderer."""

    spec: FlowSpec
    texts: dict[str, FlowTexts]
    source: str = ""
    _labels: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The flow id, e.g. ``funding``."""
        return self.spec.id

    def step(self, step_id: str) -> StepSpec:
        """The step with this id."""
        return self.spec.step(step_id)

    def option_labels(self, step_id: str) -> dict[str, tuple[str, ...]]:
        """Every label of every option of a step, in all locales (for matching input)."""
        if step_id not in self._labels:
            labels: dict[str, tuple[str, ...]] = {}
            for option in self.step(step_id).options:
                labels[option] = tuple(
                    texts.steps[step_id].options[option]
                    for texts in self.texts.values()
                    if step_id in texts.steps and option in texts.steps[step_id].options
                )
            self._labels[step_id] = labels
        return self._labels[step_id]
