"""Pydantic models of ``content/<locale>/<flow>.yaml``: the words of one flow in one language.

Every string here is a jinja2 template source; :mod:`bot.rendering` renders it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepTexts(_Strict):
    """The prompt of a step, a short name for reviews, an optional hint, option labels."""

    prompt: str
    short: str | None = None
    hint: str | None = None
    options: dict[str, str] = Field(default_factory=dict)


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
