"""Pydantic models of ``flows/<flow>.yaml``: the structure of a coaching conversation.

The words live in ``content/<locale>/<flow>.yaml`` (see :mod:`bot.engine.texts`); this
module only knows ids, kinds, bounds and expressions.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_STEP_ID = 32  # step ids travel in Telegram's 64-byte callback data
RESERVED_OPTION_IDS = frozenset({"keep", "confirm"})  # the engine's own option ids
HOUR_OPTION = re.compile(r"^h(?:[01][0-9]|2[0-3])$")  # h09: the options of an hour question
# a claim: what an advice item or a score band asserts, "+runway" (good) or "-runway" (bad)
CLAIM_PATTERN = re.compile(r"^[+-][a-z][a-z0-9_]*$")


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a snake_case id (a-z, 0-9, _; starts with a letter)")
    return value


class StepKind(StrEnum):
    """What a step asks for and how its answer is parsed."""

    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    SCALE = "scale"
    TIMEZONE = "timezone"
    DATE = "date"
    REVIEW = "review"


class Unit(StrEnum):
    """The unit of a number step; decides which forms a founder may type."""

    MONEY = "money"
    COUNT = "count"
    PEOPLE = "people"
    MONTHS = "months"
    PERCENT = "percent"


ProfileField = Literal["name", "locale", "timezone"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlternativeSpec(_Strict):
    """A typed answer to a later step that also answers a choice (see ``alternative``)."""

    option: str
    step: str


class StepSpec(_Strict):
    """One step of a flow."""

    id: str
    kind: StepKind
    options: tuple[str, ...] = ()
    options_from: str | None = None
    unit: Unit | None = None
    min: float | None = None
    max: float | None = None
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=1000, ge=1, le=4000)
    min_choices: int = Field(default=1, ge=0)
    max_choices: int | None = Field(default=None, ge=1)
    optional: bool = False
    multiline: bool = False  # a text step answered with several lines (one item a line)
    when: str | None = None
    shares: str | None = None
    # a fact of another flow that already answers this question (business_model's monthly
    # revenue for product_tech.revenue): offered to confirm with /skip or keep, never asked
    # afresh as if the founder had not said it; read only, unlike ``shares``
    suggest: str | None = None
    profile: ProfileField | None = None
    # multi: options that cannot be picked together with any other ("None of these yet")
    exclusive: tuple[str, ...] = ()
    # choice of hour options (h08, h09 ...): any typed time of day is an answer too
    any_time: bool = False
    # choice: typed text that is none of the options may answer ``step`` (a later step)
    # instead; this step is then answered with ``option`` ("on a date" + the date)
    alternative: AlternativeSpec | None = None

    @field_validator("id")
    @classmethod
    def _check_step_id(cls, value: str) -> str:
        if len(value) > MAX_STEP_ID:
            raise ValueError(f"step id {value!r} is longer than {MAX_STEP_ID} characters")
        return _check_id(value)

    @field_validator("options")
    @classmethod
    def _option_ids(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        for option in options:
            _check_id(option)
            if option in RESERVED_OPTION_IDS:
                raise ValueError(f"option id {option!r} is reserved")
        if len(set(options)) != len(options):
            raise ValueError("option ids must be unique")
        return options

    @model_validator(mode="after")
    def _kind_rules(self) -> StepSpec:
        has_options = self.kind in (StepKind.CHOICE, StepKind.MULTI)
        if self.options_from is not None:
            if not has_options or self.options:
                raise ValueError("options_from belongs to choice and multi steps, without options")
        elif has_options and len(self.options) < 2:
            raise ValueError(f"a {self.kind} step needs at least two options")
        if not has_options and self.options:
            raise ValueError(f"a {self.kind} step takes no options")
        if self.kind is StepKind.NUMBER and self.unit is None:
            raise ValueError("a number step needs a unit")
        if self.kind is not StepKind.NUMBER and (
            self.unit or self.min is not None or self.max is not None
        ):
            raise ValueError("unit, min and max belong to number steps")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        if self.min_length > self.max_length:
            raise ValueError("min_length is larger than max_length")
        if self.max_choices is not None and self.max_choices < self.min_choices:
            raise ValueError("max_choices is smaller than min_choices")
        if self.shares is not None and "." not in self.shares:
            raise ValueError("shares names a fact as <flow>.<step>")
        if self.suggest is not None and "." not in self.suggest:
            raise ValueError("suggest names a fact as <flow>.<fact>")
        if self.multiline and self.kind is not StepKind.TEXT:
            raise ValueError("multiline belongs to text steps")
        if self.kind is StepKind.REVIEW and (
            self.optional or self.when or self.shares or self.suggest
        ):
            raise ValueError("a review step cannot be optional, conditional, shared or suggested")
        if self.exclusive:
            if self.kind is not StepKind.MULTI or self.options_from is not None:
                raise ValueError("exclusive belongs to multi steps with options")
            unknown = [option for option in self.exclusive if option not in self.options]
            if unknown:
                raise ValueError(f"exclusive names unknown options: {', '.join(unknown)}")
        if self.any_time:
            if self.kind is not StepKind.CHOICE or self.options_from is not None:
                raise ValueError("any_time belongs to choice steps with options")
            if not all(HOUR_OPTION.match(option) for option in self.options):
                raise ValueError("any_time needs hour options: h00 to h23")
        if self.alternative is not None:
            if self.kind is not StepKind.CHOICE or self.options_from is not None:
                raise ValueError("alternative belongs to choice steps with options")
            if self.alternative.option not in self.options:
                raise ValueError(f"alternative names unknown option {self.alternative.option!r}")
        return self

    @property
    def asks(self) -> bool:
        """Whether the step stores an answer (every kind but review)."""
        return self.kind is not StepKind.REVIEW

    @property
    def choice_limit(self) -> int:
        """The largest number of options a multi step accepts."""
        return self.max_choices or max(len(self.options), 1)


def _check_claims(claims: tuple[str, ...]) -> tuple[str, ...]:
    for claim in claims:
        if not CLAIM_PATTERN.match(claim):
            raise ValueError(f"claim {claim!r} is not +topic or -topic (topic in snake_case)")
    return claims


class Horizon(StrEnum):
    """How long a suggested commitment takes: when to ask how it went."""

    DAY = "day"
    DAYS_3 = "days_3"
    WEEK = "week"
    TWO_WEEKS = "two_weeks"
    MONTH = "month"


HORIZON_DAYS = {
    Horizon.DAY: 1,
    Horizon.DAYS_3: 3,
    Horizon.WEEK: 7,
    Horizon.TWO_WEEKS: 14,
    Horizon.MONTH: 28,  # four weeks: the same weekday as today
}


class RuleSpec(_Strict):
    """An advice rule: a condition over facts, a priority and suggested commitments.

    ``claims`` say what the advice asserts (``-pitch_ready``), so that a score on the same
    screen cannot assert the opposite; ``offers`` name the answers it suggests as an
    alternative (``funding.instrument: [equity]``), which must not be the founder's own;
    ``echoes`` name rules of other flows that make the same point (``team.no_sales``), so
    a point already made, or committed to, is referred to rather than announced again.
    """

    id: str
    when: str
    priority: int = Field(ge=0, le=100)
    commitments: tuple[str, ...] = Field(default=(), max_length=3)
    claims: tuple[str, ...] = ()
    offers: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    echoes: tuple[str, ...] = ()
    # a rule that promises no to-do list (a founder running on empty): when it fires, its
    # suggestion stays words on the screen and no commitment picker follows
    gentle: bool = False

    _check_rule_id = field_validator("id")(_check_id)
    _check_rule_claims = field_validator("claims")(_check_claims)

    @field_validator("offers")
    @classmethod
    def _offer_steps(cls, offers: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for fact in offers:
            if fact.count(".") != 1:
                raise ValueError(f"offers names a step as <flow>.<step>, not {fact!r}")
        return offers

    @field_validator("echoes")
    @classmethod
    def _echo_ids(cls, echoes: tuple[str, ...]) -> tuple[str, ...]:
        for echo in echoes:
            if echo.count(".") != 1:
                raise ValueError(f"echoes names a rule as <flow>.<rule>, not {echo!r}")
        return echoes


class DimensionSpec(_Strict):
    """One dimension of a flow's assessment, scored 1..5 by an expression.

    ``claims`` maps a score to what its reason asserts (``{5: [+pitch_ready]}``); a score
    not listed asserts nothing an advice rule could contradict.
    """

    id: str
    score: str
    claims: dict[int, tuple[str, ...]] = Field(default_factory=dict)

    _check_dimension_id = field_validator("id")(_check_id)

    @field_validator("claims")
    @classmethod
    def _score_claims(cls, claims: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
        for score, listed in claims.items():
            if not 1 <= score <= 5:
                raise ValueError(f"claims are keyed by a score from 1 to 5, not {score}")
            _check_claims(listed)
        return claims


class FlowSpec(_Strict):
    """A whole flow file."""

    id: str
    version: int = Field(default=1, ge=1)
    menu: bool = True
    order: int = 100
    top_advice: int = Field(default=5, ge=1, le=10)
    # flows the founder must have completed before this one starts (``[onboarding]``):
    # their facts are always there for its templates and conditions
    requires: tuple[str, ...] = ()
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    derived: dict[str, str] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = ()
    assessment: tuple[DimensionSpec, ...] = ()
    preview: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # how long each suggested commitment takes (its check-in comes then); a week if unnamed
    horizons: dict[str, Horizon] = Field(default_factory=dict)
    # on a re-run, offer each earlier answer to keep (a check-up, not a fresh interview)
    prefill: bool = False

    _check_flow_id = field_validator("id")(_check_id)

    @field_validator("requires")
    @classmethod
    def _required_ids(cls, requires: tuple[str, ...]) -> tuple[str, ...]:
        for flow_id in requires:
            _check_id(flow_id)
        if len(set(requires)) != len(requires):
            raise ValueError("a flow is required twice")
        return requires

    @field_validator("derived")
    @classmethod
    def _derived_ids(cls, derived: dict[str, str]) -> dict[str, str]:
        for key in derived:
            _check_id(key)
        return derived

    def horizon(self, commitment_id: str) -> Horizon:
        """How long this suggested commitment takes (a week unless the flow says otherwise)."""
        return self.horizons.get(commitment_id, Horizon.WEEK)

    def step(self, step_id: str) -> StepSpec:
        """Return the step with this id (KeyError if there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def rule(self, rule_id: str) -> RuleSpec:
        """Return the rule with this id (KeyError if there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def step_ids(self) -> list[str]:
        """All step ids in order."""
        return [step.id for step in self.steps]
