"""The pure flow engine: flow specs, answer parsing, the state machine, advice rules."""

from bot.engine.advice import Score, assess, fired_rules, top_advice
from bot.engine.claims import ChosenOffer, Claim, Contradiction, chosen_offers, contradictions
from bot.engine.flow import Flow
from bot.engine.loader import LOCALES, Catalog, load_catalog
from bot.engine.machine import (
    CONFIRM,
    KEEP,
    Back,
    Choose,
    Event,
    Notice,
    Prompt,
    SavedAnswer,
    Skip,
    TextAnswer,
    Transition,
    advance,
    asked_answers,
    current_prompt,
    path,
    review_options,
    run_facts,
    start,
)
from bot.engine.spec import FlowSpec, StepKind, StepSpec, Unit
from bot.engine.state import FlowState, RunStatus

__all__ = [
    "CONFIRM",
    "KEEP",
    "LOCALES",
    "Back",
    "Catalog",
    "Choose",
    "ChosenOffer",
    "Claim",
    "Contradiction",
    "Event",
    "Flow",
    "FlowSpec",
    "FlowState",
    "Notice",
    "Prompt",
    "RunStatus",
    "SavedAnswer",
    "Score",
    "Skip",
    "StepKind",
    "StepSpec",
    "TextAnswer",
    "Transition",
    "Unit",
    "advance",
    "asked_answers",
    "assess",
    "chosen_offers",
    "contradictions",
    "current_prompt",
    "fired_rules",
    "load_catalog",
    "path",
    "review_options",
    "run_facts",
    "start",
    "top_advice",
]
