"""Pydantic models of ``content/<locale>/<flow>.yaml``: the words of one flow in one language.

Every string here is a jinja2 template source; :mod:`bot.rendering` renders it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.spec import StepKind, StepSpec

Covered = Literal["answering"]
"""What a step's own hint can already say, so the coach leaves its generic words out.

How to skip is not among them: a step says that in ``skip_hint``, which the coach shows
only when /skip leaves the question blank (with an answer to keep, /skip keeps it).
"""

KIND_HINTS = {
    StepKind.CHOICE: "question.hint_choice",
    StepKind.MULTI: "question.hint_multi",
    StepKind.YESNO: "question.hint_yesno",
    StepKind.SCALE: "question.hint_scale",
    StepKind.DATE: "question.hint_date",
}
"""The UI hint saying how to answer each kind of step (``answering``)."""
SKIP_HINT = "question.skip_hint"
KEEP_HINT = "question.keep_hint"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepTexts(_Strict):
    """The prompt of a step, a short name for reviews, an optional hint, option labels.

    ``covers`` lists what the step's own hint already says (``answering``: how to answer
    this kind of step), so the coach does not add its generic words for it. ``skip_hint``
    says in the step's own words what skipping means ("Type /skip if you don't track it
    yet."), in place of the generic skip hint; like it, it is left out when the question has
    an answer to keep, so one hint says what /skip does. ``scale_low`` and ``scale_high``
    name the ends of a scale step (1 and 5).
    """

    prompt: str
    short: str | None = None
    hint: str | None = None
    covers: tuple[Covered, ...] = ()
    scale_low: str | None = None
    scale_high: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    # how an option reads in the middle of a coach's sentence ("angels", not "Angel
    # investors"): the ``phrase`` filter uses it, and falls back to the label
    phrases: dict[str, str] = Field(default_factory=dict)
    # the skip button's words where skipping means something else ("Not now": declining)
    skip_label: str | None = None
    # how to skip, in the step's own words (plain text), shown instead of the generic hint
    skip_hint: str | None = None


def added_hints(step: StepSpec, texts: StepTexts, *, keeping: bool = False) -> tuple[str, ...]:
    """UI keys of the generic hints the coach adds after the step's own hint.

    How to answer the step's kind, unless its hint ``covers`` it (a scale step with its own
    hint or named ends never gets the generic "1 means not at all"); and on an optional step
    how to skip it, unless ``keeping`` (the keep hint says what /skip does then); the
    presenter words that key with the step's ``skip_hint`` where it has one.
    """
    keys: list[str] = []
    kind = KIND_HINTS.get(step.kind)
    anchored = step.kind is StepKind.SCALE and bool(
        texts.hint or texts.scale_low or texts.scale_high
    )
    if kind and "answering" not in texts.covers and not anchored:
        keys.append(kind)
    if step.optional and not keeping:
        keys.append(SKIP_HINT)
    return tuple(keys)


class RuleTexts(_Strict):
    """The words of one advice rule."""

    title: str
    text: str
    why: str
    commitments: dict[str, str] = Field(default_factory=dict)


class DimensionTexts(_Strict):
    """The name of an assessment dimension and the template explaining its score."""

    name: str
    reason: str


class FlowTexts(_Strict):
    """All the words of a flow in one locale."""

    title: str
    description: str
    intro: str
    done: str
    steps: dict[str, StepTexts]
    rules: dict[str, RuleTexts] = Field(default_factory=dict)
    assessment: dict[str, DimensionTexts] = Field(default_factory=dict)
